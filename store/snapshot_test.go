package store_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/confrec/confrec/store"
)

// openCopy opens the database file at path read-only and closes it when t ends.
func openCopy(t *testing.T, path string) *store.DB {
	t.Helper()
	return openAt(t, path, &store.Options{ReadOnly: true})
}

// serve starts a snapshot server for db with ListenSnapshotSocket and
// returns its socket path. The server is stopped and waited for when t ends.
func serve(t *testing.T, db *store.DB) string {
	t.Helper()
	s, err := store.ListenSnapshotSocket(db, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return s.Path()
}

func TestWriteTo(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, nil)
	must(t, db.Append(ctx, "m1", textFrames(0, 300)...))
	must(t, db.Append(ctx, "m2", textFrames(1000, 20)...))
	must(t, db.SetLabel("m1", "title", "weekly"))
	must(t, db.Flush(ctx))

	var buf bytes.Buffer
	n, err := db.WriteTo(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(buf.Len()) {
		t.Errorf("WriteTo returned %d, wrote %d bytes", n, buf.Len())
	}
	path := filepath.Join(t.TempDir(), "copy.db")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	cp := openCopy(t, path)
	for _, id := range []string{"m1", "m2"} {
		if err := cp.Verify(id); err != nil {
			t.Errorf("Verify(%s) of the copy: %v", id, err)
		}
	}
	checkFrames(t, readAll(t, cp, "m1", nil), textFrames(0, 300), 1)
	checkFrames(t, readAll(t, cp, "m2", nil), textFrames(1000, 20), 1)
	if m, err := cp.Meeting("m1"); err != nil || m.Labels["title"] != "weekly" {
		t.Errorf("copy's m1: %+v, %v", m.Labels, err)
	}
}

// TestSnapshotsWhileWriting: copies fetched over the socket while frames keep
// arriving each open, verify, and hold a prefix of the frames that includes
// every frame committed before the request.
func TestSnapshotsWhileWriting(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, &store.Options{NoSync: true})
	sock := serve(t, db)
	fi, err := os.Lstat(sock)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Type() != fs.ModeSocket || fi.Mode().Perm() != 0o600 {
		t.Errorf("socket %s: mode %v, want a socket, 0600", sock, fi.Mode())
	}

	const batch, batches = 37, 60
	var committed, sent atomic.Int64 // frames Append returned for / handed to Append
	writerDone := make(chan error, 1)
	stop := make(chan struct{})
	go func() {
		defer close(writerDone)
		for i := 0; i < batches; i++ {
			select {
			case <-stop:
				return
			default:
			}
			sent.Add(batch)
			if err := db.Append(ctx, "m", textFrames(i*batch, batch)...); err != nil {
				writerDone <- err
				return
			}
			committed.Add(batch)
		}
	}()

	const fetchers, fetches = 4, 5
	var wg sync.WaitGroup
	for g := range fetchers {
		wg.Go(func() {
			last := -1
			for i := range fetches {
				lo := committed.Load()
				dst := filepath.Join(t.TempDir(), "snap.db")
				if err := store.FetchSnapshot(ctx, sock, dst); err != nil {
					t.Errorf("fetcher %d, fetch %d: %v", g, i, err)
					return
				}
				hi := sent.Load()
				if fi, err := os.Stat(dst); err != nil || fi.Mode().Perm() != 0o600 {
					t.Errorf("copy %s: %v, %v; want mode 0600", dst, fi.Mode(), err)
				}
				cp, err := store.Open(dst, &store.Options{ReadOnly: true})
				if err != nil {
					t.Errorf("open copy: %v", err)
					return
				}
				got := 0
				if lo > 0 || hi > 0 {
					frames := readAllOrErr(cp, "m")
					got = len(frames)
					if err := cp.Verify("m"); err != nil && got > 0 {
						t.Errorf("Verify of copy with %d frames: %v", got, err)
					}
					if d := prefixDiff(frames); d != "" {
						t.Errorf("copy: %s", d)
					}
				}
				cp.Close()
				if int64(got) < lo || int64(got) > hi {
					t.Errorf("copy holds %d frames; %d were committed before the request, %d sent after it", got, lo, hi)
				}
				if got < last {
					t.Errorf("copy holds %d frames, fewer than the previous copy's %d", got, last)
				}
				last = got
			}
		})
	}
	wg.Wait()
	close(stop)
	if err := <-writerDone; err != nil {
		t.Fatal(err)
	}
}

