package store_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/confrec/confrec/store"
)

func TestOpenCreatesFileMode0600(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new.db")
	db := openAt(t, path, nil)
	if db.Path() != path {
		t.Errorf("Path() = %q, want %q", db.Path(), path)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("mode %v, want 0600", perm)
	}
}

func TestReopenKeepsEverything(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "confrec.db")
	db := openAt(t, path, nil)

	const meeting = "986512347"
	sid, err := db.BeginSession(ctx, meeting, store.Session{
		Start:      t0,
		URL:        "wss://meeting-ws.example.invalid/conn?confID=986512347&tmpToken=[redacted]",
		RemoteAddr: "192.0.2.7:443",
		Extensions: []string{"permessage-deflate"},
		Attrs:      map[string]string{"role": "chair"},
	})
	if err != nil {
		t.Fatal(err)
	}
	frames := textFrames(0, 20)
	for i := range frames {
		frames[i].Session = sid
	}
	if err := db.Append(ctx, meeting, frames...); err != nil {
		t.Fatal(err)
	}
	if err := db.EndSession(ctx, meeting, sid, t0.Add(time.Minute), store.SessionEnd{Reason: "meeting-ended", CloseCode: 1000, CloseReason: "bye"}); err != nil {
		t.Fatal(err)
	}
	if err := db.SetLabel(meeting, "title", "Q1 Roadmap Sync"); err != nil {
		t.Fatal(err)
	}
	if err := db.Append(ctx, "other", textFrames(100, 3)...); err != nil {
		t.Fatal(err)
	}
	before, err := db.Meeting(meeting)
	if err != nil {
		t.Fatal(err)
	}
	beforeAll, err := db.Meetings()
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	for _, readOnly := range []bool{false, true} {
		db := openAt(t, path, &store.Options{ReadOnly: readOnly})
		after, err := db.Meeting(meeting)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(after, before) {
			t.Errorf("ReadOnly=%v: after reopen\n%+v\nwant\n%+v", readOnly, after, before)
		}
		afterAll, err := db.Meetings()
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(afterAll, beforeAll) {
			t.Errorf("ReadOnly=%v: Meetings after reopen\n%+v\nwant\n%+v", readOnly, afterAll, beforeAll)
		}
		checkFrames(t, readAll(t, db, meeting, nil), frames, 1)
		if err := db.Verify(meeting); err != nil {
			t.Errorf("ReadOnly=%v: Verify: %v", readOnly, err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if before.Frames != 20 || before.SessionCount != 1 || before.Labels["title"] != "Q1 Roadmap Sync" || len(before.Sessions) != 1 {
		t.Errorf("meeting before reopen: %+v", before)
	}
	if len(beforeAll) != 2 || beforeAll[0].ID != meeting || beforeAll[1].ID != "other" {
		t.Errorf("Meetings: %+v, want %q and %q in ID order", beforeAll, meeting, "other")
	}
}

// writeBolt creates a bbolt file at path and runs fn in one update.
func writeBolt(t *testing.T, path string, fn func(tx *bolt.Tx) error) {
	t.Helper()
	bdb, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := bdb.Update(fn); err != nil {
		t.Fatal(err)
	}
	if err := bdb.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestOpenRejects(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, path string)
		// want is the sentinel the error must match; nil: any error.
		want error
	}{
		{
			name:  "directory",
			setup: func(t *testing.T, path string) { must(t, os.Mkdir(path, 0o700)) },
		},
		{
			name:  "short_text_file",
			setup: func(t *testing.T, path string) { must(t, os.WriteFile(path, []byte("not a bbolt file\n"), 0o600)) },
			want:  store.ErrNotConfrec,
		},
		{
			name: "long_text_file",
			setup: func(t *testing.T, path string) {
				must(t, os.WriteFile(path, []byte(strings.Repeat("not a bbolt file\n", 4096)), 0o600))
			},
			want: store.ErrNotConfrec,
		},
		{
			name: "bbolt_with_foreign_buckets",
			setup: func(t *testing.T, path string) {
				writeBolt(t, path, func(tx *bolt.Tx) error {
					b, err := tx.CreateBucket([]byte("widgets"))
					if err != nil {
						return err
					}
					return b.Put([]byte("a"), []byte("b"))
				})
			},
			want: store.ErrNotConfrec,
		},
		{
			name: "confrec_format_from_the_future",
			setup: func(t *testing.T, path string) {
				writeBolt(t, path, func(tx *bolt.Tx) error {
					b, err := tx.CreateBucket(store.RootBucket)
					if err != nil {
						return err
					}
					return b.Put([]byte("format"), []byte("2"))
				})
			},
			want: store.ErrNotConfrec,
		},
	}
	for _, tt := range tests {
		for _, readOnly := range []bool{false, true} {
			name := tt.name
			if readOnly {
				name += "/read_only"
			}
			t.Run(name, func(t *testing.T) {
				path := filepath.Join(t.TempDir(), "x.db")
				tt.setup(t, path)
				before, err := os.ReadFile(path)
				isDir := err != nil
				db, err := store.Open(path, &store.Options{ReadOnly: readOnly})
				if err == nil {
					db.Close()
					t.Fatal("Open succeeded, want an error")
				}
				if tt.want != nil && !errors.Is(err, tt.want) {
					t.Fatalf("Open: %v, want %v", err, tt.want)
				}
				if !isDir {
					after, err := os.ReadFile(path)
					must(t, err)
					if string(after) != string(before) {
						t.Error("Open changed a file it rejected")
					}
				}
			})
		}
	}
}

func TestOpenReadOnlyMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing.db")
	db, err := store.Open(path, &store.Options{ReadOnly: true})
	if !errors.Is(err, store.ErrNoDatabase) {
		if err == nil {
			db.Close()
		}
		t.Fatalf("Open: %v, want ErrNoDatabase", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("read-only Open created the file (stat: %v)", err)
	}
}

// TestOpenReadOnlyEmpty: an empty file is not a database to read (a
// writer turns it into a new one).
func TestOpenReadOnlyEmpty(t *testing.T) {
	path := filepath.Join(t.TempDir(), "empty.db")
	must(t, os.WriteFile(path, nil, 0o600))
	db, err := store.Open(path, &store.Options{ReadOnly: true})
	if !errors.Is(err, store.ErrNotConfrec) || !strings.Contains(err.Error(), "empty") {
		if err == nil {
			db.Close()
		}
		t.Fatalf("Open: %v, want ErrNotConfrec saying the file is empty", err)
	}
	db = openAt(t, path, nil)
	must(t, db.Close())
	db, err = store.Open(path, &store.Options{ReadOnly: true})
	must(t, err)
	must(t, db.Close())
}

func TestOpenTruncated(t *testing.T) {
	src := filepath.Join(t.TempDir(), "full.db")
	db := openAt(t, src, nil)
	ctx := context.Background()
	for i := range 20 {
		if err := db.Append(ctx, "986512347", textFrames(i*100, 100)...); err != nil {
			t.Fatal(err)
		}
	}
	must(t, db.Close())
	full, err := os.ReadFile(src)
	must(t, err)
	// bbolt grows a small file to its map size: the pages in use (up to
	// the high-water mark) may end well before the file does.
	var used int
	bdb, err := bolt.Open(src, 0o600, &bolt.Options{ReadOnly: true})
	must(t, err)
	must(t, bdb.View(func(tx *bolt.Tx) error { used = int(tx.Size()); return nil }))
	must(t, bdb.Close())
	t.Logf("full database: %d bytes, %d in use", len(full), used)

	tests := []struct {
		name string
		size int
		// mayOpen: the cut may fall in space bbolt has allocated but not
		// used yet; then Open may succeed, with every frame intact.
		mayOpen bool
	}{
		{name: "to_100_bytes", size: 100},
		{name: "to_one_page", size: 4096},
		{name: "to_two_pages", size: 8192},
		{name: "to_half", size: used / 2},
		{name: "to_three_quarters", size: used * 3 / 4},
		{name: "by_one_page", size: len(full) - 4096, mayOpen: true},
		{name: "by_one_byte", size: len(full) - 1, mayOpen: true},
	}
	for _, tt := range tests {
		for _, readOnly := range []bool{false, true} {
			name := tt.name
			if readOnly {
				name += "/read_only"
			}
			t.Run(name, func(t *testing.T) {
				path := filepath.Join(t.TempDir(), "cut.db")
				must(t, os.WriteFile(path, full[:tt.size], 0o600))
				db, err := store.Open(path, &store.Options{ReadOnly: readOnly})
				if err == nil {
					defer db.Close()
					if !tt.mayOpen {
						t.Fatalf("Open succeeded (Verify: %v), want ErrCorrupt or ErrNotConfrec", db.Verify("986512347"))
					}
					if err := db.Verify("986512347"); err != nil {
						t.Fatalf("Open succeeded but Verify: %v", err)
					}
					if got := readAll(t, db, "986512347", nil); len(got) != 2000 {
						t.Fatalf("Open succeeded with %d frames, want 2000", len(got))
					}
					return
				}
				if !errors.Is(err, store.ErrCorrupt) && !errors.Is(err, store.ErrNotConfrec) {
					t.Fatalf("Open: %v, want ErrCorrupt or ErrNotConfrec", err)
				}
				t.Logf("Open: %v", err)
			})
		}
	}
}

func TestOpenLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "confrec.db")
	first := openAt(t, path, nil)

	tests := []struct {
		name string
		opts store.Options
	}{
		{"writable", store.Options{LockTimeout: 50 * time.Millisecond}},
		{"writable_no_wait", store.Options{LockTimeout: -1}},
		{"read_only", store.Options{LockTimeout: 50 * time.Millisecond, ReadOnly: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, err := store.Open(path, &tt.opts)
			if !errors.Is(err, store.ErrLocked) {
				if err == nil {
					db.Close()
				}
				t.Fatalf("second Open: %v, want ErrLocked", err)
			}
		})
	}

	// The first DB is unharmed, and once it is closed the file opens again.
	if err := first.Append(context.Background(), "m", textFrame(0)); err != nil {
		t.Fatal(err)
	}
	must(t, first.Close())
	again := openAt(t, path, &store.Options{LockTimeout: 50 * time.Millisecond})
	checkFrames(t, readAll(t, again, "m", nil), textFrames(0, 1), 1)
}

