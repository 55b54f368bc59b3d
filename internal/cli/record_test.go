package cli

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
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

func TestRoundTripScenario(t *testing.T) {
	t.Parallel()
	srv := startServe(t, serveEnv(), "--scenario", testdata("scenario-basic.jsonl"), "--speed", "200")
	db := filepath.Join(t.TempDir(), "rec.db")
	mustRun(t, recordEnv(), "--db", db, "record", "--conf-id", "986512347", "--api-url", srv.URL, "--heartbeat", "250ms")

	recs := exported(t, db, "986512347")
	samePayloads(t, notifications(t, recs), scenarioInFrames(t, testdata("scenario-basic.jsonl")))

	var subscribes, heartbeats, replies int
	for _, r := range recs {
		switch {
		case r.Dir == "out" && r.Action == "Subscribe":
			subscribes++
		case r.Dir == "out" && r.Action == "HeartBeat":
			heartbeats++
		case r.Dir == "in" && r.Action == "HeartBeat":
			replies++
		}
	}
	if subscribes != 1 || heartbeats < 3 || replies < heartbeats-1 {
		t.Errorf("out Subscribe %d (want 1), out HeartBeat %d (want >= 3), their replies %d", subscribes, heartbeats, replies)
	}
	if last := recs[len(recs)-1]; last.Opcode != "close" || last.Dir != "in" || last.CloseCode != 1000 {
		t.Errorf("last frame %+v, want the server's close 1000", last)
	}
}

// TestDropReconnect: the server destroys the TCP connection mid-meeting; the
// recorder reconnects with fresh tokens and nothing is missing.
func TestDropReconnect(t *testing.T) {
	t.Parallel()
	srv := startServe(t, serveEnv(), "--scenario", testdata("scenario-drop.jsonl"), "--speed", "4")
	db := filepath.Join(t.TempDir(), "rec.db")
	rec := mustRun(t, recordEnv(), "--db", db, "record", "--conf-id", "555000111", "--api-url", srv.URL)

	samePayloads(t, notifications(t, exported(t, db, "555000111")), scenarioInFrames(t, testdata("scenario-drop.jsonl")))
	v := info(t, db, "555000111")
	if len(v.Sessions) != 2 || v.Gaps != 1 {
		t.Fatalf("sessions %+v, gaps %d: want 2 sessions and 1 gap", v.Sessions, v.Gaps)
	}
	if v.Sessions[0].Reason != "dropped" || v.Sessions[1].Reason != "meeting-ended" {
		t.Errorf("session ends %q, %q: want dropped, meeting-ended", v.Sessions[0].Reason, v.Sessions[1].Reason)
	}
	table := mustRun(t, nil, "--db", db, "info", "555000111").stdout
	if !strings.Contains(table, "dropped") || !strings.Contains(table, "meeting-ended") {
		t.Errorf("info table does not show the gap:\n%s", table)
	}
	if strings.Contains(rec.stderr, testPassword) {
		t.Error("record's log holds the password")
	}
}

// TestTwoMeetings records two meetings with one record process into one database.
func TestTwoMeetings(t *testing.T) {
	t.Parallel()
	srv := startServe(t, serveEnv(), "--scenario", testdata("scenario-basic.jsonl"), "--scenario", testdata("scenario-short.jsonl"), "--speed", "0")
	db := filepath.Join(t.TempDir(), "rec.db")
	mustRun(t, recordEnv(), "--db", db, "record", "--conf-id", "986512347", "--conf-id", "555000111", "--api-url", srv.URL)

	samePayloads(t, notifications(t, exported(t, db, "986512347")), scenarioInFrames(t, testdata("scenario-basic.jsonl")))
	samePayloads(t, notifications(t, exported(t, db, "555000111")), scenarioInFrames(t, testdata("scenario-short.jsonl")))

	var rows []meetingRow
	if err := json.Unmarshal([]byte(mustRun(t, nil, "--db", db, "meetings", "--format", "json").stdout), &rows); err != nil {
		t.Fatal(err)
	}
	titles := map[string]string{}
	for _, r := range rows {
		titles[r.ConfID] = r.Title
	}
	if titles["986512347"] != "Q1 Roadmap Sync" || titles["555000111"] != "Daily stand-up" || len(rows) != 2 {
		t.Errorf("meetings: %+v", rows)
	}
}

// TestOddFrames: binary frames, malformed JSON, a 5 MiB frame and non-ASCII
// names are stored and exported exactly.
func TestOddFrames(t *testing.T) {
	t.Parallel()
	big := `{"action":"ParticipantsNotify","msgID":"b1","msgMode":1,"confID":"777","data":[{"pid":"p1","mode":0,"pinfoMap":{"NAME":"` +
		strings.Repeat("名", 5<<20/3) + `"}}]}`
	lines := []string{
		`{"offset_ms":0,"dir":"out","frame":{"_control":"ws_open","url":"wss://x.invalid/cms/open/websocket/confctl/increment/conn?confID=777&tmpToken=x"}}`,
		`{"offset_ms":5,"dir":"in","binary":"` + base64.StdEncoding.EncodeToString([]byte{0, 1, 2, 0xfe, 0xff, '{'}) + `"}`,
		`{"offset_ms":6,"dir":"in","raw":"{\"action\":\"ParticipantsNotify\",\"data\":[{\"pid\":"}`,
		`{"offset_ms":7,"dir":"in","raw":"not json at all \u00e9"}`,
		`{"offset_ms":8,"dir":"in","frame":{"action":"ConfBasicInfoNotify","msgID":"n1","msgMode":0,"confID":"777","title":"Réunion 週次 — Ελληνικά 🎉"}}`,
		`{"offset_ms":9,"dir":"in","frame":` + big + `}`,
		`{"offset_ms":10,"dir":"in","frame":{"action":"ConfDynamicInfoNotify","msgID":"n2","msgMode":0,"confID":"777","state":"Destroyed"}}`,
		`{"offset_ms":11,"dir":"in","frame":{"_control":"ws_close","code":1000,"reason":"bye"}}`,
	}
	scenario := writeFile(t, "odd.jsonl", strings.Join(lines, "\n")+"\n")
	srv := startServe(t, serveEnv(), "--scenario", scenario, "--speed", "0")
	db := filepath.Join(t.TempDir(), "rec.db")
	mustRun(t, recordEnv(), "--db", db, "record", "--conf-id", "777", "--api-url", srv.URL)

	recs := notifications(t, exported(t, db, "777"))
	samePayloads(t, recs, scenarioInFrames(t, scenario))
	if recs[0].Opcode != "binary" || recs[0].PayloadBase64 == nil {
		t.Errorf("binary frame exported as %+v", recs[0])
	}
	for _, format := range []string{"csv", "json"} {
		out := filepath.Join(t.TempDir(), "frames."+format)
		mustRun(t, nil, "--db", db, "export", "frames", "777", "--format", format, "-o", out)
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(b, []byte("Réunion 週次 — Ελληνικά 🎉")) {
			t.Errorf("%s export lost the non-ASCII title", format)
		}
	}
	if m := meetingTitle(t, db, "777"); m != "Réunion 週次 — Ελληνικά 🎉" {
		t.Errorf("title %q", m)
	}
}

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
