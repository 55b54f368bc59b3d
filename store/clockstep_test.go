package store_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/confrec/confrec/store"
)

// stepBack is how far the wall clock steps back in the clock-step tests.
const stepBack = 200 * 24 * time.Hour

// steppedFrames returns n frames a second apart ending about now, whose wall
// times step back by stepBack after the first half: what a recorder writes
// when the clock is set back mid-meeting. It also returns the time of the
// last frame before the step (the latest key time).
func steppedFrames(n int) ([]store.Frame, time.Time) {
	start := time.Now().UTC().Add(-time.Duration(n) * time.Second)
	frames := textFrames(0, n)
	var peak time.Time
	for i := range frames {
		frames[i].Time = start.Add(time.Duration(i) * time.Second)
		if i >= n/2 {
			frames[i].Time = frames[i].Time.Add(-stepBack)
		} else {
			peak = frames[i].Time
		}
	}
	return frames, peak
}

// TestKeySpanClockStepBack: after the wall clock stepped back mid-meeting,
// the meeting's span follows the key times (first ≤ last, last the latest
// frame before the step), as listed, as read one by one and after a
// reopen, while LastTime keeps the last frame's wall time; and a query by
// time selects on the same key times.
func TestKeySpanClockStepBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "confrec.db")
	db := openAt(t, path, &store.Options{NoSync: true})
	frames, peak := steppedFrames(40)
	if err := db.Append(t.Context(), "m", frames...); err != nil {
		t.Fatal(err)
	}
	check := func(how string, m store.Meeting) {
		t.Helper()
		first, last := m.KeySpan()
		if !first.Equal(frames[0].Time) || !last.Equal(peak) {
			t.Errorf("%s: KeySpan %s .. %s, want %s .. %s", how, first, last, frames[0].Time, peak)
		}
		if last.Before(first) {
			t.Errorf("%s: last %s before first %s", how, last, first)
		}
		if !m.LastTime.Equal(frames[len(frames)-1].Time) {
			t.Errorf("%s: LastTime %s, want the last frame's wall time %s", how, m.LastTime, frames[len(frames)-1].Time)
		}
	}
	ms, err := db.Meetings()
	if err != nil || len(ms) != 1 {
		t.Fatalf("Meetings: %v %v", ms, err)
	}
	check("Meetings", ms[0])
	m, err := db.Meeting("m")
	if err != nil {
		t.Fatal(err)
	}
	check("Meeting", m)

	// The frames after the step are keyed at the peak: a query from the
	// peak returns them, one from before the step's wall times returns all.
	if got := readAll(t, db, "m", &store.Query{From: peak}); len(got) != len(frames)/2+1 {
		t.Errorf("frames from the peak: %d, want %d", len(got), len(frames)/2+1)
	}
	if got := readAll(t, db, "m", &store.Query{To: peak}); len(got) != len(frames)/2-1 {
		t.Errorf("frames before the peak: %d, want %d", len(got), len(frames)/2-1)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	ro := openAt(t, path, &store.Options{ReadOnly: true})
	if m, err = ro.Meeting("m"); err != nil {
		t.Fatal(err)
	}
	check("reopened", m)
}

// TestKeySpanEmpty: a meeting without frames has a zero span.
func TestKeySpanEmpty(t *testing.T) {
	db := openDB(t, &store.Options{NoSync: true})
	if err := db.SetLabel("m", "title", "x"); err != nil {
		t.Fatal(err)
	}
	if err := db.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	m, err := db.Meeting("m")
	if err != nil {
		t.Fatal(err)
	}
	if first, last := m.KeySpan(); !first.IsZero() || !last.IsZero() {
		t.Errorf("KeySpan of a meeting without frames: %s .. %s, want zero", first, last)
	}
}