func TestReadOnlyConcurrentReaders(t *testing.T) {
	path := filepath.Join(t.TempDir(), "confrec.db")
	db := openAt(t, path, nil)
	if err := db.Append(context.Background(), "m", textFrames(0, 3)...); err != nil {
		t.Fatal(err)
	}
	must(t, db.Close())
	a := openAt(t, path, &store.Options{ReadOnly: true, LockTimeout: 50 * time.Millisecond})
	b := openAt(t, path, &store.Options{ReadOnly: true, LockTimeout: 50 * time.Millisecond})
	checkFrames(t, readAll(t, a, "m", nil), textFrames(0, 3), 1)
	checkFrames(t, readAll(t, b, "m", nil), textFrames(0, 3), 1)
}

func TestReadOnlyRejectsWrites(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "confrec.db")
	db := openAt(t, path, nil)
	if err := db.Append(ctx, "m", textFrames(0, 3)...); err != nil {
		t.Fatal(err)
	}
	must(t, db.Close())

	ro := openAt(t, path, &store.Options{ReadOnly: true})
	writes := []struct {
		name string
		call func() error
	}{
		{"Enqueue", func() error { return ro.Enqueue("m", textFrame(3)) }},
		{"Append", func() error { return ro.Append(ctx, "m", textFrame(3)) }},
		{"Flush", func() error { return ro.Flush(ctx) }},
		{"BeginSession", func() error { _, err := ro.BeginSession(ctx, "m", store.Session{Start: t0}); return err }},
		{"EndSession", func() error { return ro.EndSession(ctx, "m", 1, t0, store.SessionEnd{}) }},
		{"SetLabel", func() error { return ro.SetLabel("m", "title", "x") }},
	}
	for _, w := range writes {
		if err := w.call(); !errors.Is(err, store.ErrReadOnly) {
			t.Errorf("%s: %v, want ErrReadOnly", w.name, err)
		}
	}
	checkFrames(t, readAll(t, ro, "m", nil), textFrames(0, 3), 1)
	if err := ro.Verify("m"); err != nil {
		t.Errorf("Verify: %v", err)
	}
}

