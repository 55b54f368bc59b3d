package store_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/confrec/confrec/store"
)

// The test binary, run with peerHelperEnv set, is a snapshot server or a
// bare client as another user (see peerHelper), for the peer checks.
const peerHelperEnv = "CONFREC_STORE_PEER_HELPER"

func init() {
	if what := os.Getenv(peerHelperEnv); what != "" {
		if err := runPeerHelper(what, os.Getenv("CONFREC_PEER_SOCK"), os.Getenv("CONFREC_PEER_DB")); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
}

// runPeerHelper is the helper process: "serve" opens the database at dbPath,
// serves its snapshots on sock, prints "ready" and serves until stdin is
// closed; "fetch" sends a snapshot request to sock and prints the answer's
// first line.
func runPeerHelper(what, sock, dbPath string) error {
	switch what {
	case "serve":
		db, err := store.Open(dbPath, nil)
		if err != nil {
			return err
		}
		defer db.Close()
		if err := db.Append(context.Background(), "m", textFrames(0, 3)...); err != nil {
			return err
		}
		if err := db.Flush(context.Background()); err != nil {
			return err
		}
		s, err := store.ListenSnapshots(db, sock, nil)
		if err != nil {
			return err
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- s.Serve(ctx) }()
		fmt.Println("ready")
		io.Copy(io.Discard, os.Stdin)
		cancel()
		return <-done
	case "fetch":
		c, err := net.Dial("unix", sock)
		if err != nil {
			return err
		}
		defer c.Close()
		if _, err := io.WriteString(c, "SNAPSHOT confrec/1\n"); err != nil {
			return err
		}
		line, err := bufio.NewReader(c).ReadString('\n')
		fmt.Printf("%q %v\n", line, err)
		return nil
	}
	return fmt.Errorf("unknown helper %q", what)
}

// peerSetup returns a copy of the test binary that any user can run, and a
// directory any user can write, both removed when t ends.
func peerSetup(t *testing.T) (exe, pub string) {
	t.Helper()
	needRoot(t)
	base := shortTemp(t)
	must(t, os.Chmod(base, 0o755))
	exe = filepath.Join(base, "store.test")
	b, err := os.ReadFile(os.Args[0])
	must(t, err)
	must(t, os.WriteFile(exe, b, 0o755))
	pub = filepath.Join(base, "pub")
	must(t, os.Mkdir(pub, 0o777))
	must(t, os.Chmod(pub, 0o777))
	return exe, pub
}

// peerCmd is the helper what as user uid.
func peerCmd(t *testing.T, exe, what string, uid uint32, sock, db string) *exec.Cmd {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, exe)
	cmd.Env = append(os.Environ(), peerHelperEnv+"="+what, "CONFREC_PEER_SOCK="+sock, "CONFREC_PEER_DB="+db)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: uid}}
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// TestSnapshotPeerRefusedByRecorder: a recorder answers only clients of its
// own user, by the kernel's word for who connected (SO_PEERCRED), even when
// the socket's mode would let another user in.
func TestSnapshotPeerRefusedByRecorder(t *testing.T) {
	exe, pub := peerSetup(t)
	db := openDB(t, nil)
	must(t, db.Append(context.Background(), "m", textFrames(0, 3)...))
	sock := filepath.Join(pub, "s.sock")
	s, err := store.ListenSnapshots(db, sock, nil)
	must(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	defer func() { cancel(); must(t, <-done) }()
	must(t, os.Chmod(sock, 0o666)) // as a careless umask or a squatter's plan might leave it

	for _, tt := range []struct {
		uid  uint32
		want string
	}{
		{0, `"OK `},
		{otherUID, `"ERR refused: this recorder serves only its own user, uid 0, not uid 65534\n"`},
	} {
		t.Run(fmt.Sprint("uid ", tt.uid), func(t *testing.T) {
			out, err := peerCmd(t, exe, "fetch", tt.uid, sock, "").CombinedOutput()
			if err != nil || !strings.HasPrefix(string(out), tt.want) {
				t.Errorf("a client of uid %d got %s (%v), want %s", tt.uid, out, err, tt.want)
			}
		})
	}
}

// TestSnapshotPeerRefusedByReader: a reader takes snapshots only from a
// server of its own user, by the kernel's word for who listens
// (SO_PEERCRED), even when the socket file is its own.
func TestSnapshotPeerRefusedByReader(t *testing.T) {
	exe, pub := peerSetup(t)
	for _, tt := range []struct {
		uid     uint32
		wantErr string // "" means the fetch succeeds
	}{
		{0, ""},
		{otherUID, "the server runs as uid 65534, not as this user (uid 0): refusing it"},
	} {
		t.Run(fmt.Sprint("uid ", tt.uid), func(t *testing.T) {
			dir := filepath.Join(pub, fmt.Sprint(tt.uid))
			must(t, os.Mkdir(dir, 0o777))
			must(t, os.Chmod(dir, 0o777))
			sock := filepath.Join(dir, "s.sock")
			cmd := peerCmd(t, exe, "serve", tt.uid, sock, filepath.Join(dir, "c.db"))
			stdin, err := cmd.StdinPipe()
			must(t, err)
			stdout, err := cmd.StdoutPipe()
			must(t, err)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			must(t, cmd.Start())
			defer func() {
				stdin.Close()
				if err := cmd.Wait(); err != nil {
					t.Errorf("server of uid %d: %v\n%s", tt.uid, err, stderr.String())
				}
			}()
			if line, err := bufio.NewReader(stdout).ReadString('\n'); line != "ready\n" {
				t.Fatalf("server of uid %d: %q, %v\n%s", tt.uid, line, err, stderr.String())
			}
			// The socket file is the reader's own: only the peer check is left.
			must(t, os.Chown(sock, 0, 0))

			dst := filepath.Join(t.TempDir(), "x.db")
			err = store.FetchSnapshot(context.Background(), sock, dst)
			if tt.wantErr == "" {
				must(t, err)
				checkFrames(t, readAll(t, openCopy(t, dst), "m", nil), textFrames(0, 3), 1)
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("FetchSnapshot from a server of uid %d: %v, want %q", tt.uid, err, tt.wantErr)
			}
			if _, err := os.Lstat(dst); err == nil {
				t.Error("the refused snapshot was written")
			}
		})
	}
}
