package store_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/confrec/confrec/store"
)

// bigMeetings fills a database at path with a large meeting "big" and a
// small held one "keep", deletes "big", and returns the file's size.
func bigMeetings(t *testing.T, path string) int64 {
	t.Helper()
	db := openAt(t, path, &store.Options{NoSync: true})
	ctx := t.Context()
	frames := make([]store.Frame, 2000)
	for i := range frames {
		frames[i] = textFrame(i)
		frames[i].Payload = bytes.Repeat([]byte{'x'}, 1024)
	}
	if err := db.Append(ctx, "big", frames...); err != nil {
		t.Fatal(err)
	}
	if err := db.Append(ctx, "keep", textFrames(0, 10)...); err != nil {
		t.Fatal(err)
	}
	if err := db.SetHold(ctx, "keep", store.Hold{Reason: "case 7", By: "bob"}); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteMeeting(ctx, "big"); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return fileSize(t, path)
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// checkKept opens path and checks that it holds only the held meeting, intact.
func checkKept(t *testing.T, path string) {
	t.Helper()
	db := openAt(t, path, &store.Options{ReadOnly: true})
	ms, err := db.Meetings()
	if err != nil || len(ms) != 1 || ms[0].ID != "keep" || ms[0].Frames != 10 || ms[0].Hold == nil || ms[0].Hold.Reason != "case 7" {
		t.Fatalf("meetings in %s: %+v, %v; want only the held meeting keep with 10 frames", path, ms, err)
	}
	if err := db.Verify("keep"); err != nil {
		t.Fatal(err)
	}
	db.Close()
}

func TestCompactShrinks(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.db")
	before := bigMeetings(t, path)
	res, err := store.Compact(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	after := fileSize(t, path)
	if res.Before != before || res.After != after || after*4 > before {
		t.Errorf("Compact: %+v, file %d -> %d bytes; want it to shrink to under a quarter", res, before, after)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("compacted file: %v, %v; want mode 0600", fi, err)
	}
	if _, err := os.Stat(path + store.CompactSuffix); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("new file left behind: %v", err)
	}
	checkKept(t, path)
	// The compacted database takes writes.
	db := openAt(t, path, nil)
	if err := db.Append(t.Context(), "keep", textFrame(10)); err != nil {
		t.Fatal(err)
	}
	if err := db.Verify("keep"); err != nil {
		t.Fatal(err)
	}
}

// TestCompactCrash: a compaction stopped at any step leaves the original
// database intact, and the next compaction removes what it left.
func TestCompactCrash(t *testing.T) {
	stop := errors.New("crash")
	tests := []struct {
		name  string
		setup func(t *testing.T, path string) *store.CompactOptions
	}{
		{"before rename", func(t *testing.T, path string) *store.CompactOptions {
			return &store.CompactOptions{BeforeRename: func(tmp string) error {
				// What a kill -9 at this point leaves: a complete new file
				// beside the original. Keep a copy to put back after
				// Compact's own cleanup.
				b, err := os.ReadFile(tmp)
				if err != nil {
					t.Fatal(err)
				}
				leftover = b
				return stop
			}}
		}},
		{"half-written leftover", func(t *testing.T, path string) *store.CompactOptions {
			leftover = []byte("not a database at all, cut short")
			return &store.CompactOptions{BeforeRename: func(string) error { return stop }}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c.db")
			before := bigMeetings(t, path)
			orig, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			leftover = nil
			if _, err := store.Compact(path, tt.setup(t, path)); !errors.Is(err, stop) {
				t.Fatalf("Compact with a failing hook: %v", err)
			}
			if now, err := os.ReadFile(path); err != nil || !bytes.Equal(now, orig) || int64(len(now)) != before {
				t.Fatalf("the original changed: %v", err)
			}
			// Put back what a crash would have left, then compact again.
			if err := os.WriteFile(path+store.CompactSuffix, leftover, 0o600); err != nil {
				t.Fatal(err)
			}
			checkKept(t, path)
			if _, err := store.Compact(path, nil); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(path + store.CompactSuffix); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("leftover still there: %v", err)
			}
			if after := fileSize(t, path); after*4 > before {
				t.Errorf("file %d -> %d bytes", before, after)
			}
			checkKept(t, path)
		})
	}
}

var leftover []byte

func TestCompactRefusesLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.db")
	db := openAt(t, path, nil)
	if err := db.Append(t.Context(), "m", textFrame(0)); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Compact(path, &store.CompactOptions{LockTimeout: -1}); !errors.Is(err, store.ErrLocked) {
		t.Fatalf("Compact of an open database: %v, want ErrLocked", err)
	}
	if _, err := os.Stat(path + store.CompactSuffix); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("new file created: %v", err)
	}
}

func TestCompactFollowsSymlink(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "real.db")
	bigMeetings(t, path)
	link := filepath.Join(dir, "link.db")
	if err := os.Symlink("real.db", link); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Compact(link, nil); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced: %v, %v", fi, err)
	}
	checkKept(t, path)
}

func TestCompactMissing(t *testing.T) {
	if _, err := store.Compact(filepath.Join(t.TempDir(), "none.db"), nil); !errors.Is(err, store.ErrNoDatabase) {
		t.Errorf("Compact of no file: %v, want ErrNoDatabase", err)
	}
}