func TestMeetingIDValidation(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name  string
		id    string
		valid bool
	}{
		{"empty", "", false},
		{"max_length", strings.Repeat("9", store.MaxMeetingIDLen), true},
		{"one_byte_too_long", strings.Repeat("9", store.MaxMeetingIDLen+1), false},
		{"nul", "98651\x002347", false},
		{"newline", "986512347\n", false},
		{"escape", "\x1b[31m986512347", false},
		{"del", "986\x7f", false},
		{"c1_control", "986\u0085", false},
		{"invalid_utf8", "986\xff", false},
		{"root_bucket_name", string(store.RootBucket), false},
		{"digits", "986512347", true},
		{"non_ascii", "周会-Q1 路线图", true},
		{"emoji_and_spaces", "team sync 🚀", true},
	}
	db := openDB(t, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sid, beginErr := db.BeginSession(ctx, tt.id, store.Session{Start: t0})
			calls := []struct {
				name string
				err  error
			}{
				{"BeginSession", beginErr},
				{"Enqueue", db.Enqueue(tt.id, textFrame(0))},
				{"Append", db.Append(ctx, tt.id, textFrame(1))},
				{"SetLabel", db.SetLabel(tt.id, "title", "x")},
				{"EndSession", db.EndSession(ctx, tt.id, sid, t0, store.SessionEnd{Reason: "stopped"})},
			}
			for _, c := range calls {
				if tt.valid && c.err != nil {
					t.Errorf("%s: %v", c.name, c.err)
				}
				if !tt.valid && !errors.Is(c.err, store.ErrInvalidMeetingID) {
					t.Errorf("%s: %v, want ErrInvalidMeetingID", c.name, c.err)
				}
			}
			if err := store.ValidateMeetingID(tt.id); (err == nil) != tt.valid {
				t.Errorf("ValidateMeetingID: %v, valid=%v", err, tt.valid)
			}
			// No invalid ID may fail the writer: the DB keeps working.
			if err := db.Flush(ctx); err != nil {
				t.Fatalf("Flush: %v", err)
			}
			m, err := db.Meeting(tt.id)
			switch {
			case tt.valid && (err != nil || m.Frames != 2 || m.Labels["title"] != "x" || len(m.Sessions) != 1 || m.Sessions[0].Reason != "stopped"):
				t.Errorf("Meeting: %+v, %v", m, err)
			case !tt.valid && !errors.Is(err, store.ErrMeetingNotFound):
				t.Errorf("Meeting: %v, want ErrMeetingNotFound", err)
			}
		})
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
