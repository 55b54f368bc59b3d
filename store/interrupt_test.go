package store_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/confrec/confrec/store"
)

// interruptDB writes a meeting "m" of n frames at a new path and returns it.
func interruptDB(t *testing.T, n int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "db")
	db, err := store.Open(path, &store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Append(t.Context(), "m", textFrames(0, n)...); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestContextEndsReads: once Options.Context is done, a cursor stops at its
// next chunk, and Verify, Meeting and WriteTo fail, with the context's error.
func TestContextEndsReads(t *testing.T) {
	t.Parallel()
	path := interruptDB(t, 5000)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	db := openAt(t, path, &store.Options{ReadOnly: true, Context: ctx})
	c, err := db.Frames("m", nil)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for c.Next() {
		if n++; n == 10 {
			cancel()
		}
	}
	if err := c.Err(); !errors.Is(err, context.Canceled) || n >= 5000 {
		t.Errorf("cursor after cancel: read %d of 5000 frames, err %v; want it stopped with context.Canceled", n, err)
	}
	if err := db.Verify("m"); !errors.Is(err, context.Canceled) {
		t.Errorf("Verify after cancel: %v", err)
	}
	if _, err := db.Meeting("m"); !errors.Is(err, context.Canceled) {
		t.Errorf("Meeting after cancel: %v", err)
	}
	if _, err := db.WriteTo(io.Discard); !errors.Is(err, context.Canceled) {
		t.Errorf("WriteTo after cancel: %v", err)
	}
}

// TestCompactInterrupted: a Compact whose Context is done, with and without
// Compress, returns its error, removes the new file and leaves the
// database byte for byte as it was.
func TestCompactInterrupted(t *testing.T) {
	t.Parallel()
	for _, compress := range []bool{false, true} {
		path := interruptDB(t, 20000)
		before, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err = store.Compact(path, &store.CompactOptions{Compress: compress, Context: ctx})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Compress %v: Compact with a cancelled context: %v, want context.Canceled", compress, err)
		}
		if _, err := os.Stat(path + store.CompactSuffix); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("Compress %v: the new file is left: %v", compress, err)
		}
		if after, err := os.ReadFile(path); err != nil || !bytes.Equal(after, before) {
			t.Errorf("Compress %v: the database changed (%v)", compress, err)
		}
	}
}

// cancelOnWrite is a writer that cancels a context at its nth write.
type cancelOnWrite struct {
	n, writes int
	cancel    context.CancelFunc
}

func (w *cancelOnWrite) Write(p []byte) (int, error) {
	if w.writes++; w.writes == w.n {
		w.cancel()
	}
	return len(p), nil
}

// TestWriteToCancelledMidCopy: a WriteTo whose Context is cancelled while
// it copies, in the first meta page, the second or the pages after them,
// fails with context.Canceled (bbolt words a meta page's write error
// without wrapping it).
func TestWriteToCancelledMidCopy(t *testing.T) {
	t.Parallel()
	path := interruptDB(t, 5000)
	for _, n := range []int{1, 2, 3} {
		ctx, cancel := context.WithCancel(t.Context())
		db := openAt(t, path, &store.Options{ReadOnly: true, Context: ctx})
		_, err := db.WriteTo(&cancelOnWrite{n: n, cancel: cancel})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled at write %d: %v, want context.Canceled", n, err)
		}
		cancel()
	}
}
