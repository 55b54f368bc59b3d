package main

import (
	"encoding/json"
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestReadWhileRecordingSquatted: another local user who takes the socket's
// place before record starts — a socket at the old path beside the
// database, or the per-user directory in $TMPDIR made by them — does not
// stop reads: record serves where only its user can, and meetings reads
// while it records.
func TestReadWhileRecordingSquatted(t *testing.T) {
	t.Parallel()
	if os.Getuid() != 0 {
		t.Skip("needs root, to give files to another user")
	}
	const other = 65534 // nobody
	tests := []struct {
		name  string
		squat func(t *testing.T, base, db string)
		warn  string // what record warns about, if anything
	}{
		{"socket beside the database", func(t *testing.T, _, db string) {
			ln, err := net.Listen("unix", db+".sock")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { ln.Close() })
			if err := os.Chown(db+".sock", other, other); err != nil {
				t.Fatal(err)
			}
		}, ""},
		{"directory in $TMPDIR", func(t *testing.T, base, _ string) {
			d := filepath.Join(base, "tmp", "confrec-"+strconv.Itoa(os.Getuid()))
			if err := os.Mkdir(d, 0o777); err != nil {
				t.Fatal(err)
			}
			if err := os.Chown(d, other, other); err != nil {
				t.Fatal(err)
			}
		}, "belongs to another user"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// Short: a socket path must fit in 103 bytes.
			base, err := os.MkdirTemp("", "cq")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.RemoveAll(base) })
			for _, d := range []string{"tmp", "cache", "db"} {
				if err := os.Mkdir(filepath.Join(base, d), 0o700); err != nil {
					t.Fatal(err)
				}
			}
			env := []string{"TMPDIR=" + filepath.Join(base, "tmp"), "XDG_RUNTIME_DIR=", "XDG_CACHE_HOME=" + filepath.Join(base, "cache")}
			db := filepath.Join(base, "db", "rec.db")
			tt.squat(t, base, db)

			const id = "986512347"
			srv := startServe(t, serveEnv(), "--scenario", testdata("scenario-basic.jsonl"), "--speed", "1")
			rec := startRecord(t, append(recordEnv(), env...), `msg="meeting title"`, "--log-level", "debug", "--db", db, "record", "--conf-id", id, "--api-url", srv.URL)
			head := rec.logs.String()

			r := run(t, env, "--db", db, "meetings", "--format", "json")
			var rows []struct {
				ConfID string `json:"conf_id"`
				Frames int    `json:"frames"`
			}
			if err := json.Unmarshal([]byte(r.stdout), &rows); r.code != 0 || err != nil || len(rows) != 1 || rows[0].ConfID != id || rows[0].Frames == 0 {
				t.Errorf("meetings while recording: exit %d, %v\n%s\n%s", r.code, err, r.stdout, r.stderr)
			}

			warned := strings.Contains(head, "level=WARN")
			if tt.warn == "" && warned || tt.warn != "" && !strings.Contains(head, tt.warn) {
				t.Errorf("record's log, want a warning about %q only:\n%s", tt.warn, head)
			}
			sock := serving(head)
			if sock == "" || !strings.HasPrefix(sock, filepath.Join(base, "cache")+"/") && !strings.HasPrefix(sock, filepath.Join(base, "tmp")+"/") {
				t.Errorf("record serves on %q, want a socket in its own directory in %s", sock, base)
			}
			if err := rec.stop(os.Interrupt); err != nil {
				t.Fatalf("record after SIGINT: %v\n%s", err, rec.logs)
			}
			if _, err := os.Lstat(sock); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("socket after record exited: %v, want gone", err)
			}
			if fi, err := os.Lstat(db + ".sock"); tt.name == "socket beside the database" && (err != nil || fi.Mode().Type() != fs.ModeSocket) {
				t.Errorf("the squatter's socket: %v, %v; want it left alone", fi, err)
			}
		})
	}
}

// serving returns the socket record's debug log says it serves on.
func serving(logs string) string {
	for line := range strings.Lines(logs) {
		if strings.Contains(line, "serving snapshots to read commands") {
			if _, v, ok := strings.Cut(line, "socket="); ok {
				return strings.Trim(strings.TrimSpace(v), `"`)
			}
		}
	}
	return ""
}

// TestRecordWithoutSnapshotSocket: when every place for the socket is taken
// by another user, record says that reads must wait and records anyway.
func TestRecordWithoutSnapshotSocket(t *testing.T) {
	t.Parallel()
	if os.Getuid() != 0 {
		t.Skip("needs root, to give files to another user")
	}
	base, err := os.MkdirTemp("", "cq")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	for _, d := range []string{"tmp/confrec-" + strconv.Itoa(os.Getuid()), "cache/confrec", "db"} {
		if err := os.MkdirAll(filepath.Join(base, d), 0o700); err != nil {
			t.Fatal(err)
		}
		if d != "db" {
			if err := os.Chown(filepath.Join(base, d), 65534, 65534); err != nil {
				t.Fatal(err)
			}
		}
	}
	env := []string{"TMPDIR=" + filepath.Join(base, "tmp"), "XDG_RUNTIME_DIR=", "XDG_CACHE_HOME=" + filepath.Join(base, "cache")}
	db := filepath.Join(base, "db", "rec.db")
	const id = "986512347"
	srv := startServe(t, serveEnv(), "--scenario", testdata("scenario-basic.jsonl"), "--speed", "1")
	rec := startRecord(t, append(recordEnv(), env...), `msg="meeting title"`, "--db", db, "record", "--conf-id", id, "--api-url", srv.URL)
	if head := rec.logs.String(); !strings.Contains(head, "read commands cannot read this database until the recording ends") {
		t.Errorf("record does not say reads must wait:\n%s", head)
	}
	r := run(t, env, "--db", db, "meetings")
	if r.code != 1 || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 || !strings.Contains(r.stderr, "does not answer") {
		t.Errorf("meetings while recording without a socket: exit %d, %q; want exit 1 and one line", r.code, r.stderr)
	}
	if err := rec.stop(os.Interrupt); err != nil {
		t.Fatalf("record after SIGINT: %v\n%s", err, rec.logs)
	}
	if v := info(t, db, id); v.Frames == 0 || len(v.Sessions) != 1 || v.Sessions[0].Reason != "stopped" {
		t.Errorf("recorded %d frames, sessions %+v; want frames and one session, stopped", v.Frames, v.Sessions)
	}
}
