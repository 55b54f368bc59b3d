package store_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/confrec/confrec/store"
)

// TestHandleServesOtherRequests: a verb registered with Handle reaches its
// handler, with what the client sent after the line; snapshots and the
// refusal of unknown requests go on as before; DialRecorder finds the
// socket from the database's path.
func TestHandleServesOtherRequests(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", shortTemp(t))
	db := openAt(t, filepath.Join(t.TempDir(), "confrec.db"), nil)
	must(t, db.Append(context.Background(), "m1", textFrames(0, 3)...))
	srv, err := store.ListenSnapshotSocket(db, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv.Handle("ECHO", func(ctx context.Context, conn net.Conn, r *bufio.Reader, line string) {
		rest, _ := r.ReadString('\n')
		io.WriteString(conn, line+"|"+rest)
	})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { srv.Serve(ctx) })
	defer wg.Wait()
	defer cancel()

	ask := func(req string) string {
		t.Helper()
		conn, err := store.DialRecorder(ctx, db.Path())
		if err != nil {
			t.Fatalf("DialRecorder: %v", err)
		}
		defer conn.Close()
		io.WriteString(conn, req)
		b, _ := io.ReadAll(conn)
		return string(b)
	}
	tests := []struct{ req, want string }{
		{"ECHO one two\nbody\n", "ECHO one two|body\n"},
		{"ECHO\nx\n", "ECHO|x\n"},
		{"NOPE confrec/9\n", `ERR unknown request "NOPE confrec/9"`},
	}
	for _, tt := range tests {
		if got := ask(tt.req); !strings.HasPrefix(got, tt.want) {
			t.Errorf("answer to %q = %q, want it to begin %q", tt.req, got, tt.want)
		}
	}
	cp := filepath.Join(t.TempDir(), "copy.db")
	if err := store.FetchSnapshotFor(ctx, db.Path(), cp); err != nil {
		t.Fatalf("a snapshot beside a handler: %v", err)
	}

	if _, err := store.DialRecorder(ctx, filepath.Join(t.TempDir(), "other.db")); !errors.Is(err, store.ErrNoSnapshotServer) {
		t.Errorf("DialRecorder with no recorder = %v, want ErrNoSnapshotServer", err)
	}
}

func TestHandleRefusesSnapshotVerb(t *testing.T) {
	for _, verb := range []string{"SNAPSHOT", "", "TWO WORDS"} {
		t.Run(verb, func(t *testing.T) {
			t.Setenv("XDG_RUNTIME_DIR", shortTemp(t))
			db := openDB(t, nil)
			srv, err := store.ListenSnapshotSocket(db, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			defer func() {
				if recover() == nil {
					t.Errorf("Handle(%q) did not panic", verb)
				}
			}()
			srv.Handle(verb, func(context.Context, net.Conn, *bufio.Reader, string) {})
		})
	}
}
