package cli

import (
	"bytes"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/confrec/confrec/confctl"
)

// headerSink is an HTTP server that notes the headers of every request it
// gets and answers that the meeting is not running.
type headerSink struct {
	mu   sync.Mutex
	seen []http.Header
}

func (s *headerSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.seen = append(s.seen, r.Header.Clone())
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusBadRequest)
	io.WriteString(w, `{"error_code":"`+confctl.MeetingNotRunningCode+`","error_msg":"conference not exist"}`)
}

func (s *headerSink) requests() []http.Header {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seen
}

// redirectFront is a token API in front of the stand-in service that
// redirects every request for path to sink (keeping path, adding a query)
// and passes the rest on. Over TLS it hands out wss:// URLs and returns the
// PEM file of its certificate.
func redirectFront(t *testing.T, target, path string, status int, useTLS bool, sink string) (url, ca string) {
	t.Helper()
	proxy := newProxy(t, target, func(b []byte) []byte {
		if useTLS {
			return bytes.ReplaceAll(b, []byte(`"wsURL":"ws://`), []byte(`"wsURL":"wss://`))
		}
		return b
	})
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == path {
			http.Redirect(w, r, sink+path+"?"+r.URL.RawQuery+"&moved=1", status)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	if !useTLS {
		ts.Start()
		t.Cleanup(ts.Close)
		return ts.URL, ""
	}
	ts.StartTLS()
	t.Cleanup(ts.Close)
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw})
	return ts.URL, writeFile(t, "ca.pem", string(certPEM))
}

// TestRecordRefusesTokenRedirects: a token API that redirects either token
// call, to another server and from https to http, gets no request followed:
// the redirect's target never sees the password or the control token, and
// record exits 1 at once with one line naming the refused redirect (its
// status and scheme://host, not its path or query).
func TestRecordRefusesTokenRedirects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		path   string
		status int
		tls    bool
	}{
		{"conf token 302", confctl.ConfTokenPath, http.StatusFound, false},
		{"conf token 307", confctl.ConfTokenPath, http.StatusTemporaryRedirect, false},
		{"ws token 307", confctl.WSTokenPath, http.StatusTemporaryRedirect, false},
		{"conf token https to http 302", confctl.ConfTokenPath, http.StatusFound, true},
		{"ws token https to http 308", confctl.WSTokenPath, http.StatusPermanentRedirect, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := startServe(t, serveEnv(), "--scenario", testdata("scenario-short.jsonl"), "--speed", "0")
			var sink headerSink
			sinkSrv := httptest.NewServer(&sink)
			t.Cleanup(sinkSrv.Close)
			api, ca := redirectFront(t, srv.URL, tt.path, tt.status, tt.tls, sinkSrv.URL)
			args := []string{"--db", filepath.Join(t.TempDir(), "rec.db"), "record", "--conf-id", "555000111", "--api-url", api}
			if ca != "" {
				args = append(args, "--ca-file", ca)
			}
			r := run(t, recordEnv(), args...)

			for i, h := range sink.requests() {
				t.Errorf("the redirect's target got request %d: X-Password %t, X-Conference-Authorization %t",
					i, h.Get("X-Password") != "", h.Get("X-Conference-Authorization") != "")
			}
			lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
			last := lines[len(lines)-1]
			want := fmt.Sprintf("HTTP %d redirect to %s refused", tt.status, sinkSrv.URL)
			if r.code != 1 || !strings.HasPrefix(last, "confrec: ") || !strings.Contains(last, want) {
				t.Fatalf("exit %d, last line %q: want exit 1 and a line with %q\n%s", r.code, last, want, r.stderr)
			}
			if strings.Contains(r.stderr, "moved") || strings.Contains(r.stderr, testPassword) {
				t.Errorf("the log quotes the redirect's query or the password:\n%s", r.stderr)
			}
			if strings.Contains(r.stderr, "retry_in") {
				t.Errorf("a refused redirect was retried:\n%s", r.stderr)
			}
		})
	}
}
