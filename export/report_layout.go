package export

import (
	"cmp"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/confrec/confrec/replay"
	"github.com/confrec/confrec/store"
)

// The report's geometry. The timeline's plot is plotWidth columns wide in
// SVG user units whatever the meeting's length: time is scaled to those
// columns, and everything drawn on a lane is quantized to them, so the size
// of the report grows with the number of people, not with the number of
// events. The browser stretches the columns over the window's width less
// the lane labels (labelWidth CSS pixels) and the right margin (plotRight),
// so the whole meeting is on screen at any width. Text is never stretched:
// lane labels have an SVG of their own, tick labels are HTML.
const (
	labelWidth  = 210                             // lane labels, left of the plot, in CSS pixels
	plotRight   = 30                              // CSS pixels right of the plot: room for the last tick label
	plotWidth   = 1320                            // time columns
	laneHeight  = 16                              // one person, in CSS pixels
	axisHeight  = 36                              // tick labels above the lanes, in CSS pixels
	markWidth   = 2                               // a mark's width in columns
	rankTop     = 50                              // people drawn in the speaking ranking
	rankBarMax  = 400                             // the longest speaking bar
	nameRunes   = 30                              // a lane label's name is cut after this
	colWords    = (plotWidth + 63) / 64           // words of a column bitset
	maxTicks    = 10                              // time axis ticks at most: their labels fit a plot of 800 pixels
	timeLayout  = "2006-01-02T15:04:05.000Z07:00" // RFC 3339 UTC with milliseconds
	axisLayout  = "15:04"                         // tick labels
	axisLayoutS = "15:04:05"                      // tick labels when ticks are seconds apart
	axisLayoutD = "Jan 2 15:04"                   // tick labels of a meeting longer than a day
	tipLayout   = "15:04:05"                      // times in tooltips
	noValue     = "—"                             // an unknown value in the header
	defaultSpan = time.Second                     // the span drawn when the input has no extent
	gapMinWidth = 1                               // narrowest gap band, in columns
)

// markKind is a kind of point mark drawn on a lane.
type markKind int

const (
	markMuted markKind = iota
	markUnmuted
	markHand
	markShareStart
	markShareStop
	markRole
	nMarkKinds
)

// markKinds says how each mark kind is drawn: its CSS class, the y of its
// centre in the lane, and the event kind it marks.
var markKinds = [nMarkKinds]struct {
	class string
	y     int
	event replay.EventKind
}{
	markMuted:      {"m-muted", 2, replay.EventMuted},
	markUnmuted:    {"m-unmuted", 2, replay.EventUnmuted},
	markHand:       {"m-hand", 14, replay.EventHandRaised},
	markShareStart: {"m-share", 14, replay.EventSharingStarted},
	markShareStop:  {"m-unshare", 14, replay.EventSharingStopped},
	markRole:       {"m-role", 8, replay.EventRoleChanged},
}

// lane is one person's row of the timeline, in pixel columns.
type lane struct {
	pid   string
	name  string
	role  string
	roleT time.Time
	first time.Time
	sum   *replay.PersonSummary

	pres     runs
	spk      runs
	spkOpen  bool
	spkStart int
	marks    [nMarkKinds]*[colWords]uint64
}

// timeScale maps times to plot columns.
type timeScale struct {
	start time.Time
	span  time.Duration
}

// pos is t's position in columns from the plot's left, unclamped.
func (s timeScale) pos(t time.Time) float64 {
	return float64(t.Sub(s.start)) / float64(s.span) * plotWidth
}

// col is the column t falls in, clamped to the plot.
func (s timeScale) col(t time.Time) int {
	return clamp(int(math.Floor(s.pos(t))), 0, plotWidth-1)
}

