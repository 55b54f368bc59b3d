package replay

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"time"
)

// Presence is one interval during which a participant was in the meeting.
type Presence struct {
	PID  string `json:"pid"`
	Name string `json:"name"`
	// Role is the participant's role when the interval began.
	Role   string    `json:"role"`
	Joined time.Time `json:"joined"`
	// Left is never before Joined; it is zero while the interval is open
	// (before Attendance.Finish).
	Left     time.Time     `json:"left"`
	Duration time.Duration `json:"-"`
}

// PersonSummary is one participant's attendance over the whole meeting.
type PersonSummary struct {
	PID         string    `json:"pid"`
	Name        string    `json:"name"`
	FirstJoined time.Time `json:"first_joined"`
	LastLeft    time.Time `json:"last_left"`
	// Total is the sum of the person's presence durations.
	Total time.Duration `json:"-"`
	// Rejoins counts the joins after the first.
	Rejoins int `json:"rejoins"`
	// Speaking is the time the person was among the loudest speakers
	// while present.
	Speaking time.Duration `json:"-"`
	// TimesMuted counts the EventMuted of the person (not the joins of
	// someone already muted).
	TimesMuted int `json:"times_muted"`
}

// Attendance turns a meeting's events into presence intervals and
// per-person totals. Feed it every Event in order, then call Finish once.
//
// EventJoined and EventRejoined open a presence (with the role in the
// event's New), EventLeft closes it; EventSpeakerStarted and
// EventSpeakerStopped measure speaking time while present; EventMuted
// counts. A person's name is the latest any of their events carried.
// Only people who joined at least once are counted. An Attendance is not
// safe for concurrent use.
type Attendance struct {
	people    map[string]*person
	presences []Presence
}

// person is what Attendance tracks of one pid.
type person struct {
	name       string
	open       int // index of the open presence, -1 when absent
	speaking   bool
	since      time.Time // start of the speaking interval
	spoken     time.Duration
	timesMuted int
}

// NewAttendance returns an empty Attendance.
func NewAttendance() *Attendance { return &Attendance{people: make(map[string]*person)} }

// Add takes one event. Events other than joins, leaves, speaker and mute
// changes are ignored, but for the name they carry.
func (a *Attendance) Add(ev *Event) {
	if ev == nil || ev.PID == "" {
		return
	}
	p := a.people[ev.PID]
	if ev.Kind == EventJoined || ev.Kind == EventRejoined {
		if p == nil {
			p = &person{open: -1}
			a.people[ev.PID] = p
		}
		if p.open < 0 {
			a.presences = append(a.presences, Presence{PID: ev.PID, Role: ev.New, Joined: ev.Time})
			p.open = len(a.presences) - 1
		}
	}
	if p == nil {
		return
	}
	if ev.Name != "" {
		p.name = ev.Name
	}
	if p.open >= 0 {
		a.presences[p.open].Name = p.name
	}
	switch ev.Kind {
	case EventLeft:
		a.leave(p, ev.Time)
	case EventSpeakerStarted:
		if p.open >= 0 && !p.speaking {
			p.speaking, p.since = true, ev.Time
		}
	case EventSpeakerStopped:
		p.stopSpeaking(ev.Time)
	case EventMuted:
		p.timesMuted++
	}
}

// leave closes p's open presence (and speaking) at t.
func (a *Attendance) leave(p *person, t time.Time) {
	p.stopSpeaking(t)
	if p.open < 0 {
		return
	}
	pr := &a.presences[p.open]
	if t.Before(pr.Joined) {
		t = pr.Joined
	}
	pr.Left, pr.Duration = t, t.Sub(pr.Joined)
	p.open = -1
}

// stopSpeaking ends p's speaking interval at t.
func (p *person) stopSpeaking(t time.Time) {
	if !p.speaking {
		return
	}
	p.speaking = false
	p.spoken = addDuration(p.spoken, t.Sub(p.since))
}

// addDuration returns a+d for d > 0 (a otherwise), saturating instead of
// overflowing.
func addDuration(a, d time.Duration) time.Duration {
	if d <= 0 {
		return a
	}
	if a > math.MaxInt64-d {
		return math.MaxInt64
	}
	return a + d
}

// Finish closes every presence and speaking interval still open at end
// (when the meeting ended or the recording stopped). A presence that began
// after end closes where it began.
func (a *Attendance) Finish(end time.Time) {
	for _, p := range a.people {
		a.leave(p, end)
	}
}

// Presences returns the intervals, ordered by join time then pid.
func (a *Attendance) Presences() []Presence {
	out := slices.Clone(a.presences)
	slices.SortStableFunc(out, func(x, y Presence) int {
		return cmp.Or(x.Joined.Compare(y.Joined), strings.Compare(x.PID, y.PID))
	})
	return out
}

// Opened returns how many presence intervals have opened so far: for a
// follower of a meeting being recorded, who reads the new ones with
// Interval.
func (a *Attendance) Opened() int { return len(a.presences) }

// Interval returns the i-th presence interval in the order they opened
// (0 <= i < Opened). An interval keeps its index; its Left is zero while it
// is open, and set once when it closes.
func (a *Attendance) Interval(i int) Presence { return a.presences[i] }

// Summary returns one row per person, ordered by first join then pid.
func (a *Attendance) Summary() []PersonSummary { return a.summary(time.Time{}) }

// SummaryAt returns Summary as it would be if the meeting ended at now,
// without ending it: presences and speaking still open count up to now
// (nothing when now is before they began), as Finish(now) would count
// them. For a meeting being recorded.
func (a *Attendance) SummaryAt(now time.Time) []PersonSummary { return a.summary(now) }

// summary returns Summary with what is open counted up to now, when now
// is not zero.
func (a *Attendance) summary(now time.Time) []PersonSummary {
	index := make(map[string]int, len(a.people))
	out := make([]PersonSummary, 0, len(a.people))
	for i := range a.presences {
		pr := &a.presences[i]
		j, ok := index[pr.PID]
		if !ok {
			p := a.people[pr.PID]
			j = len(out)
			index[pr.PID] = j
			spoken := p.spoken
			if p.speaking && !now.IsZero() {
				spoken = addDuration(spoken, now.Sub(p.since))
			}
			out = append(out, PersonSummary{PID: pr.PID, Name: p.name, FirstJoined: pr.Joined,
				Speaking: spoken, TimesMuted: p.timesMuted, Rejoins: -1})
		}
		s := &out[j]
		s.Rejoins++
		if pr.Joined.Before(s.FirstJoined) {
			s.FirstJoined = pr.Joined
		}
		left, d := pr.Left, pr.Duration
		if left.IsZero() && !now.IsZero() {
			left = later(pr.Joined, now) // as Finish closes it
			d = left.Sub(pr.Joined)
		}
		if left.After(s.LastLeft) {
			s.LastLeft = left
		}
		s.Total = addDuration(s.Total, d)
	}
	slices.SortStableFunc(out, func(x, y PersonSummary) int {
		return cmp.Or(x.FirstJoined.Compare(y.FirstJoined), strings.Compare(x.PID, y.PID))
	})
	return out
}
