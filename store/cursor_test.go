package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/confrec/confrec/store"
)

func TestQuery(t *testing.T) {
	db := openDB(t, nil)
	// Ten frames one second apart: frame seq s is at t0 + (s-1) seconds.
	var frames []store.Frame
	for i := range 10 {
		f := textFrame(i)
		f.Time = t0.Add(time.Duration(i) * time.Second)
		frames = append(frames, f)
	}
	must(t, db.Append(context.Background(), "m", frames...))
	at := func(sec float64) time.Time { return t0.Add(time.Duration(sec * float64(time.Second))) }
	tests := []struct {
		name     string
		q        *store.Query
		first, n int // want frames[first : first+n]
	}{
		{"nil", nil, 0, 10},
		{"zero", &store.Query{}, 0, 10},
		{"from_inclusive", &store.Query{From: at(3)}, 3, 7},
		{"from_between", &store.Query{From: at(2.5)}, 3, 7},
		{"to_exclusive", &store.Query{To: at(3)}, 0, 3},
		{"to_between", &store.Query{To: at(2.5)}, 0, 3},
		{"from_to", &store.Query{From: at(3), To: at(6)}, 3, 3},
		{"one_nanosecond", &store.Query{From: at(4), To: at(4).Add(1)}, 4, 1},
		{"from_equals_to", &store.Query{From: at(4), To: at(4)}, 0, 0},
		{"to_before_from", &store.Query{From: at(6), To: at(3)}, 0, 0},
		{"from_after_last", &store.Query{From: at(9).Add(1)}, 0, 0},
		{"to_at_first", &store.Query{To: at(0)}, 0, 0},
		{"from_long_before", &store.Query{From: t0.Add(-24 * time.Hour)}, 0, 10},
		{"other_time_zone", &store.Query{From: at(3).In(time.FixedZone("CST", 8*3600))}, 3, 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := readAll(t, db, "m", tt.q)
			checkFrames(t, got, frames[tt.first:tt.first+tt.n], uint64(tt.first+1))
		})
	}
}

func TestFramesUnknownMeeting(t *testing.T) {
	db := openDB(t, nil)
	must(t, db.Append(context.Background(), "m", textFrame(0)))
	for _, id := range []string{"unknown", "", string(store.RootBucket)} {
		if _, err := db.Frames(id, nil); !errors.Is(err, store.ErrMeetingNotFound) {
			t.Errorf("Frames(%q): %v, want ErrMeetingNotFound", id, err)
		}
		if _, err := db.Meeting(id); !errors.Is(err, store.ErrMeetingNotFound) {
			t.Errorf("Meeting(%q): %v, want ErrMeetingNotFound", id, err)
		}
		if err := db.Verify(id); !errors.Is(err, store.ErrMeetingNotFound) {
			t.Errorf("Verify(%q): %v, want ErrMeetingNotFound", id, err)
		}
	}
}

func TestCursorSpansChunks(t *testing.T) {
	db := openDB(t, nil)
	// More than three chunks, and commits that do not line up with chunks.
	var want []store.Frame
	for _, n := range []int{1, 255, 256, 257, 300} {
		frames := textFrames(len(want), n)
		must(t, db.Append(context.Background(), "m", frames...))
		want = append(want, frames...)
	}
	checkFrames(t, readAll(t, db, "m", nil), want, 1)
	// A bounded query across chunk boundaries.
	from, to := 100, 900
	got := readAll(t, db, "m", &store.Query{From: want[from].Time, To: want[to].Time})
	checkFrames(t, got, want[from:to], uint64(from+1))
}

// TestCursorSeesLaterCommit checks the documented behaviour: a cursor reads in
// chunks, so a frame committed after its position while it runs is returned.
func TestCursorSeesLaterCommit(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, nil)
	want := textFrames(0, 300)
	must(t, db.Append(ctx, "m", want...))
	c, err := db.Frames("m", nil)
	must(t, err)
	defer c.Close()
	var got []store.Frame
	for c.Next() {
		got = append(got, c.Frame())
		if len(got) == 10 {
			late := textFrames(300, 2)
			must(t, db.Append(ctx, "m", late...)) // the writer is not blocked by the cursor
			want = append(want, late...)
		}
	}
	must(t, c.Err())
	checkFrames(t, got, want, 1)
}

func TestCursorFramesAreCopies(t *testing.T) {
	db := openDB(t, nil)
	want := textFrames(0, 3)
	must(t, db.Append(context.Background(), "m", want...))
	c, err := db.Frames("m", nil)
	must(t, err)
	var got []store.Frame
	for c.Next() {
		f := c.Frame()
		got = append(got, f)
	}
	must(t, c.Close())
	for i := range got {
		if d := diffFrame(want[i], got[i]); d != "" { // still valid after Next and Close
			t.Fatalf("frame %d: %s", i, d)
		}
		got[i].Payload[0] = '!'
	}
	checkFrames(t, readAll(t, db, "m", nil), want, 1)
	if c.Next() {
		t.Error("Next after Close returned true")
	}
}
