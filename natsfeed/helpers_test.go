package natsfeed

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/confrec/confrec/internal/natstest"
	"github.com/confrec/confrec/store"
)

// startNATS runs a NATS server with JetStream in this process, its store in
// dir, on port (0: any), until t ends or it is shut down.
func startNATS(t *testing.T, dir string, port int) *server.Server {
	t.Helper()
	return natstest.Start(t, dir, &natstest.Options{Port: port})
}

// natsPort is the port s listens on.
func natsPort(s *server.Server) int { return s.Addr().(*net.TCPAddr).Port }

// connect returns a JetStream client of url that reconnects for ever,
// closed when t ends.
func connect(t *testing.T, url string) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(url, nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := EnsureStream(t.Context(), js, 1); err != nil {
		t.Fatal(err)
	}
	return js
}

// openDB opens a new database, closed when t ends.
func openDB(t *testing.T, name string) *store.DB {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), name), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

var t0 = time.Date(2026, 12, 6, 9, 0, 0, 123456789, time.UTC)

// recordSession stores a session of meeting with frames, ended unless open.
func recordSession(t *testing.T, db *store.DB, meeting string, frames []store.Frame, open bool) {
	t.Helper()
	ctx := context.Background()
	start := t0
	if len(frames) > 0 {
		start = frames[0].Time.Add(-time.Millisecond)
	}
	id, err := db.BeginSession(ctx, meeting, store.Session{Start: start, URL: "wss://example/conn?confID=" + meeting, Attrs: map[string]string{"mode": "token"}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range frames {
		frames[i].Session = id
	}
	if err := db.Append(ctx, meeting, frames...); err != nil {
		t.Fatal(err)
	}
	if !open {
		end := start
		if len(frames) > 0 {
			end = frames[len(frames)-1].Time.Add(time.Millisecond)
		}
		if err := db.EndSession(ctx, meeting, id, end, store.SessionEnd{Reason: "meeting-ended", CloseCode: 1000}); err != nil {
			t.Fatal(err)
		}
	}
}

// textFrames returns n text frames from offset i.
func textFrames(i, n int) []store.Frame {
	fs := make([]store.Frame, n)
	for j := range fs {
		dir := store.In
		if (i+j)%5 == 0 {
			dir = store.Out
		}
		fs[j] = store.Frame{Time: t0.Add(time.Duration(i+j) * time.Millisecond), Dir: dir, Op: store.Text,
			Payload: fmt.Appendf(nil, `{"action":"HeartBeat","n":%d}`, i+j)}
	}
	return fs
}

// runArchiver runs an Archiver of js into db until t ends.
func runArchiver(t *testing.T, db *store.DB, js jetstream.JetStream, o ArchiverOptions) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	a := NewArchiver(db, js, o)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("archiver: %v", err)
		}
	})
}

// waitFrames waits until db holds n frames of meeting.
func waitFrames(t *testing.T, db *store.DB, meeting string, n uint64) store.Meeting {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		m, err := db.Meeting(meeting)
		if err == nil && m.Frames >= n {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("meeting %s: %d frames after 60 s (%v), want %d", meeting, m.Frames, err, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// frames reads every frame of meeting.
func frames(t *testing.T, db *store.DB, meeting string) []store.Frame {
	t.Helper()
	c, err := db.Frames(meeting, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var out []store.Frame
	for c.Next() {
		out = append(out, c.Frame())
	}
	if err := c.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