// readAllOrErr reads every frame of meeting, or none when it does not exist yet.
func readAllOrErr(db *store.DB, meeting string) []store.Frame {
	c, err := db.Frames(meeting, nil)
	if err != nil {
		return nil
	}
	defer c.Close()
	var out []store.Frame
	for c.Next() {
		out = append(out, c.Frame())
	}
	return out
}

// prefixDiff says how frames differ from textFrames(0, len(frames)) numbered from 1.
func prefixDiff(frames []store.Frame) string {
	for i, f := range frames {
		if f.Seq != uint64(i+1) {
			return fmt.Sprintf("frame %d has Seq %d", i, f.Seq)
		}
		if d := diffFrame(textFrame(i), f); d != "" {
			return d
		}
	}
	return ""
}

// TestServeSnapshotsCleansUp: cancelling ctx removes the socket and ends a
// connection that never sends its request; Serve returns nil.
func TestServeSnapshotsCleansUp(t *testing.T) {
	db := openDB(t, nil)
	s, err := store.ListenSnapshotSocket(db, nil)
	if err != nil {
		t.Fatal(err)
	}
	sock := s.Path()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()

	idle, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	// The one accept loop takes connections in order: once a fetch dialled
	// later is answered, the idle connection is being served.
	if err := store.FetchSnapshot(ctx, sock, filepath.Join(t.TempDir(), "x.db")); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve after cancel: %v", err)
	}
	if _, err := os.Lstat(sock); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("socket still there after Serve returned: %v", err)
	}
	if b, err := io.ReadAll(idle); err != nil || len(b) > 0 {
		t.Errorf("idle connection: %q, %v; want closed by the server", b, err)
	}
	err = store.FetchSnapshot(context.Background(), sock, filepath.Join(t.TempDir(), "x.db"))
	if !errors.Is(err, store.ErrNoSnapshotServer) {
		t.Errorf("FetchSnapshot after Serve returned: %v, want ErrNoSnapshotServer", err)
	}
}

// TestListenSnapshotsExisting: what is at the socket path before listening.
func TestListenSnapshotsExisting(t *testing.T) {
	tests := []struct {
		name    string
		plant   func(t *testing.T, path string)
		wantErr string // "" means ListenSnapshots succeeds
	}{
		{"nothing", func(*testing.T, string) {}, ""},
		{"stale socket", func(t *testing.T, path string) {
			ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
			if err != nil {
				t.Fatal(err)
			}
			ln.SetUnlinkOnClose(false)
			ln.Close()
		}, ""},
		{"live socket", func(t *testing.T, path string) {
			ln, err := net.Listen("unix", path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { ln.Close() })
		}, "already serves"},
		{"regular file", func(t *testing.T, path string) {
			if err := os.WriteFile(path, []byte("keep me"), 0o600); err != nil {
				t.Fatal(err)
			}
		}, "not a socket"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := openDB(t, nil)
			sock := db.Path() + ".sock"
			tt.plant(t, sock)
			s, err := store.ListenSnapshots(db, sock, nil)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ListenSnapshots: %v, want an error with %q", err, tt.wantErr)
				}
				if _, err := os.Lstat(sock); err != nil {
					t.Errorf("what was at the socket path is gone: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- s.Serve(ctx) }()
			if err := store.FetchSnapshot(ctx, sock, filepath.Join(t.TempDir(), "x.db")); err != nil {
				t.Errorf("FetchSnapshot: %v", err)
			}
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Serve: %v", err)
			}
			if entries, _ := os.ReadDir(filepath.Dir(sock)); len(entries) != 1 { // only the database
				t.Errorf("left in the database's directory: %v", entries)
			}
		})
	}
}

