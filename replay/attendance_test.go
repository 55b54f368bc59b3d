package replay_test

import (
	"cmp"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/confrec/confrec/replay"
	"github.com/confrec/confrec/store"
)

func TestAttendance(t *testing.T) {
	sec := func(n int64) time.Time { return foldT0.Add(time.Duration(n) * time.Second) }
	ev := func(s int64, kind replay.EventKind, pid, name, new string) replay.Event {
		return replay.Event{Time: sec(s), Kind: kind, PID: pid, Name: name, New: new}
	}
	type pres struct {
		pid, name, role string
		joined, left    int64
	}
	type sum struct {
		pid, name                string
		first, last, total       int64
		rejoins, speaking, muted int64
	}
	tests := []struct {
		name      string
		events    []replay.Event
		end       int64
		presences []pres
		summary   []sum
	}{
		{"join_leave_rejoin",
			[]replay.Event{
				ev(10, replay.EventJoined, "a", "Ann", "host"),
				ev(20, replay.EventLeft, "a", "", ""),
				ev(30, replay.EventRejoined, "a", "Ann B.", "participant"),
			}, 100,
			[]pres{{"a", "Ann", "host", 10, 20}, {"a", "Ann B.", "participant", 30, 100}},
			[]sum{{"a", "Ann B.", 10, 100, 80, 1, 0, 0}}},
		{"speaking_and_muting",
			[]replay.Event{
				ev(0, replay.EventJoined, "a", "A", "participant"),
				ev(5, replay.EventSpeakerStarted, "a", "", "50"),
				ev(5, replay.EventSpeakerStarted, "a", "", "60"), // already speaking
				ev(9, replay.EventSpeakerStopped, "a", "", ""),
				ev(9, replay.EventSpeakerStopped, "a", "", ""), // not speaking
				ev(10, replay.EventMuted, "a", "", ""),
				ev(11, replay.EventUnmuted, "a", "", ""),
				ev(12, replay.EventMuted, "a", "", ""),
				ev(20, replay.EventSpeakerStarted, "a", "", "40"),
				ev(25, replay.EventLeft, "a", "", ""), // stops speaking too
				ev(27, replay.EventSpeakerStopped, "a", "", ""),
				ev(28, replay.EventSpeakerStarted, "a", "", "40"), // not present: not counted
				ev(40, replay.EventRejoined, "a", "", "participant"),
			}, 50,
			[]pres{{"a", "A", "participant", 0, 25}, {"a", "A", "participant", 40, 50}},
			[]sum{{"a", "A", 0, 50, 35, 1, 9, 2}}},
		{"speaking_until_the_end",
			[]replay.Event{ev(0, replay.EventJoined, "a", "A", ""), ev(90, replay.EventSpeakerStarted, "a", "", "")}, 100,
			[]pres{{"a", "A", "", 0, 100}},
			[]sum{{"a", "A", 0, 100, 100, 0, 10, 0}}},
		{"leave_before_join_is_clamped",
			[]replay.Event{ev(50, replay.EventJoined, "a", "A", ""), ev(40, replay.EventLeft, "a", "", "")}, 100,
			[]pres{{"a", "A", "", 50, 50}},
			[]sum{{"a", "A", 50, 50, 0, 0, 0, 0}}},
		{"end_before_join_is_clamped",
			[]replay.Event{ev(50, replay.EventJoined, "a", "A", "")}, 10,
			[]pres{{"a", "A", "", 50, 50}},
			[]sum{{"a", "A", 50, 50, 0, 0, 0, 0}}},
		{"second_join_while_present_is_ignored",
			[]replay.Event{ev(0, replay.EventJoined, "a", "A", "host"), ev(5, replay.EventJoined, "a", "A", "participant")}, 10,
			[]pres{{"a", "A", "host", 0, 10}},
			[]sum{{"a", "A", 0, 10, 10, 0, 0, 0}}},
		{"people_who_never_joined_are_not_counted",
			[]replay.Event{
				ev(0, replay.EventSpeakerStarted, "x", "X", ""),
				ev(1, replay.EventMuted, "x", "X", ""),
				ev(2, replay.EventLeft, "x", "X", ""),
				ev(3, replay.EventInviteResult, "", "", "0"),
			}, 10, nil, nil},
		{"order_by_join_then_pid",
			[]replay.Event{
				ev(5, replay.EventJoined, "b", "B", ""),
				ev(5, replay.EventJoined, "a", "A", ""),
				ev(1, replay.EventJoined, "c", "C", ""),
				ev(6, replay.EventInviteResult, "c", "C2", "0"), // carries a newer name
			}, 10,
			[]pres{{"c", "C2", "", 1, 10}, {"a", "A", "", 5, 10}, {"b", "B", "", 5, 10}},
			[]sum{{"c", "C2", 1, 10, 9, 0, 0, 0}, {"a", "A", 5, 10, 5, 0, 0, 0}, {"b", "B", 5, 10, 5, 0, 0, 0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := replay.NewAttendance()
			a.Add(nil)
			for i := range tt.events {
				a.Add(&tt.events[i])
			}
			// Followed while open: the intervals by index, the open ones
			// without Left, and the summary as Finish will make it.
			open := map[int]bool{}
			for i := range a.Opened() {
				open[i] = a.Interval(i).Left.IsZero()
			}
			live := a.SummaryAt(sec(tt.end))
			a.Finish(sec(tt.end))
			if !reflect.DeepEqual(live, a.Summary()) {
				t.Errorf("SummaryAt(end) before Finish:\n got %+v\nwant %+v", live, a.Summary())
			}
			var byIndex []replay.Presence
			for i := range a.Opened() {
				p := a.Interval(i)
				if !open[i] && p.Left.IsZero() {
					t.Errorf("interval %d: closed before Finish, open after", i)
				}
				byIndex = append(byIndex, p)
			}
			if !reflect.DeepEqual(sortedPresences(byIndex), a.Presences()) {
				t.Errorf("Interval(0..Opened) = %+v, not Presences() %+v", byIndex, a.Presences())
			}
			var gotP []pres
			for _, p := range a.Presences() {
				if p.Duration != p.Left.Sub(p.Joined) {
					t.Errorf("%s: Duration %v, Left-Joined %v", p.PID, p.Duration, p.Left.Sub(p.Joined))
				}
				gotP = append(gotP, pres{p.PID, p.Name, p.Role, int64(p.Joined.Sub(foldT0) / time.Second), int64(p.Left.Sub(foldT0) / time.Second)})
			}
			if !reflect.DeepEqual(gotP, tt.presences) {
				t.Errorf("presences:\n got %+v\nwant %+v", gotP, tt.presences)
			}
			var gotS []sum
			for _, s := range a.Summary() {
				gotS = append(gotS, sum{s.PID, s.Name, int64(s.FirstJoined.Sub(foldT0) / time.Second), int64(s.LastLeft.Sub(foldT0) / time.Second),
					int64(s.Total / time.Second), int64(s.Rejoins), int64(s.Speaking / time.Second), int64(s.TimesMuted)})
			}
			if !reflect.DeepEqual(gotS, tt.summary) {
				t.Errorf("summary:\n got %+v\nwant %+v", gotS, tt.summary)
			}
		})
	}
}

// TestAttendanceExtremeTimes: totals saturate instead of overflowing.
func TestAttendanceExtremeTimes(t *testing.T) {
	a := replay.NewAttendance()
	early, late := time.Unix(-1<<40, 0), time.Unix(1<<40, 0)
	for _, ev := range []replay.Event{
		{Time: early, Kind: replay.EventJoined, PID: "a"},
		{Time: early, Kind: replay.EventSpeakerStarted, PID: "a"},
		{Time: late, Kind: replay.EventLeft, PID: "a"},
		{Time: early, Kind: replay.EventRejoined, PID: "a"},
	} {
		a.Add(&ev)
	}
	a.Finish(late)
	for _, s := range a.Summary() {
		if s.Total < 0 || s.Speaking < 0 {
			t.Errorf("negative totals %v %v", s.Total, s.Speaking)
		}
	}
}

func TestReconstructErrors(t *testing.T) {
	db := newFoldDB(t)
	if _, _, err := replay.Reconstruct(db, "nope", nil); !errors.Is(err, store.ErrMeetingNotFound) {
		t.Errorf("Reconstruct of an unknown meeting: %v", err)
	}
	if _, err := replay.StateAt(db, "nope", foldT0); !errors.Is(err, store.ErrMeetingNotFound) {
		t.Errorf("StateAt of an unknown meeting: %v", err)
	}

	storeSessions(t, db, "m", recordedSession{start: foldT0, end: atMS(2000), frames: []store.Frame{
		timed(0, fin(partsFull(pitem("a", "NAME", "A")))), timed(1000, fin(partsInc(1, premove("a")))),
	}})
	for i := range 2 {
		errStop := errors.New("stop")
		calls := 0
		_, _, err := replay.Reconstruct(db, "m", func(ev *replay.Event) error {
			calls++
			if calls > i+2 { // session start, join, then the leave or the session's end
				return errStop
			}
			return nil
		})
		if !errors.Is(err, errStop) {
			t.Errorf("fn failing at call %d: Reconstruct returned %v", i+3, err)
		}
	}
	s, f, err := replay.Reconstruct(db, "m", nil)
	if err != nil || len(s.Participants) != 0 || !f.End().Equal(atMS(1000)) {
		t.Errorf("Reconstruct without fn: %+v, %v", s, err)
	}
}

// sortedPresences sorts ps as Attendance.Presences does.
func sortedPresences(ps []replay.Presence) []replay.Presence {
	slices.SortStableFunc(ps, func(x, y replay.Presence) int {
		return cmp.Or(x.Joined.Compare(y.Joined), strings.Compare(x.PID, y.PID))
	})
	return ps
}
