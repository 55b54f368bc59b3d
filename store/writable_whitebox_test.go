package store

import (
	"errors"
	"path/filepath"
	"testing"
)

// TestCheckWritableAfterFailedCommit: once a commit has failed, every write
// fails with its error, and CheckWritable says so.
func TestCheckWritableAfterFailedCommit(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), "confrec.db"), &Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	failure := errors.New("commit to the test: disk full")
	db.failed.Store(&failure) // as commitLoop does
	if err := db.CheckWritable(); !errors.Is(err, failure) {
		t.Errorf("CheckWritable after a failed commit = %v, want its error", err)
	}
	if err := db.Close(); !errors.Is(err, failure) {
		t.Errorf("Close = %v, want the failed commit's error", err)
	}
}