// fakeServer listens on a unix socket in t.TempDir and runs answer on each
// connection after reading its request line. It is closed when t ends.
func fakeServer(t *testing.T, answer func(c net.Conn)) string {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "fake.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				if _, err := bufio.NewReader(c).ReadString('\n'); err != nil {
					return
				}
				answer(c)
			})
		}
	})
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	return sock
}

// TestFetchSnapshotBadServers: FetchSnapshot fails cleanly, leaving no file.
func TestFetchSnapshotBadServers(t *testing.T) {
	tests := []struct {
		name   string
		answer func(c net.Conn)
		want   string
		is     error
	}{
		{"error", func(c net.Conn) { io.WriteString(c, "ERR store is closed\n") }, "store is closed", nil},
		{"short", func(c net.Conn) { io.WriteString(c, "OK 100\n0123456789") }, "after 10 of 100 bytes", io.ErrUnexpectedEOF},
		{"long", func(c net.Conn) { io.WriteString(c, "OK 3\nabcdef") }, "more than the 3 bytes", nil},
		{"garbage", func(c net.Conn) { io.WriteString(c, "HTTP/1.1 400 Bad Request\r\n\r\n") }, "not a snapshot", nil},
		{"no answer", func(net.Conn) {}, "no answer", store.ErrNoSnapshotServer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sock := fakeServer(t, tt.answer)
			dir := t.TempDir()
			err := store.FetchSnapshot(context.Background(), sock, filepath.Join(dir, "x.db"))
			if err == nil || !strings.Contains(err.Error(), tt.want) || (tt.is != nil && !errors.Is(err, tt.is)) {
				t.Fatalf("FetchSnapshot: %v, want %q", err, tt.want)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("left behind: %v", entries)
			}
		})
	}
}

// TestFetchSnapshotCancel: cancelling ctx ends a fetch from a server that
// never answers.
func TestFetchSnapshotCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	asked := make(chan struct{})
	release := make(chan struct{})
	defer close(release)
	sock := fakeServer(t, func(net.Conn) {
		close(asked)
		<-release
	})
	done := make(chan error, 1)
	go func() { done <- store.FetchSnapshot(ctx, sock, filepath.Join(t.TempDir(), "x.db")) }()
	<-asked
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("FetchSnapshot after cancel: %v, want context.Canceled", err)
	}
}

func TestFetchSnapshotNoServer(t *testing.T) {
	dir := t.TempDir()
	stale := filepath.Join(dir, "stale.sock")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: stale, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false)
	ln.Close()
	notSock := filepath.Join(dir, "file.sock")
	must(t, os.WriteFile(notSock, nil, 0o600))
	for _, sock := range []string{filepath.Join(dir, "missing.sock"), stale, notSock} {
		err := store.FetchSnapshot(context.Background(), sock, filepath.Join(dir, "x.db"))
		if !errors.Is(err, store.ErrNoSnapshotServer) {
			t.Errorf("FetchSnapshot(%s): %v, want ErrNoSnapshotServer", filepath.Base(sock), err)
		}
	}
}

// TestRefusesUnknownRequest: the server answers another request with ERR.
func TestRefusesUnknownRequest(t *testing.T) {
	db := openDB(t, nil)
	c, err := net.Dial("unix", serve(t, db))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "SNAPSHOT confrec/9\n")
	b, err := io.ReadAll(c)
	if err != nil || !strings.HasPrefix(string(b), "ERR unknown request") {
		t.Errorf("answer %q, %v; want ERR unknown request", b, err)
	}
}
