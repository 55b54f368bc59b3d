package store_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/confrec/confrec/store"
)

// otherUID is a user that is not the tests' (nobody).
const otherUID = 65534

// shortTemp is a new directory directly in os.TempDir(), removed when t
// ends: t.TempDir() names are too long to leave room for a socket path.
func shortTemp(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "cs")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// needRoot skips t unless it runs as root, which CI does.
func needRoot(t *testing.T) {
	t.Helper()
	if os.Getuid() != 0 {
		t.Skip("needs root, to act as another user")
	}
}

// squatSocket listens on a unix socket at path owned by another user, as a
// squatter would, until t ends.
func squatSocket(t *testing.T, path string) {
	t.Helper()
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	if os.Getuid() == 0 {
		must(t, os.Chown(path, otherUID, otherUID))
	}
	must(t, os.Chmod(path, 0o777))
}

// TestSnapshotSocketPrivate: the recorder's socket goes into the first
// directory that is this user's alone, passing over one another user made
// or could have made, and readers find it there, also with another
// $XDG_RUNTIME_DIR; the old predictable socket paths, held by a squatter,
// change nothing.
func TestSnapshotSocketPrivate(t *testing.T) {
	uid := strconv.Itoa(os.Getuid())
	tests := []struct {
		name    string
		root    bool
		runtime bool                                // set $XDG_RUNTIME_DIR
		plant   func(t *testing.T, base, db string) // before the recorder listens
		wantDir string                              // relative to base
		warned  bool
	}{
		{name: "runtime dir", runtime: true, wantDir: "run/confrec"},
		{name: "temp dir", wantDir: "tmp/confrec-" + uid},
		{name: "temp dir already ours", plant: func(t *testing.T, base, _ string) {
			must(t, os.Mkdir(filepath.Join(base, "tmp/confrec-"+uid), 0o700))
		}, wantDir: "tmp/confrec-" + uid},
		{name: "temp dir of another user", root: true, plant: func(t *testing.T, base, _ string) {
			d := filepath.Join(base, "tmp/confrec-"+uid)
			must(t, os.Mkdir(d, 0o777))
			must(t, os.Chmod(d, 0o777))
			must(t, os.Chown(d, otherUID, otherUID))
		}, wantDir: "cache/confrec", warned: true},
		{name: "temp dir open to others", plant: func(t *testing.T, base, _ string) {
			d := filepath.Join(base, "tmp/confrec-"+uid)
			must(t, os.Mkdir(d, 0o700))
			must(t, os.Chmod(d, 0o755))
		}, wantDir: "cache/confrec", warned: true},
		{name: "temp dir a symbolic link", plant: func(t *testing.T, base, _ string) {
			must(t, os.Mkdir(filepath.Join(base, "elsewhere"), 0o700))
			must(t, os.Symlink(filepath.Join(base, "elsewhere"), filepath.Join(base, "tmp/confrec-"+uid)))
		}, wantDir: "cache/confrec", warned: true},
		{name: "temp dir a file", plant: func(t *testing.T, base, _ string) {
			must(t, os.WriteFile(filepath.Join(base, "tmp/confrec-"+uid), nil, 0o600))
		}, wantDir: "cache/confrec", warned: true},
		{name: "old socket paths squatted", plant: func(t *testing.T, base, db string) {
			squatSocket(t, db+".sock")
			real, err := filepath.EvalSymlinks(db)
			must(t, err)
			sum := sha256.Sum256([]byte(real))
			squatSocket(t, filepath.Join(base, "tmp", "confrec-"+hex.EncodeToString(sum[:12])+".sock"))
		}, wantDir: "tmp/confrec-" + uid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.root {
				needRoot(t)
			}
			base := shortTemp(t)
			for _, d := range []string{"tmp", "run", "run2", "cache", "db"} {
				must(t, os.Mkdir(filepath.Join(base, d), 0o700))
			}
			t.Setenv("TMPDIR", filepath.Join(base, "tmp"))
			t.Setenv("XDG_CACHE_HOME", filepath.Join(base, "cache"))
			t.Setenv("XDG_RUNTIME_DIR", "")
			if tt.runtime {
				t.Setenv("XDG_RUNTIME_DIR", filepath.Join(base, "run"))
			}
			db := openAt(t, filepath.Join(base, "db", "c.db"), nil)
			must(t, db.Append(context.Background(), "m", textFrames(0, 5)...))
			if tt.plant != nil {
				tt.plant(t, base, db.Path())
			}

			var logs bytes.Buffer
			s, err := store.ListenSnapshotSocket(db, slog.New(slog.NewTextHandler(&logs, nil)))
			if err != nil {
				t.Fatalf("ListenSnapshotSocket: %v", err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- s.Serve(ctx) }()
			defer func() { cancel(); must(t, <-done) }()

			sock := s.Path()
			if want := filepath.Join(base, tt.wantDir); filepath.Dir(sock) != want {
				t.Errorf("socket %s, want it in %s", sock, want)
			}
			if got := store.SnapshotSocket(db.Path()); got != sock {
				t.Errorf("SnapshotSocket = %s, the recorder serves on %s", got, sock)
			}
			if len(sock) > 103 {
				t.Errorf("socket path %s is %d bytes, longer than a unix socket takes", sock, len(sock))
			}
			fi, err := os.Lstat(filepath.Dir(sock))
			if err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o700 || fi.Sys().(*syscall.Stat_t).Uid != uint32(os.Getuid()) {
				t.Errorf("socket directory %v, %v; want ours, mode 0700", fi, err)
			}
			if fi, err := os.Lstat(sock); err != nil || fi.Mode().Type() != fs.ModeSocket || fi.Mode().Perm() != 0o600 {
				t.Errorf("socket %v, %v; want a socket, mode 0600", fi, err)
			}
			if warned := strings.Contains(logs.String(), "level=WARN"); warned != tt.warned {
				t.Errorf("warned %v, want %v:\n%s", warned, tt.warned, logs.String())
			}
			if entries, _ := os.ReadDir(filepath.Join(base, "elsewhere")); len(entries) != 0 {
				t.Errorf("created through the symbolic link: %v", entries)
			}

			dst := filepath.Join(t.TempDir(), "x.db")
			must(t, store.FetchSnapshotFor(ctx, db.Path(), dst))
			checkFrames(t, readAll(t, openCopy(t, dst), "m", nil), textFrames(0, 5), 1)
			if tt.runtime {
				return
			}
			// A reader with a runtime directory of its own still finds it.
			t.Setenv("XDG_RUNTIME_DIR", filepath.Join(base, "run2"))
			dst = filepath.Join(t.TempDir(), "x.db")
			must(t, store.FetchSnapshotFor(ctx, db.Path(), dst))
			checkFrames(t, readAll(t, openCopy(t, dst), "m", nil), textFrames(0, 5), 1)
		})
	}
}
