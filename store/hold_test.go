package store_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/confrec/confrec/store"
)

func TestHoldRefusesDelete(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hold.db")
	db := openAt(t, path, nil)
	ctx := t.Context()
	if err := db.Append(ctx, "m1", textFrames(0, 3)...); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	h := store.Hold{Reason: "case 42", By: "alice", At: at}
	if err := db.SetHold(ctx, "m1", h); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteMeeting(ctx, "m1"); !errors.Is(err, store.ErrHeld) {
		t.Fatalf("DeleteMeeting of a held meeting: %v, want ErrHeld", err)
	}
	// Frames still come in for a held meeting, and the hold survives them
	// and a reopen.
	if err := db.Append(ctx, "m1", textFrames(3, 2)...); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db = openAt(t, path, nil)
	m, err := db.Meeting("m1")
	if err != nil {
		t.Fatal(err)
	}
	if m.Hold == nil || *m.Hold != h || m.Frames != 5 {
		t.Fatalf("after reopen: hold %+v, frames %d; want %+v, 5", m.Hold, m.Frames, h)
	}
	if err := db.Verify("m1"); err != nil {
		t.Fatal(err)
	}
	if err := db.ReleaseHold(ctx, "m1"); err != nil {
		t.Fatal(err)
	}
	if err := db.ReleaseHold(ctx, "m1"); !errors.Is(err, store.ErrNotHeld) {
		t.Errorf("second ReleaseHold: %v, want ErrNotHeld", err)
	}
	if err := db.DeleteMeeting(ctx, "m1"); err != nil {
		t.Fatalf("DeleteMeeting after release: %v", err)
	}
	if _, err := db.Meeting("m1"); !errors.Is(err, store.ErrMeetingNotFound) {
		t.Errorf("Meeting after delete: %v, want ErrMeetingNotFound", err)
	}
}

func TestHoldErrors(t *testing.T) {
	db := openDB(t, nil)
	ctx := t.Context()
	if err := db.Append(ctx, "m1", textFrame(0)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		do   func() error
		want error
	}{
		{"hold unknown", func() error { return db.SetHold(ctx, "nope", store.Hold{Reason: "x"}) }, store.ErrMeetingNotFound},
		{"release unknown", func() error { return db.ReleaseHold(ctx, "nope") }, store.ErrMeetingNotFound},
		{"release unheld", func() error { return db.ReleaseHold(ctx, "m1") }, store.ErrNotHeld},
		{"delete unknown", func() error { return db.DeleteMeeting(ctx, "nope") }, store.ErrMeetingNotFound},
		{"hold bad id", func() error { return db.SetHold(ctx, "", store.Hold{}) }, store.ErrInvalidMeetingID},
		{"delete bad id", func() error { return db.DeleteMeeting(ctx, "a\nb") }, store.ErrInvalidMeetingID},
	}
	for _, tt := range tests {
		if err := tt.do(); !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
	// None of them created a meeting or failed the writer.
	ms, err := db.Meetings()
	if err != nil || len(ms) != 1 {
		t.Errorf("Meetings: %v, %v; want only m1", ms, err)
	}
	if err := db.Append(ctx, "m1", textFrame(1)); err != nil {
		t.Errorf("Append after the errors: %v", err)
	}
	ro := openReadOnlyCopy(t, db)
	if err := ro.SetHold(ctx, "m1", store.Hold{Reason: "x"}); !errors.Is(err, store.ErrReadOnly) {
		t.Errorf("SetHold read-only: %v, want ErrReadOnly", err)
	}
}

// openReadOnlyCopy copies db (WriteTo) and opens the copy read-only.
func openReadOnlyCopy(t *testing.T, db *store.DB) *store.DB {
	t.Helper()
	p := filepath.Join(t.TempDir(), "copy.db")
	writeCopy(t, db, p)
	return openAt(t, p, &store.Options{ReadOnly: true})
}

// TestDeleteOrderedWithAppends: frames queued before a delete go with the
// meeting, frames queued after it start a new one, in one commit.
func TestDeleteOrderedWithAppends(t *testing.T) {
	db := openDB(t, &store.Options{FlushInterval: time.Hour})
	ctx := t.Context()
	if err := db.Append(ctx, "m1", textFrames(0, 2)...); err != nil {
		t.Fatal(err)
	}
	for _, f := range textFrames(2, 3) {
		if err := db.Enqueue("m1", f); err != nil {
			t.Fatal(err)
		}
	}
	// The queued frames are still waiting for the writer (FlushInterval
	// is an hour): the delete's commit carries them and deletes them.
	if err := db.DeleteMeeting(ctx, "m1"); err != nil {
		t.Fatal(err)
	}
	if err := db.Append(ctx, "m1", textFrame(10)); err != nil {
		t.Fatal(err)
	}
	m, err := db.Meeting("m1")
	if err != nil {
		t.Fatal(err)
	}
	if m.Frames != 1 || m.ChainHead == (store.Hash{}) {
		t.Errorf("after delete and one append: %d frames, want 1", m.Frames)
	}
	if err := db.Verify("m1"); err != nil {
		t.Error(err)
	}
}

// writeCopy writes a consistent copy of db to path (DB.WriteTo).
func writeCopy(t *testing.T, db *store.DB, path string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := db.WriteTo(f); err != nil {
		t.Fatal(err)
	}
}
