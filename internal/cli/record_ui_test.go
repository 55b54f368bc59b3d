package cli

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRecordUIUsage: a --ui other hosts may reach without a password, or
// one that does not parse, is a wrong command line (exit 2, one line
// naming the flag) before anything is recorded.
func TestRecordUIUsage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		flags []string
		want  string
	}{
		{"any_address", []string{"--ui", "0.0.0.0:8080"}, "--ui 0.0.0.0:8080 is not a loopback address"},
		{"host_name", []string{"--ui", "live.example.com:8080"}, "give --ui-password-file FILE (or $CONFREC_UI_PASSWORD)"},
		{"no_port", []string{"--ui", "127.0.0.1"}, "--ui \"127.0.0.1\": use HOST:PORT"},
		{"password_alone", []string{"--ui-password-file", "pw"}, "--ui-password-file needs --ui"},
	}
	for _, tt := range tests {
		db := filepath.Join(t.TempDir(), "rec.db")
		args := append([]string{"--db", db, "record", "--conf-id", "700300300", "--api-url", "http://127.0.0.1:1"}, tt.flags...)
		r := run(t, recordEnv(), args...)
		if r.code != 2 || !strings.Contains(r.stderr, tt.want) || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
			t.Errorf("%s: exit %d, want 2 and one line saying %q\n%s", tt.name, r.code, tt.want, r.stderr)
		}
		if _, err := os.Stat(db); err == nil {
			t.Errorf("%s: the database was created", tt.name)
		}
	}
}

// TestRecordUIPassword: with a password, from a file or the environment,
// the live page answers 401 to a request without it, or with another, and
// serves the page with it.
func TestRecordUIPassword(t *testing.T) {
	t.Parallel()
	const confID = "700300301"
	srv := startServe(t, serveEnv(), "--scenario", idleScenario(t, confID, 3), "--speed", "1")
	pwFile := writeFile(t, "ui-password", "ui-s3cret\n")
	for _, tt := range []struct {
		name  string
		env   []string
		flags []string
	}{
		{"file", recordEnv(), []string{"--ui-password-file", pwFile}},
		{"env", append(recordEnv(), envUIPassword+"=ui-s3cret"), nil},
	} {
		db := filepath.Join(t.TempDir(), "rec.db")
		args := append([]string{"--db", db, "record", "--conf-id", confID, "--api-url", srv.URL, "--heartbeat", "1h", "--ui", "127.0.0.1:0"}, tt.flags...)
		rec := startRecord(t, tt.env, `msg="serving live page"`, args...)
		m := uiURL.FindStringSubmatch(rec.logs.String())
		if m == nil || !strings.Contains(rec.logs.String(), "auth=true") {
			t.Fatalf("%s: record does not log its live page with auth:\n%s", tt.name, rec.logs)
		}
		for _, path := range []string{"", "events", "live.js", "report/" + confID} {
			if code, _ := httpGet(t, m[1]+path, "", ""); code != http.StatusUnauthorized {
				t.Errorf("%s: GET /%s without the password: %d, want 401", tt.name, path, code)
			}
			if code, _ := httpGet(t, m[1]+path, uiUser, "ui-s3cre"); code != http.StatusUnauthorized {
				t.Errorf("%s: GET /%s with another password: %d, want 401", tt.name, path, code)
			}
		}
		if code, body := httpGet(t, m[1], uiUser, "ui-s3cret"); code != http.StatusOK || !strings.Contains(body, "/live.js") {
			t.Errorf("%s: GET / with the password: %d\n%.200s", tt.name, code, body)
		}
		if err := rec.stop(os.Interrupt); err != nil {
			t.Fatalf("%s: record after SIGINT: %v\n%s", tt.name, err, rec.logs)
		}
	}
}