// cols is the half-open column range [a, b) an interval covers, at least one
// column wide.
func (s timeScale) cols(from, to time.Time) (a, b int) {
	a = clamp(int(math.Floor(s.pos(from))), 0, plotWidth-1)
	b = clamp(int(math.Ceil(s.pos(to))), 0, plotWidth)
	if b <= a {
		b = a + 1
	}
	return a, b
}

func clamp(x, lo, hi int) int { return min(max(x, lo), hi) }

// runs are half-open column ranges, merged where they touch.
type runs []run

type run struct{ a, b int }

// add appends [a, b), merging it into the last run when they touch.
func (r *runs) add(a, b int) {
	if n := len(*r); n > 0 {
		last := &(*r)[n-1]
		if a >= last.a && a <= last.b {
			last.b = max(last.b, b)
			return
		}
	}
	*r = append(*r, run{a, b})
}

// normalize sorts and merges runs added out of order.
func (r *runs) normalize() {
	if slices.IsSortedFunc(*r, func(x, y run) int { return cmp.Compare(x.a, y.a) }) {
		return
	}
	s := slices.Clone(*r)
	slices.SortFunc(s, func(x, y run) int { return cmp.Compare(x.a, y.a) })
	*r = (*r)[:0]
	for _, x := range s {
		r.add(x.a, x.b)
	}
}

// path is the SVG path of the runs as horizontal strokes at height y, in
// plot columns: drawn with a stroke as wide as the bar is tall, each run is
// a bar (stretched across, never thicker). After the first run, moves are
// relative, which keeps the numbers short.
func (r runs) path(y int) string {
	if len(r) == 0 {
		return ""
	}
	var b []byte
	end := 0
	for i, x := range r {
		if i == 0 {
			b = append(b, 'M')
			b = strconv.AppendInt(b, int64(x.a), 10)
			b = append(b, ' ')
			b = strconv.AppendInt(b, int64(y), 10)
		} else {
			b = append(b, 'm')
			b = strconv.AppendInt(b, int64(x.a-end), 10)
			b = append(b, " 0"...)
		}
		b = append(b, 'h')
		b = strconv.AppendInt(b, int64(x.b-x.a), 10)
		end = x.b
	}
	return string(b)
}

// participantEvent reports whether an event of kind k is about one
// participant in the meeting (and so belongs on a lane).
func participantEvent(k replay.EventKind) bool {
	switch k {
	case replay.EventJoined, replay.EventLeft, replay.EventRejoined,
		replay.EventMuted, replay.EventUnmuted, replay.EventCameraOn, replay.EventCameraOff,
		replay.EventHandRaised, replay.EventHandLowered,
		replay.EventSharingStarted, replay.EventSharingStopped,
		replay.EventRoleChanged, replay.EventSpeakerStarted, replay.EventSpeakerStopped:
		return true
	}
	return false
}

