package cli

import (
	"encoding/pem"
	"io"
	"log"
	"net"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// tcpRelay is a loopback TCP relay to target that counts the connections
// it accepts: a WebSocket server whose visitors the test can count.
type tcpRelay struct {
	ln       net.Listener
	accepted atomic.Int64
	wg       sync.WaitGroup
	mu       sync.Mutex
	conns    []net.Conn
}

func startRelay(t *testing.T, target string) *tcpRelay {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &tcpRelay{ln: ln}
	r.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			r.accepted.Add(1)
			d, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			r.mu.Lock()
			r.conns = append(r.conns, c, d)
			r.mu.Unlock()
			pipe := func(dst, src net.Conn) {
				io.Copy(dst, src)
				dst.Close()
				src.Close()
			}
			r.wg.Go(func() { pipe(d, c) })
			r.wg.Go(func() { pipe(c, d) })
		}
	})
	t.Cleanup(func() {
		ln.Close()
		r.mu.Lock()
		for _, c := range r.conns {
			c.Close()
		}
		r.mu.Unlock()
		r.wg.Wait()
	})
	return r
}

func (r *tcpRelay) addr() string { return r.ln.Addr().String() }

var wsURLField = regexp.MustCompile(`"wsURL":"[^"]*"`)

// TestRecordRefusesDowngrade: a verified https token API that answers a
// cleartext ws:// wsURL is refused (exit 1, one line saying what and how to
// allow it) before any connection to that server, which so never sees a
// token; --insecure allows it, and the recording is complete. That the
// WebSocket server is another host than the API is logged at info, with
// its host and no token.
func TestRecordRefusesDowngrade(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		insecure bool
	}{
		{"refused", false},
		{"insecure allows it", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := startServe(t, serveEnv(), "--scenario", testdata("scenario-short.jsonl"), "--speed", "0")
			relay := startRelay(t, strings.TrimPrefix(srv.URL, "http://"))
			var sniff tokenSniffer
			proxy := newProxy(t, srv.URL, func(b []byte) []byte {
				b = sniff.note(b)
				return wsURLField.ReplaceAll(b, []byte(`"wsURL":"ws://`+relay.addr()+`"`))
			})
			ts := httptest.NewUnstartedServer(proxy)
			ts.Config.ErrorLog = log.New(io.Discard, "", 0)
			ts.StartTLS()
			t.Cleanup(ts.Close)
			ca := writeFile(t, "ca.pem", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw})))

			db := filepath.Join(t.TempDir(), "rec.db")
			args := []string{"--db", db, "record", "--conf-id", "555000111", "--api-url", ts.URL, "--ca-file", ca}
			if tt.insecure {
				args = append(args, "--insecure")
			}
			r := run(t, recordEnv(), args...)
			lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
			last := lines[len(lines)-1]
			sniff.mu.Lock()
			secrets := append([]string{testPassword}, sniff.tokens...)
			sniff.mu.Unlock()
			for _, s := range secrets {
				if strings.Contains(r.stderr, s) {
					t.Errorf("record's log holds a secret %.6s…:\n%s", s, r.stderr)
				}
			}
			if !tt.insecure {
				if r.code != 1 || !strings.HasPrefix(last, "confrec: ") ||
					!strings.Contains(last, "ws://"+relay.addr()) || !strings.Contains(last, "--insecure") {
					t.Fatalf("exit %d, last line %q: want exit 1 naming ws://%s and --insecure\n%s", r.code, last, relay.addr(), r.stderr)
				}
				if n := relay.accepted.Load(); n != 0 {
					t.Fatalf("the ws:// server got %d connections", n)
				}
				if strings.Contains(r.stderr, "retry_in") {
					t.Errorf("a refused downgrade was retried:\n%s", r.stderr)
				}
				return
			}
			if r.code != 0 {
				t.Fatalf("exit %d with --insecure:\n%s", r.code, r.stderr)
			}
			if relay.accepted.Load() == 0 {
				t.Fatal("recorded, but not through the ws:// server the API named")
			}
			samePayloads(t, notifications(t, exported(t, db, "555000111")), scenarioInFrames(t, testdata("scenario-short.jsonl")))
			wantLog := regexp.MustCompile(`level=INFO msg="[^"]*" .*ws_host=` + regexp.QuoteMeta(relay.addr()))
			if !wantLog.MatchString(r.stderr) {
				t.Errorf("no info line naming the WebSocket host %s:\n%s", relay.addr(), r.stderr)
			}
		})
	}
}
