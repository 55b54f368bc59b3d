package main

import (
	"bytes"
	"encoding/pem"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestRecordSignals: SIGINT or SIGTERM stops a recording: the connection is
// closed with a close frame, everything received is durable, exit 0. While
// it records, a second record on the same database says so and exits 1.
func TestRecordSignals(t *testing.T) {
	t.Parallel()
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			// The sample meeting at real speed lasts ten minutes: it is still
			// running when the signal comes.
			srv := startServe(t, serveEnv(), "--scenario", testdata("scenario-basic.jsonl"), "--speed", "1")
			db := filepath.Join(t.TempDir(), "rec.db")
			// Once the title is logged, the snapshots are arriving.
			rec := startRecord(t, recordEnv(), `msg="meeting title"`, "--db", db, "record", "--conf-id", "986512347", "--api-url", srv.URL)

			second := run(t, recordEnv(), "--db", db, "record", "--conf-id", "986512347", "--api-url", srv.URL)
			if second.code != 1 || !strings.Contains(second.stderr, "in use by another confrec process") {
				t.Errorf("second record on a busy database: exit %d, %q", second.code, second.stderr)
			}
			// Readers get a snapshot (live_test.go).
			if reader := run(t, nil, "--db", db, "meetings"); reader.code != 0 || !strings.Contains(reader.stdout, "986512347") {
				t.Errorf("meetings on a busy database: exit %d, %q", reader.code, reader.stderr)
			}

			if err := rec.stop(sig); err != nil {
				t.Fatalf("record after %v: %v\n%s", sig, err, rec.logs)
			}

			v := info(t, db, "986512347")
			if len(v.Sessions) != 1 || v.Sessions[0].Reason != "stopped" {
				t.Errorf("sessions %+v, want one, stopped", v.Sessions)
			}
			recs := exported(t, db, "986512347")
			var closeOut *int
			for i, r := range recs {
				if r.Dir == "out" && r.Opcode == "close" {
					closeOut = &i
				}
			}
			if closeOut == nil {
				t.Fatalf("no close frame sent by us among %d frames", len(recs))
			}
			if r := recs[*closeOut]; r.CloseCode != 1000 {
				t.Errorf("our close frame: %d %q, want 1000", r.CloseCode, r.CloseReason)
			}
			// What came before the signal is there, exactly: a prefix of the meeting.
			got := notifications(t, recs)
			want := scenarioInFrames(t, testdata("scenario-basic.jsonl"))
			if len(got) == 0 || len(got) > len(want) {
				t.Fatalf("%d notifications recorded", len(got))
			}
			samePayloads(t, got, want[:len(got)])
		})
	}
}

// tlsFront puts an HTTPS server (httptest's self-signed certificate) in
// front of a stand-in service and hands out wss:// URLs, and returns its URL
// and the certificate's PEM file.
func tlsFront(t *testing.T, target string) (string, string) {
	t.Helper()
	proxy := newProxy(t, target, func(b []byte) []byte {
		return bytes.ReplaceAll(b, []byte(`"wsURL":"ws://`), []byte(`"wsURL":"wss://`))
	})
	ts := httptest.NewUnstartedServer(proxy)
	ts.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes are the point
	ts.StartTLS()
	t.Cleanup(ts.Close)
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw})
	return ts.URL, writeFile(t, "ca.pem", string(certPEM))
}

// TestRecordTLS: TLS is verified; --ca-file trusts a deployment's own CA and
// --insecure turns checking off.
func TestRecordTLS(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		flags func(ca string) []string
		code  int
		want  string
	}{
		{"unknown CA refused", func(string) []string { return nil }, 1, "certificate"},
		{"ca-file", func(ca string) []string { return []string{"--ca-file", ca} }, 0, "meeting-ended"},
		{"insecure", func(string) []string { return []string{"--insecure"} }, 0, "meeting-ended"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := startServe(t, serveEnv(), "--scenario", testdata("scenario-short.jsonl"), "--speed", "0")
			api, ca := tlsFront(t, srv.URL)
			db := filepath.Join(t.TempDir(), "rec.db")
			args := append([]string{"--db", db, "record", "--conf-id", "555000111", "--api-url", api}, tt.flags(ca)...)
			r := run(t, recordEnv(), args...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.want) {
				t.Fatalf("exit %d (want %d), stderr lacks %q:\n%s", r.code, tt.code, tt.want, r.stderr)
			}
			if tt.code == 0 {
				samePayloads(t, notifications(t, exported(t, db, "555000111")), scenarioInFrames(t, testdata("scenario-short.jsonl")))
			}
		})
	}
	if _, err := os.Stat("ca.pem"); err == nil {
		t.Error("the test wrote into the source tree")
	}
}