// layLanes makes one lane per person seen in the summary, the presences or
// the participant events, ordered by first join (first event for someone who
// never joined), then pid, and draws their presences, speaking and marks in
// pixel columns.
func (v *reportView) layLanes() {
	in := v.in
	byPID := make(map[string]*lane)
	get := func(pid string, first time.Time) *lane {
		l := byPID[pid]
		if l == nil {
			l = &lane{pid: pid, first: first}
			byPID[pid] = l
			v.lanes = append(v.lanes, l)
		}
		return l
	}
	for i := range in.Summary {
		s := &in.Summary[i]
		l := get(s.PID, s.FirstJoined)
		l.sum, l.name = s, s.Name
	}
	for _, p := range in.Presences {
		l := get(p.PID, p.Joined)
		if l.sum == nil && (l.first.IsZero() || p.Joined.Before(l.first)) {
			l.first = p.Joined
		}
		if l.name == "" {
			l.name = p.Name
		}
		if l.roleT.IsZero() || !p.Joined.Before(l.roleT) {
			l.role, l.roleT = p.Role, p.Joined
		}
	}
	for i := range in.Events {
		ev := &in.Events[i]
		if ev.PID != "" && participantEvent(ev.Kind) {
			l := get(ev.PID, v.evTime(ev))
			if l.name == "" {
				l.name = ev.Name
			}
		}
	}
	slices.SortStableFunc(v.lanes, func(x, y *lane) int {
		if c := x.first.Compare(y.first); c != 0 {
			return c
		}
		return strings.Compare(x.pid, y.pid)
	})

	sc := v.sc
	for _, p := range in.Presences {
		l := byPID[p.PID]
		left := p.Left
		if left.IsZero() || left.Before(p.Joined) {
			left = v.sc.start.Add(v.sc.span)
		}
		l.pres.add(sc.cols(p.Joined, left))
	}
	for i := range in.Events {
		ev := &in.Events[i]
		if ev.PID == "" || !participantEvent(ev.Kind) {
			continue
		}
		l, t := byPID[ev.PID], v.evTime(ev)
		switch ev.Kind {
		case replay.EventSpeakerStarted:
			if !l.spkOpen {
				l.spkOpen, l.spkStart = true, int(math.Floor(sc.pos(t)))
			}
		case replay.EventSpeakerStopped, replay.EventLeft:
			if l.spkOpen {
				l.spkOpen = false
				a := clamp(l.spkStart, 0, plotWidth-1)
				b := clamp(int(math.Ceil(sc.pos(t))), a+1, plotWidth)
				l.spk.add(a, b)
			}
		case replay.EventRoleChanged:
			if !t.Before(l.roleT) {
				l.role, l.roleT = ev.New, t
			}
		}
		for k := range nMarkKinds {
			if markKinds[k].event == ev.Kind {
				if l.marks[k] == nil {
					l.marks[k] = new([colWords]uint64)
				}
				c := sc.col(t)
				l.marks[k][c/64] |= 1 << (c % 64)
			}
		}
	}
	for _, l := range v.lanes {
		if l.spkOpen {
			l.spk.add(clamp(l.spkStart, 0, plotWidth-1), plotWidth)
			l.spkOpen = false
		}
		l.pres.normalize()
		l.spk.normalize()
	}
}

// labelViews yields each lane's label, for the labels' SVG.
func (v *reportView) labelViews(yield func(*labelView) bool) {
	for i, l := range v.lanes {
		lv := &labelView{PID: l.pid, Y: i * laneHeight, Odd: i%2 == 1, Name: shorten(l.name, nameRunes), Tip: l.tip()}
		if l.name == "" {
			lv.Name = l.pid
		}
		if l.role != "" && l.role != replay.RoleParticipant {
			lv.Role = l.role
		}
		if !yield(lv) {
			return
		}
	}
}

// laneViews yields each lane's SVG paths, made when the template asks for
// them so that only one lane's paths are in memory at a time.
func (v *reportView) laneViews(yield func(*laneView) bool) {
	for i, l := range v.lanes {
		lv := &laneView{
			PID:  l.pid,
			Y:    i * laneHeight,
			Odd:  i%2 == 1,
			Pres: l.pres.path(8),
			Spk:  l.spk.path(8),
		}
		for k := range nMarkKinds {
			if l.marks[k] == nil {
				continue
			}
			var r runs
			for w, word := range l.marks[k] {
				for word != 0 {
					c := w*64 + bits.TrailingZeros64(word)
					word &= word - 1
					r.add(c, min(c+markWidth, plotWidth))
				}
			}
			lv.Marks = append(lv.Marks, markPath{markKinds[k].class, r.path(markKinds[k].y)})
		}
		if !yield(lv) {
			return
		}
	}
}

