package cli

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/confrec/confrec/store"
)

// TestUndoImportAfterInterruptedBegin: an import interrupted while the
// store is still committing the session it began (BeginSession returned
// the interrupt, the request is already queued) leaves no meeting behind.
// Before, the meeting appeared after undoImport had listed the meetings,
// with one open session and no frames, and a second import of the file
// was refused ("already exists"). An interrupt at the very moment cannot
// be timed from outside the process, so undoImport is called here as the
// import commands call it, with a context done before the session began:
// the store then both queues the request and returns the context's error
// in some of the attempts.
func TestUndoImportAfterInterruptedBegin(t *testing.T) {
	t.Parallel()
	db, err := store.Open(filepath.Join(t.TempDir(), "rec.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	done, cancel := context.WithCancel(context.Background())
	cancel()
	t0 := time.Date(2025, 3, 18, 2, 0, 0, 0, time.UTC)
	interrupted := 0
	for i := range 300 {
		before, err := meetingIDs(db)
		if err != nil {
			t.Fatal(err)
		}
		id := fmt.Sprintf("m%d", i)
		if _, err := db.BeginSession(done, id, store.Session{Start: t0}); err == nil {
			continue // committed before the interrupt was seen: not the case here
		}
		interrupted++
		if err := undoImport(db, before, done.Err()); err != context.Canceled {
			t.Fatalf("undoImport: %v", err)
		}
		if err := db.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Meeting(id); err == nil {
			t.Fatalf("attempt %d: meeting %s is left after the undo (%d interrupted begins)", i, id, interrupted)
		}
	}
	if interrupted == 0 {
		t.Fatal("no BeginSession returned the interrupt")
	}
}
