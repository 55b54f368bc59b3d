package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestUsageErrors: a bad command line exits 2 with a one-line error naming
// the problem; a failure at run time exits 1.
func TestUsageErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	notDB := filepath.Join(dir, "notes.txt")
	os.WriteFile(notDB, []byte("hello, not a database\n"), 0o600)
	missing := filepath.Join(dir, "missing.db")
	tests := []struct {
		name string
		env  []string
		args []string
		code int
		want string
	}{
		{"unknown command", nil, []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{"unknown flag", nil, []string{"record", "--bogus"}, 2, "flag provided but not defined: -bogus"},
		{"unknown subcommand", nil, []string{"export", "bogus"}, 2, `unknown command "confrec export bogus"`},
		{"bad log level", nil, []string{"--log-level", "loud", "--db", missing, "meetings"}, 2, `--log-level "loud"`},
		{"record without anything", nil, []string{"--db", missing, "record"}, 2, "record needs --conf-id"},
		{"record without meeting", recordEnv(), []string{"--db", missing, "record"}, 2, "record needs --conf-id"},
		{"record without password", nil, []string{"--db", missing, "record", "--conf-id", "1"}, 2, "needs the host password"},
		{"record bad heartbeat", recordEnv(), []string{"--db", missing, "record", "--conf-id", "1", "--heartbeat", "soon"}, 2, "heartbeat"},
		{"record empty conf id", recordEnv(), []string{"--db", missing, "record", "--conf-id", ""}, 2, "invalid meeting ID"},
		{"record same meeting twice", recordEnv(), []string{"--db", missing, "record", "--conf-id", "1", "--conf-id", "2", "--conf-id", "1", "--api-url", "http://127.0.0.1:1"}, 2, "--conf-id 1 is given twice"},
		{"record api-url not http", recordEnv(), []string{"--db", missing, "record", "--conf-id", "1", "--api-url", "ftp://127.0.0.1/"}, 2, "give an http:// or https:// URL"},
		{"ws-url without tmpToken", nil, []string{"--db", missing, "record", "--ws-url", "ws://127.0.0.1:1/x?confID=1"}, 2, "tmpToken"},
		{"meetings bad format", nil, []string{"--db", missing, "meetings", "--format", "xml"}, 2, `--format "xml"`},
		{"export no id", nil, []string{"--db", missing, "export", "frames"}, 2, "exactly one CONFID"},
		{"export bad dir", nil, []string{"--db", missing, "export", "frames", "1", "--dir", "sideways"}, 2, `--dir "sideways"`},
		{"replay serve bad speed", nil, []string{"replay", "serve", "--scenario", "x", "--speed", "-1"}, 2, "--speed"},
		{"missing database", nil, []string{"--db", missing, "meetings"}, 1, "no database at this path"},
		{"not a database", nil, []string{"--db", notDB, "meetings"}, 1, "not a confrec database"},
		{"database is a directory", nil, []string{"--db", dir, "meetings"}, 1, "is a directory"},
		{"recorder-id without nats", recordEnv(), []string{"--db", missing, "record", "--conf-id", "1", "--recorder-id", "a"}, 2, "--recorder-id names this recorder in what it publishes to NATS: give --nats too"},
		{"trim without nats", recordEnv(), []string{"--db", missing, "record", "--conf-id", "1", "--nats-trim-after", "1h"}, 2, "--nats-trim-after deletes what NATS holds: give --nats too"},
		{"nats not a url", recordEnv(), []string{"--db", missing, "record", "--conf-id", "1", "--nats", "http://127.0.0.1:4222"}, 2, `--nats: "http://127.0.0.1:4222" is not a nats:// or tls:// URL`},
		{"nats url with a password", recordEnv(), []string{"--db", missing, "record", "--conf-id", "1", "--nats", "nats://u:secret-pw@127.0.0.1:4222"}, 2, "--nats: put no user or password in the URL"},
		{"bad recorder id", recordEnv(), []string{"--db", missing, "record", "--conf-id", "1", "--nats", "nats://127.0.0.1:4222", "--recorder-id", "a b"}, 2, "--recorder-id: recorder ID"},
		{"nats token in clear beyond the host", append(recordEnv(), "CONFREC_NATS_TOKEN=tok-s3cret"), []string{"--db", missing, "record", "--conf-id", "1", "--nats", "nats://10.1.2.3:4222"}, 2, "--nats: nats://10.1.2.3:4222 would carry the NATS token in clear text beyond this host: use tls://"},
		{"archive without nats", nil, []string{"--db", missing, "archive"}, 2, "give --nats URLS"},
		{"missing scenario", nil, []string{"replay", "serve", "--scenario", filepath.Join(dir, "none.jsonl")}, 1, "open scenario"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, tt.env, tt.args...)
			if r.code != tt.code {
				t.Errorf("exit %d, want %d\nstderr: %s", r.code, tt.code, r.stderr)
			}
			if !strings.Contains(r.stderr, tt.want) {
				t.Errorf("stderr %q does not say %q", r.stderr, tt.want)
			}
			if n := strings.Count(strings.TrimSpace(r.stderr), "\n"); n > 0 {
				t.Errorf("error takes %d lines, want one:\n%s", n+1, r.stderr)
			}
		})
	}
	if _, err := os.Stat(missing); err == nil {
		t.Error("a failed command created the database")
	}
}