// tip is the tooltip of a lane's label.
func (l *lane) tip() string {
	var b strings.Builder
	name := l.name
	if name == "" {
		name = "(no name)"
	}
	fmt.Fprintf(&b, "%s\npid %s", name, l.pid)
	if l.role != "" {
		fmt.Fprintf(&b, "\nrole %s", l.role)
	}
	if s := l.sum; s != nil {
		fmt.Fprintf(&b, "\nfirst joined %s, last left %s", fmtClock(s.FirstJoined), fmtClock(s.LastLeft))
		fmt.Fprintf(&b, "\npresent %s, rejoins %d", fmtDur(s.Total), s.Rejoins)
		fmt.Fprintf(&b, "\nspeaking %s, times muted %d", fmtDur(s.Speaking), s.TimesMuted)
	}
	return b.String()
}

// shorten cuts s after n runes, marking the cut.
func shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// tickSteps are the time axis steps to choose from.
var tickSteps = []time.Duration{
	time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 15 * time.Second, 30 * time.Second,
	time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour,
}

// axis chooses ticks at round UTC times, at most maxTicks of them, and the
// vertical grid lines through the lanes.
func (v *reportView) axis(start, end time.Time) {
	d := end.Sub(start)
	step := tickSteps[len(tickSteps)-1]
	for _, s := range tickSteps {
		if d/s <= maxTicks {
			step = s
			break
		}
	}
	for d/step > maxTicks {
		step += tickSteps[len(tickSteps)-1]
	}
	layout := axisLayout
	switch {
	case d > 24*time.Hour:
		layout = axisLayoutD
	case step < time.Minute:
		layout = axisLayoutS
	}
	var grid []byte
	for t := start.Truncate(step); !t.After(end); t = t.Add(step) {
		if t.Before(start) {
			continue
		}
		x := math.Round(v.sc.pos(t))
		v.Ticks = append(v.Ticks, tickView{
			X:     int(x),
			Left:  strconv.FormatFloat(x/plotWidth*100, 'f', 2, 64),
			Clock: t.Format(layout),
			Since: "+" + fmtDur(t.Sub(start)),
		})
		grid = fmt.Appendf(grid, "M%d 0v%d", int(x), v.LanesH)
	}
	v.Grid = string(grid)
}

// gap is a time between two sessions when nothing was recorded.
type gap struct {
	from, to time.Time
	after    uint32 // the session before the gap
}

// sessionGaps lists the gaps between consecutive sessions.
func sessionGaps(ss []store.Session) []gap {
	s := slices.Clone(ss)
	slices.SortStableFunc(s, func(x, y store.Session) int { return x.Start.Compare(y.Start) })
	var gs []gap
	for i := 0; i+1 < len(s); i++ {
		if !s[i].End.IsZero() && s[i+1].Start.After(s[i].End) {
			gs = append(gs, gap{s[i].End, s[i+1].Start, s[i].ID})
		}
	}
	return gs
}

// markerClass is the CSS class of the vertical marker of each event kind
// drawn across all lanes.
var markerClass = map[replay.EventKind]string{
	replay.EventSessionEnded:   "v-sess-end",
	replay.EventSessionStarted: "v-sess-start",
	replay.EventMeetingStarted: "v-meeting",
	replay.EventMeetingEnded:   "v-meeting",
}

// markers makes the vertical markers of session ends and starts (drops and
// reconnects) and of the meeting's start and end, at most one per kind and
// column.
func (v *reportView) markers() {
	type key struct {
		k   replay.EventKind
		col int
	}
	seen := make(map[key]bool)
	for i := range v.in.Events {
		ev := &v.in.Events[i]
		class, ok := markerClass[ev.Kind]
		if !ok {
			continue
		}
		t := v.evTime(ev)
		c := v.sc.col(t)
		if seen[key{ev.Kind, c}] {
			continue
		}
		seen[key{ev.Kind, c}] = true
		tip := strings.ReplaceAll(string(ev.Kind), "_", " ") + " at " + fmtTime(t)
		if ev.Detail != "" {
			tip += ": " + ev.Detail
		}
		v.Markers = append(v.Markers, markerView{X: c, Class: class, Tip: tip})
	}
}
