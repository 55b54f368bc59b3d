package store_test

import (
	"bytes"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/confrec/confrec/store"
)

// t0 is the time the test frames start at. It has nanoseconds so that a
// store that kept only microseconds would be caught.
var t0 = time.Date(2025, 3, 18, 9, 20, 0, 123456789, time.UTC)

// openDB opens a new database in t.TempDir and closes it when t ends.
func openDB(t testing.TB, opts *store.Options) *store.DB {
	t.Helper()
	return openAt(t, filepath.Join(t.TempDir(), "confrec.db"), opts)
}

// openAt opens the database at path and closes it when t ends. Closing it
// earlier is fine: Close is idempotent.
func openAt(t testing.TB, path string, opts *store.Options) *store.DB {
	t.Helper()
	db, err := store.Open(path, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close(%s): %v", path, err)
		}
	})
	return db
}

// textFrame returns the i-th test frame: a text frame i milliseconds after t0,
// alternating direction.
func textFrame(i int) store.Frame {
	dir := store.In
	if i%2 == 1 {
		dir = store.Out
	}
	return store.Frame{
		Time:    t0.Add(time.Duration(i) * time.Millisecond),
		Dir:     dir,
		Op:      store.Text,
		Payload: fmt.Appendf(nil, `{"action":"HeartBeat","sequence":"%d"}`, i),
	}
}

// textFrames returns textFrame(from) .. textFrame(from+n-1).
func textFrames(from, n int) []store.Frame {
	out := make([]store.Frame, n)
	for i := range out {
		out[i] = textFrame(from + i)
	}
	return out
}

// readAll returns every frame the cursor for meeting and q yields.
func readAll(t testing.TB, db *store.DB, meeting string, q *store.Query) []store.Frame {
	t.Helper()
	c, err := db.Frames(meeting, q)
	if err != nil {
		t.Fatalf("Frames(%q): %v", meeting, err)
	}
	defer c.Close()
	var out []store.Frame
	for c.Next() {
		out = append(out, c.Frame())
	}
	if err := c.Err(); err != nil {
		t.Fatalf("Frames(%q) cursor: %v", meeting, err)
	}
	return out
}

// diffFrame describes how got differs from want, ignoring Seq, or returns "".
func diffFrame(want, got store.Frame) string {
	switch {
	case !want.Time.Equal(got.Time):
		return fmt.Sprintf("Time %s, want %s", got.Time.Format(time.RFC3339Nano), want.Time.Format(time.RFC3339Nano))
	case want.Session != got.Session:
		return fmt.Sprintf("Session %d, want %d", got.Session, want.Session)
	case want.Dir != got.Dir:
		return fmt.Sprintf("Dir %s, want %s", got.Dir, want.Dir)
	case want.Op != got.Op:
		return fmt.Sprintf("Op %s, want %s", got.Op, want.Op)
	case !bytes.Equal(want.Payload, got.Payload):
		return fmt.Sprintf("Payload %d bytes %.40q, want %d bytes %.40q", len(got.Payload), got.Payload, len(want.Payload), want.Payload)
	}
	return ""
}

// checkFrames fails t unless got holds want in order, numbered from firstSeq.
func checkFrames(t testing.TB, got, want []store.Frame, firstSeq uint64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d frames, want %d", len(got), len(want))
	}
	for i := range want {
		if seq := firstSeq + uint64(i); got[i].Seq != seq {
			t.Fatalf("frame %d: Seq %d, want %d", i, got[i].Seq, seq)
		}
		if d := diffFrame(want[i], got[i]); d != "" {
			t.Fatalf("frame %d (seq %d): %s", i, got[i].Seq, d)
		}
	}
}
