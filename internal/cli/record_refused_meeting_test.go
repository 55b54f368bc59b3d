package cli

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// passwordFront is a token API in front of the stand-in service that
// refuses the host password for meeting refused, as a meeting in another
// room would, and passes everything else on.
func passwordFront(t *testing.T, target, refused string) string {
	t.Helper()
	proxy := newProxy(t, target, func(b []byte) []byte { return b })
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("conferenceID") == refused {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"error_code":"MMC.111070001","error_msg":"password error"}`)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	return ts.URL
}

// TestRecordReportsRefusedMeetingAtOnce: of two meetings, the one the token
// API refuses (a wrong password, a meeting not running) is logged at error
// level at once, while the other goes on recording; the final line names
// it, and record exits 1.
func TestRecordReportsRefusedMeetingAtOnce(t *testing.T) {
	t.Parallel()
	const good = "986512347"
	tests := []struct {
		name    string
		refused string
		why     string
	}{
		{"bad password", "555000111", "refused the host password"},
		{"not running", "123123123", "not running"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// The sample meeting at real speed lasts ten minutes: it is
			// still running when the test stops it.
			srv := startServe(t, serveEnv(), "--scenario", testdata("scenario-basic.jsonl"), "--speed", "1")
			api := passwordFront(t, srv.URL, "555000111")
			db := filepath.Join(t.TempDir(), "rec.db")
			rec := startRecord(t, recordEnv(), "level=ERROR",
				"--db", db, "record", "--conf-id", good, "--conf-id", tt.refused, "--api-url", api, "--heartbeat", "200ms")

			var errLine string
			for line := range strings.Lines(rec.logs.String()) {
				if strings.Contains(line, "level=ERROR") {
					errLine = line
					break
				}
			}
			if !strings.Contains(errLine, "meeting="+tt.refused) || !strings.Contains(errLine, tt.why) {
				t.Errorf("error line %q does not name meeting %s and %q", errLine, tt.refused, tt.why)
			}
			// The other meeting is still being recorded: frames from its
			// server (notifications, heartbeat replies) keep arriving.
			before := framesIn(t, db, good)
			for framesIn(t, db, good) <= before {
				if strings.Contains(rec.logs.String(), "recording ended") {
					t.Fatalf("meeting %s stopped recording:\n%s", good, rec.logs)
				}
				time.Sleep(50 * time.Millisecond)
			}

			err := rec.stop(os.Interrupt)
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 1 {
				t.Fatalf("record after SIGINT: %v, want exit 1\n%s", err, rec.logs)
			}
			logs := rec.logs.String()
			lines := strings.Split(strings.TrimRight(logs, "\n"), "\n")
			last := lines[len(lines)-1]
			if !strings.HasPrefix(last, "confrec: 1 of 2 meetings failed ("+tt.refused+"): ") || !strings.Contains(last, tt.refused) ||
				strings.Contains(last, good) {
				t.Errorf("last line %q: want the summary naming %s only", last, tt.refused)
			}
			if strings.Count(logs, "level=ERROR") != 1 {
				t.Errorf("want one error line:\n%s", logs)
			}
			if strings.Contains(logs, testPassword) {
				t.Error("record's log holds the password")
			}
			if v := info(t, db, good); len(v.Sessions) != 1 || v.Sessions[0].Reason != "stopped" {
				t.Errorf("meeting %s sessions %+v, want one, stopped", good, v.Sessions)
			}
		})
	}
}

// framesIn counts the frames meeting id's server sent that the database
// holds, 0 while it holds none.
func framesIn(t *testing.T, db, id string) int {
	t.Helper()
	r := run(t, nil, "--db", db, "info", id, "--format", "json")
	if r.code != 0 && strings.Contains(r.stderr, "meeting not found") {
		return 0
	}
	var v infoJSON
	if err := json.Unmarshal([]byte(r.stdout), &v); r.code != 0 || err != nil {
		t.Fatalf("info %s: exit %d, %v\n%s", id, r.code, err, r.stderr)
	}
	n := 0
	for _, a := range v.Actions {
		if a.Dir == "in" {
			n += a.Frames
		}
	}
	return n
}
