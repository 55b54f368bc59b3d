package store_test

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/confrec/confrec/store"
)

// openFDs counts this process's open file descriptors on path (Linux).
func openFDs(t *testing.T, path string) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	n := 0
	for _, e := range ents {
		if l, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name())); err == nil && l == path {
			n++
		}
	}
	return n
}

// TestWriterWaitingDuringCompact: a writer that opened the database while
// Compact held it, and waited for the lock, writes into the compacted file
// that replaced it, not into the unlinked old one.
func TestWriterWaitingDuringCompact(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.db")
	bigMeetings(t, path)
	path, err := filepath.EvalSymlinks(path)
	if err != nil {
		t.Fatal(err)
	}
	type opened struct {
		db  *store.DB
		err error
	}
	ch := make(chan opened, 1)
	_, err = store.Compact(path, &store.CompactOptions{BeforeRename: func(string) error {
		held := openFDs(t, path)
		go func() {
			db, err := store.Open(path, &store.Options{LockTimeout: time.Minute})
			ch <- opened{db, err}
		}()
		// Wait until the writer has the old file open (and so waits for
		// its lock), then let Compact replace it.
		for openFDs(t, path) == held {
			runtime.Gosched()
		}
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	o := <-ch
	if o.err != nil {
		t.Fatal(o.err)
	}
	if err := o.db.Append(t.Context(), "keep", textFrame(10)); err != nil {
		t.Fatal(err)
	}
	if err := o.db.Close(); err != nil {
		t.Fatal(err)
	}
	db := openAt(t, path, &store.Options{ReadOnly: true})
	m, err := db.Meeting("keep")
	if err != nil || m.Frames != 11 {
		t.Fatalf("after the write: %+v, %v; want 11 frames: the writer wrote into the replaced file", m, err)
	}
}
