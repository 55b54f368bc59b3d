package replay_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/confrec/confrec/replay"
	"github.com/confrec/confrec/store"
)

// TestStateAtServiceClock: StateAt and TimeRange read instants on the
// service's clock, so receiving the basic scenario hours later (or
// earlier) changes neither the state at an instant nor the meeting's range;
// At is the instant asked for.
func TestStateAtServiceClock(t *testing.T) {
	base := storeBasic(t)
	first0, last0, err := replay.TimeRange(base, "986512347")
	if err != nil {
		t.Fatal(err)
	}
	if d := first0.Sub(foldT0); d < -time.Second || d > time.Second {
		t.Errorf("TimeRange first %s, want about %s", first0, foldT0)
	}
	if d := last0.Sub(atMS(603900)); d < -time.Second || d > time.Second {
		t.Errorf("TimeRange last %s, want about %s", last0, atMS(603900))
	}
	for _, skew := range []time.Duration{3 * time.Hour, -3 * time.Hour} {
		db := newFoldDB(t)
		frames := scenarioFrames(t, basicScenario)
		for i := range frames {
			frames[i].Time = frames[i].Time.Add(skew)
		}
		storeSessions(t, db, "986512347", recordedSession{
			start: foldT0.Add(skew), frames: frames,
			end: atMS(603900).Add(skew), how: store.SessionEnd{Reason: "meeting-ended", CloseCode: 1000},
		})
		first, last, err := replay.TimeRange(db, "986512347")
		if err != nil || !first.Equal(first0) || !last.Equal(last0) {
			t.Errorf("skew %v: TimeRange %s .. %s (%v), want %s .. %s", skew, first, last, err, first0, last0)
		}
		for _, at := range []time.Time{atMS(300), atMS(180000), atMS(540000), atMS(603900)} {
			want, err := replay.StateAt(base, "986512347", at)
			if err != nil {
				t.Fatal(err)
			}
			got, err := replay.StateAt(db, "986512347", at)
			if err != nil {
				t.Fatal(err)
			}
			if !got.At.Equal(at) {
				t.Errorf("skew %v: At %s, want %s", skew, got.At, at)
			}
			if len(want.Participants) == 0 || !reflect.DeepEqual(viewOf(got), viewOf(want)) {
				t.Errorf("skew %v: state at %s:\n got %+v\nwant %+v", skew, at, viewOf(got), viewOf(want))
			}
		}
	}
}
