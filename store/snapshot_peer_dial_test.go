package store_test

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/confrec/confrec/store"
)

// TestDialRecorderRefusesOtherUser: a server of another user at the very
// place a reader looks for its recorder (its socket moved there and given
// to the reader's user, as only root could, so that nothing but the
// kernel's word on the peer is left) gets no connection: DialRecorder
// refuses it before a query, and the key files it carries, could be sent.
func TestDialRecorderRefusesOtherUser(t *testing.T) {
	exe, pub := peerSetup(t)
	rt := shortTemp(t)
	t.Setenv("XDG_RUNTIME_DIR", rt)
	dbPath := filepath.Join(t.TempDir(), "rec.db")
	want := store.SnapshotSocket(dbPath)
	if !strings.HasPrefix(want, filepath.Join(rt, "confrec")+"/") {
		t.Fatalf("the reader looks first at %s, not in $XDG_RUNTIME_DIR", want)
	}
	must(t, os.Mkdir(filepath.Dir(want), 0o700))

	dir := filepath.Join(pub, "other")
	must(t, os.Mkdir(dir, 0o777))
	must(t, os.Chmod(dir, 0o777))
	sock := filepath.Join(dir, "s.sock")
	cmd := peerCmd(t, exe, "serve", otherUID, sock, filepath.Join(dir, "c.db"))
	stdin, err := cmd.StdinPipe()
	must(t, err)
	stdout, err := cmd.StdoutPipe()
	must(t, err)
	must(t, cmd.Start())
	defer func() { stdin.Close(); cmd.Wait() }()
	if line, err := bufio.NewReader(stdout).ReadString('\n'); line != "ready\n" {
		t.Fatalf("server of uid %d: %q, %v", otherUID, line, err)
	}
	must(t, os.Rename(sock, want))
	must(t, os.Chown(want, 0, 0))

	conn, err := store.DialRecorder(context.Background(), dbPath)
	if err == nil {
		conn.Close()
		t.Fatal("DialRecorder connected to a server of another user")
	}
	if !strings.Contains(err.Error(), "the server runs as uid 65534, not as this user (uid 0): refusing it") || strings.Contains(err.Error(), "\n") {
		t.Errorf("DialRecorder to a server of another user: %v", err)
	}
}
