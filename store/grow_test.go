package store_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/confrec/confrec/store"
)

// TestFileGrowth checks how the file grows while the writer maps far more
// than it holds: a small database stays small (it grows by doubling, so a
// file size limit stops it late, not at its first commit), and a large one
// grows at most 16 MiB past its data while it is open; Close cuts that room
// off. The database then opens and takes more frames.
func TestFileGrowth(t *testing.T) {
	tests := []struct {
		name     string
		frames   int
		payload  int
		maxBytes int64 // the file's size at most, after Close
	}{
		{"one frame", 1, 100, 64 << 10},
		{"100 KiB", 1000, 100, 256 << 10},
		{"8 MiB", 2000, 4 << 10, 8<<20 + 1<<20},
		{"40 MiB", 10000, 4 << 10, 40<<20 + 3<<20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "confrec.db")
			db := openAt(t, path, &store.Options{NoSync: true})
			frames := textFrames(0, tt.frames)
			for i := range frames {
				frames[i].Payload = bytes.Repeat([]byte{'a' + byte(i%26)}, tt.payload)
			}
			if err := db.Append(context.Background(), "4711", frames...); err != nil {
				t.Fatal(err)
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Size() > tt.maxBytes {
				t.Errorf("%d frames of %d bytes: file is %d bytes, want at most %d", tt.frames, tt.payload, fi.Size(), tt.maxBytes)
			}
			db = openAt(t, path, &store.Options{NoSync: true})
			more := textFrame(tt.frames)
			if err := db.Append(context.Background(), "4711", more); err != nil {
				t.Fatal(err)
			}
			if got := readAll(t, db, "4711", nil); len(got) != tt.frames+1 {
				t.Errorf("%d frames read back, want %d", len(got), tt.frames+1)
			}
			if err := db.Verify("4711"); err != nil {
				t.Error(err)
			}
		})
	}
}
