package export

import (
	"bufio"
	"cmp"
	"errors"
	"fmt"
	"html/template"
	"io"
	"iter"
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

// ReportInput is everything the report shows; the caller folds the meeting
// (replay.Reconstruct) and fills it.
//
// Its times are on two clocks. An event's Time is the service's clock (the
// createTime of its frame) when the frame carried one, else the receive
// time, like Received; Presences and Summary follow the events. Sessions,
// and the session events made from them, are on the recorder's clock. The
// report draws on the service's clock: a recorder time is moved by the
// offset (Time − Received) of the event received nearest to it whose frame
// carried a createTime. Live, that
// offset is the latency plus the clocks' skew, well under a second and
// nearly constant; in a recording of a replayed meeting it can be years,
// and changes as fast as the replay was sped up.
type ReportInput struct {
	Meeting   replay.MeetingInfo
	Sessions  []store.Session
	Events    []replay.Event
	Presences []replay.Presence
	Summary   []replay.PersonSummary
	// Start and End are the span drawn: the first frame's time to the
	// meeting's end (or the last frame). Each may be on either clock: it is
	// read on the one that puts it nearer the first (last) event. The span
	// is widened to take in every event; a presence beyond it is drawn to
	// its edge.
	Start, End time.Time
	// Generated is shown in the footer; zero leaves it out.
	Generated time.Time
}

// The report's geometry, in CSS pixels. The timeline has a fixed width
// whatever the meeting's length: time is scaled to plotWidth columns, and
// everything drawn on a lane is quantized to those columns, so the size of
// the report grows with the number of people, not with the number of
// events.
const (
	reportWidth = 1560                                 // fits a 1600-pixel window with the page margins
	labelWidth  = 210                                  // lane labels, left of the plot
	plotRight   = 30                                   // margin right of the plot: room for the last tick label
	plotWidth   = reportWidth - labelWidth - plotRight // time columns
	laneHeight  = 16                                   // one person
	axisHeight  = 36                                   // tick labels above the lanes
	markWidth   = 2                                    // a mark's width in columns
	rankTop     = 50                                   // people drawn in the speaking ranking
	rankBarMax  = 400                                  // the longest speaking bar
	nameRunes   = 30                                   // a lane label's name is cut after this
	colWords    = (plotWidth + 63) / 64                // words of a column bitset
	maxTicks    = plotWidth / 110                      // time axis ticks at most
	timeLayout  = "2006-01-02T15:04:05.000Z07:00"      // RFC 3339 UTC with milliseconds
	axisLayout  = "15:04"                              // tick labels
	axisLayoutS = "15:04:05"                           // tick labels when ticks are seconds apart
	axisLayoutD = "Jan 2 15:04"                        // tick labels of a meeting longer than a day
	tipLayout   = "15:04:05"                           // times in tooltips
	noValue     = "—"                                  // an unknown value in the header
	defaultSpan = time.Second                          // the span drawn when the input has no extent
	gapMinWidth = 1                                    // narrowest gap band, in columns
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

// Report writes a self-contained HTML report of a meeting to w: a header
// with the meeting's facts and totals, a presence timeline with one lane per
// person, the speaking-time ranking and the recording sessions with their
// gaps. The page needs nothing from the network and no JavaScript; the
// timeline is SVG drawn here.
//
// Report streams to w through a buffer that it flushes before it returns.
// Names and every other text from the meeting are escaped.
func Report(w io.Writer, in *ReportInput) error {
	if in == nil {
		return errors.New("write report: no input")
	}
	v := newReportView(in)
	bw := bufio.NewWriterSize(w, 64<<10)
	if err := reportTemplate.Execute(bw, v); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

// reportView is what the template shows.
type reportView struct {
	Title      string
	Header     []headerItem
	Anomalies  []headerItem
	Width      int
	PlotLeft   int
	PlotRight  int
	PlotWidth  int
	AxisHeight int
	LanesH     int
	Ticks      []tickView
	Grid       string
	Gaps       []gapView
	Markers    []markerView
	NumLanes   int
	Lanes      iter.Seq[*laneView]
	Ranking    []rankView
	RankMore   string
	RankBarMax int
	Sessions   []sessionView
	Generated  string

	in    *ReportInput
	sc    timeScale
	clk   *clock
	lanes []*lane
}

type headerItem struct{ Label, Value string }

type tickView struct {
	X            int
	Clock, Since string
}

type gapView struct {
	X, W int
	Tip  string
}

type markerView struct {
	X     int
	Class string
	Tip   string
}

type laneView struct {
	PID   string
	Y     int
	Odd   bool
	Name  string
	Role  string
	Tip   string
	Pres  string
	Spk   string
	Marks []markPath
}

type markPath struct{ Class, D string }

type rankView struct {
	Rank     int
	Name     string
	PID      string
	Speaking string
	Share    string
	Bar      int
}

type sessionView struct {
	ID       uint32
	Start    string
	End      string
	Duration string
	Ended    string
	GapAfter string
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

// newReportView lays the report out: lanes, their pixel columns, the axis
// and the tables. Lanes' SVG is produced later, one lane at a time, while
// the template runs.
func newReportView(in *ReportInput) *reportView {
	v := &reportView{
		in:         in,
		Width:      reportWidth,
		PlotLeft:   labelWidth,
		PlotRight:  labelWidth + plotWidth,
		PlotWidth:  plotWidth,
		AxisHeight: axisHeight,
		RankBarMax: rankBarMax,
	}
	v.clk = newClock(in.Events)
	start, end := v.span()
	v.sc = timeScale{start: start, span: end.Sub(start)}
	v.Title = in.Meeting.Title
	if v.Title == "" {
		v.Title = "Meeting " + in.Meeting.ConfID
	}
	v.layLanes()
	v.NumLanes = len(v.lanes)
	v.LanesH = len(v.lanes) * laneHeight
	v.header(start, end)
	v.axis(start, end)
	v.sessions()
	v.markers()
	v.ranking()
	v.Lanes = v.laneViews
	if !in.Generated.IsZero() {
		v.Generated = fmtTime(in.Generated)
	}
	return v
}

// maxClockSamples bounds the events a clock keeps.
const maxClockSamples = 4096

// onRecorderClock reports whether ev tells nothing of the offset between
// the clocks: a session's start or end (its Time is estimated from a
// frame's offset), or an event whose Time is its receive time.
func onRecorderClock(ev *replay.Event) bool {
	return ev.Kind == replay.EventSessionStarted || ev.Kind == replay.EventSessionEnded || ev.Time.Equal(ev.Received)
}

// clock maps the recorder's clock to the service's, from events that carry
// both: those whose frames had a createTime.
type clock struct {
	recv []time.Time     // receive times, in order
	off  []time.Duration // service − recorder at each
	// median is the median offset, shown in the header.
	median time.Duration
}

// newClock samples the events evenly, keeping the first and the last.
func newClock(events []replay.Event) *clock {
	stamped := func(ev *replay.Event) bool {
		return !ev.Time.IsZero() && !ev.Received.IsZero() && !onRecorderClock(ev)
	}
	n := 0
	for i := range events {
		if stamped(&events[i]) {
			n++
		}
	}
	c := &clock{}
	stride, j := max(1, n/maxClockSamples), 0
	for i := range events {
		ev := &events[i]
		if !stamped(ev) {
			continue
		}
		if j%stride == 0 || j == n-1 {
			c.recv = append(c.recv, ev.Received)
			c.off = append(c.off, ev.Time.Sub(ev.Received))
		}
		j++
	}
	if len(c.off) == 0 {
		return c
	}
	if !slices.IsSortedFunc(c.recv, time.Time.Compare) {
		idx := make([]int, len(c.recv))
		for i := range idx {
			idx[i] = i
		}
		slices.SortStableFunc(idx, func(a, b int) int { return c.recv[a].Compare(c.recv[b]) })
		recv, off := make([]time.Time, len(idx)), make([]time.Duration, len(idx))
		for i, k := range idx {
			recv[i], off[i] = c.recv[k], c.off[k]
		}
		c.recv, c.off = recv, off
	}
	sorted := slices.Clone(c.off)
	slices.Sort(sorted)
	c.median = sorted[len(sorted)/2]
	return c
}

// service moves a recorder time r to the service's clock by the offset of
// the sample received nearest to it; zero stays zero.
func (c *clock) service(r time.Time) time.Time {
	if r.IsZero() || len(c.recv) == 0 {
		return r
	}
	i, _ := slices.BinarySearchFunc(c.recv, r, time.Time.Compare)
	if i == len(c.recv) || (i > 0 && r.Sub(c.recv[i-1]) <= c.recv[i].Sub(r)) {
		i--
	}
	return r.Add(c.off[i])
}

// evTime is when ev happened on the service's clock: its Time (replay puts
// every event there, session starts and ends included).
func (v *reportView) evTime(ev *replay.Event) time.Time {
	return ev.Time
}

// span is the time span drawn: the input's Start and End, each read on the
// clock that puts it nearer the events, widened to take in every event.
// Without events it comes from the presences, then the sessions.
func (v *reportView) span() (start, end time.Time) {
	in := v.in
	var lo, hi time.Time
	see := func(t time.Time) {
		if t.IsZero() {
			return
		}
		if lo.IsZero() || t.Before(lo) {
			lo = t
		}
		if hi.IsZero() || t.After(hi) {
			hi = t
		}
	}
	for i := range in.Events {
		see(v.evTime(&in.Events[i]))
	}
	if lo.IsZero() {
		for _, p := range in.Presences {
			see(p.Joined)
			see(p.Left)
		}
	}
	if lo.IsZero() {
		for _, s := range in.Sessions {
			see(v.clk.service(s.Start))
			see(v.clk.service(s.End))
		}
	}
	start, end = v.nearer(in.Start, lo), v.nearer(in.End, hi)
	if start.IsZero() || (!lo.IsZero() && lo.Before(start)) {
		start = lo
	}
	if end.IsZero() || hi.After(end) {
		end = hi
	}
	if !end.After(start) {
		end = start.Add(defaultSpan)
	}
	return start.UTC(), end.UTC()
}

// nearer reads t, given on either clock, on the one that puts it nearer
// ref.
func (v *reportView) nearer(t, ref time.Time) time.Time {
	if t.IsZero() || ref.IsZero() {
		return t
	}
	if moved := v.clk.service(t); moved.Sub(ref).Abs() < t.Sub(ref).Abs() {
		return moved
	}
	return t
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

// path is the SVG path of the runs as horizontal strokes at height y: drawn
// with a stroke as wide as the bar is tall, each run is a bar. After the
// first run, moves are relative, which keeps the numbers short.
func (r runs) path(y int) string {
	if len(r) == 0 {
		return ""
	}
	var b []byte
	end := 0
	for i, x := range r {
		if i == 0 {
			b = append(b, 'M')
			b = strconv.AppendInt(b, int64(labelWidth+x.a), 10)
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

// laneViews yields each lane's SVG data, made when the template asks for it
// so that only one lane's paths are in memory at a time.
func (v *reportView) laneViews(yield func(*laneView) bool) {
	for i, l := range v.lanes {
		lv := &laneView{
			PID:  l.pid,
			Y:    i * laneHeight,
			Odd:  i%2 == 1,
			Name: shorten(l.name, nameRunes),
			Pres: l.pres.path(8),
			Spk:  l.spk.path(8),
		}
		if l.name == "" {
			lv.Name = l.pid
		}
		if l.role != "" && l.role != replay.RoleParticipant {
			lv.Role = l.role
		}
		lv.Tip = l.tip()
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

// header fills the meeting's facts and totals.
func (v *reportView) header(start, end time.Time) {
	in := v.in
	m := in.Meeting
	var presence time.Duration
	type edge struct {
		t time.Time
		d int
	}
	edges := make([]edge, 0, 2*len(in.Presences))
	for _, p := range in.Presences {
		left := p.Left
		if left.IsZero() || left.Before(p.Joined) {
			left = end
		}
		d := p.Duration
		if d <= 0 {
			d = left.Sub(p.Joined)
		}
		presence += d
		edges = append(edges, edge{p.Joined, +1}, edge{left, -1})
	}
	slices.SortFunc(edges, func(x, y edge) int {
		if c := x.t.Compare(y.t); c != 0 {
			return c
		}
		return cmp.Compare(x.d, y.d) // leaves before joins at the same instant
	})
	peak, now := 0, 0
	for _, e := range edges {
		now += e.d
		peak = max(peak, now)
	}
	var gaps int
	var gapTotal time.Duration
	for _, g := range sessionGaps(in.Sessions) {
		gaps++
		gapTotal += g.to.Sub(g.from)
	}
	orNone := func(s string) string {
		if s == "" {
			return noValue
		}
		return s
	}
	v.Header = []headerItem{
		{"Title", orNone(m.Title)},
		{"Owner", orNone(m.Owner)},
		{"Conference ID", orNone(m.ConfID)},
		{"Scheduled start", fmtTime(m.ScheduledStart)},
		{"Actual start", fmtTime(m.ActualStart)},
		{"First frame", fmtTime(start)},
		{"Last frame / end", fmtTime(end)},
		{"Duration", fmtDur(end.Sub(start))},
		{"Participants", strconv.Itoa(len(v.lanes))},
		{"Peak at once", strconv.Itoa(peak)},
		{"Total presence", fmtDur(presence)},
		{"Sessions", strconv.Itoa(len(in.Sessions))},
		{"Gaps", fmt.Sprintf("%d (%s unrecorded)", gaps, fmtDur(gapTotal))},
		{"Clock offset", fmtDur(v.clk.median) + " (service − recorder, median)"},
	}
	var versionGaps, dups, unknown int
	for i := range in.Events {
		switch in.Events[i].Kind {
		case replay.EventVersionGap:
			versionGaps++
		case replay.EventDuplicateMsg:
			dups++
		case replay.EventUnknown:
			unknown++
		}
	}
	v.Anomalies = []headerItem{
		{"Version gaps", strconv.Itoa(versionGaps)},
		{"Duplicate messages", strconv.Itoa(dups)},
		{"Unknown or unreadable frames", strconv.Itoa(unknown)},
		{"Events", strconv.Itoa(len(in.Events))},
	}
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
		x := labelWidth + int(math.Round(v.sc.pos(t)))
		v.Ticks = append(v.Ticks, tickView{X: x, Clock: t.Format(layout), Since: "+" + fmtDur(t.Sub(start))})
		grid = fmt.Appendf(grid, "M%d 0v%d", x, v.LanesH)
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

// sessions fills the sessions table and the gap bands.
func (v *reportView) sessions() {
	s := slices.Clone(v.in.Sessions)
	slices.SortStableFunc(s, func(x, y store.Session) int { return x.Start.Compare(y.Start) })
	for i, x := range s {
		sv := sessionView{ID: x.ID, Start: fmtTime(x.Start), End: fmtTime(x.End), Duration: noValue, Ended: howEnded(x)}
		if !x.End.IsZero() {
			sv.Duration = fmtDur(x.End.Sub(x.Start))
		}
		if i+1 < len(s) && !x.End.IsZero() && s[i+1].Start.After(x.End) {
			sv.GapAfter = fmtDur(s[i+1].Start.Sub(x.End))
		}
		v.Sessions = append(v.Sessions, sv)
	}
	for _, g := range sessionGaps(v.in.Sessions) {
		from, to := v.clk.service(g.from), v.clk.service(g.to)
		a, b := v.sc.cols(from, to)
		v.Gaps = append(v.Gaps, gapView{
			X:   labelWidth + a,
			W:   max(b-a, gapMinWidth),
			Tip: fmt.Sprintf("not recorded: %s to %s (%s) after session %d", fmtClock(from), fmtClock(to), fmtDur(to.Sub(from)), g.after),
		})
	}
}

// howEnded says in words how a session ended.
func howEnded(s store.Session) string {
	if s.End.IsZero() {
		return "open (or the recorder stopped without closing it)"
	}
	var parts []string
	if s.Reason != "" {
		parts = append(parts, s.Reason)
	}
	if s.CloseCode != 0 {
		c := "close " + strconv.Itoa(s.CloseCode)
		if s.CloseReason != "" {
			c += " " + strconv.Quote(s.CloseReason)
		}
		parts = append(parts, c)
	}
	if s.Err != "" {
		parts = append(parts, "error: "+s.Err)
	}
	if len(parts) == 0 {
		return "ended"
	}
	return strings.Join(parts, "; ")
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
		v.Markers = append(v.Markers, markerView{X: labelWidth + c, Class: class, Tip: tip})
	}
}

// ranking fills the speaking-time ranking from the summary: everyone who
// spoke, longest first, the first rankTop drawn.
func (v *reportView) ranking() {
	var spoke []*replay.PersonSummary
	var total time.Duration
	for i := range v.in.Summary {
		s := &v.in.Summary[i]
		if s.Speaking > 0 {
			spoke = append(spoke, s)
			total += s.Speaking
		}
	}
	slices.SortStableFunc(spoke, func(x, y *replay.PersonSummary) int {
		if c := cmp.Compare(y.Speaking, x.Speaking); c != 0 {
			return c
		}
		if c := strings.Compare(x.Name, y.Name); c != 0 {
			return c
		}
		return strings.Compare(x.PID, y.PID)
	})
	for i, s := range spoke {
		if i == rankTop {
			var rest time.Duration
			for _, r := range spoke[i:] {
				rest += r.Speaking
			}
			v.RankMore = fmt.Sprintf("and %d more, together %s (%s)", len(spoke)-i, fmtDur(rest), share(rest, total))
			break
		}
		v.Ranking = append(v.Ranking, rankView{
			Rank:     i + 1,
			Name:     s.Name,
			PID:      s.PID,
			Speaking: fmtDur(s.Speaking),
			Share:    share(s.Speaking, total),
			Bar:      max(1, int(math.Round(float64(s.Speaking)/float64(spoke[0].Speaking)*rankBarMax))),
		})
	}
}

func share(d, total time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(total)*100, 'f', 1, 64) + "%"
}

// fmtTime formats t as RFC 3339 in UTC with milliseconds; zero is unknown.
func fmtTime(t time.Time) string {
	if t.IsZero() {
		return noValue
	}
	return t.UTC().Format(timeLayout)
}

// fmtClock formats t's time of day in UTC, for tooltips.
func fmtClock(t time.Time) string {
	if t.IsZero() {
		return noValue
	}
	return t.UTC().Format(tipLayout)
}

// fmtDur formats d for people: 2h05m07s, 4m10s, 12s; tenths of a second
// below ten seconds, milliseconds below one.
func fmtDur(d time.Duration) string {
	if d < 0 {
		return "-" + fmtDur(-d)
	}
	if d < time.Second && d != 0 {
		return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
	}
	if d < 10*time.Second && d%time.Second != 0 {
		return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + "s"
	}
	d = d.Round(time.Second)
	h, m, s := int(d/time.Hour), int(d/time.Minute%60), int(d/time.Second%60)
	switch {
	case h > 0:
		return fmt.Sprintf("%dh%02dm%02ds", h, m, s)
	case m > 0:
		return fmt.Sprintf("%dm%02ds", m, s)
	}
	return fmt.Sprintf("%ds", s)
}

var reportTemplate = template.Must(template.New("report").Parse(reportHTML))

// reportHTML is the page. Everything it needs is inline: no scripts, no
// fonts, no images from anywhere.
const reportHTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:#222;margin:16px;background:#fff}
h1{font-size:22px;margin:0 0 12px}
h2{font-size:17px;margin:28px 0 8px}
.facts{display:grid;grid-template-columns:max-content auto;gap:2px 16px;margin:0}
.facts dt{color:#666}
.facts dd{margin:0;font-variant-numeric:tabular-nums}
.cols{display:flex;gap:48px;flex-wrap:wrap;align-items:flex-start}
.legend{display:flex;gap:16px;flex-wrap:wrap;margin:8px 0;font-size:12px;color:#444}
.legend svg{vertical-align:middle;margin-right:4px}
.timeline{width:{{.Width}}px}
.axis{position:sticky;top:0;background:#fff;z-index:1;border-bottom:1px solid #ccc}
svg text{font:11px system-ui,"DejaVu Sans",sans-serif;fill:#222}
svg .since{fill:#888;font-size:10px}
svg .role{fill:#777}
.zebra{fill:#f4f6f8}
.grid{stroke:#e2e2e2;stroke-width:1;fill:none}
.pres,.spk,[class^="m-"]{fill:none}
.pres{stroke:#b7d2ef;stroke-width:12}
.spk{stroke:#1f5fa8;stroke-width:6}
.m-muted{stroke:#d62728;stroke-width:4}
.m-unmuted{stroke:#2ca02c;stroke-width:4}
.m-hand{stroke:#ff7f0e;stroke-width:4}
.m-share{stroke:#9467bd;stroke-width:4}
.m-unshare{stroke:#e0a8e8;stroke-width:4}
.m-role{stroke:#000;stroke-width:16}
.gap{fill:#777;fill-opacity:.3}
.v-sess-end{stroke:#d62728;stroke-dasharray:4 3}
.v-sess-start{stroke:#2ca02c;stroke-dasharray:4 3}
.v-meeting{stroke:#000;stroke-width:2}
table{border-collapse:collapse;font-variant-numeric:tabular-nums}
th,td{padding:3px 10px;text-align:left;border-bottom:1px solid #eee}
th{color:#666;font-weight:normal}
td.num{text-align:right}
.bar{fill:#1f5fa8}
footer{margin-top:32px;color:#888;font-size:12px}
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<div class="cols">
<dl class="facts">
{{- range .Header}}
<dt>{{.Label}}</dt><dd>{{.Value}}</dd>
{{- end}}
</dl>
<dl class="facts">
{{- range .Anomalies}}
<dt>{{.Label}}</dt><dd>{{.Value}}</dd>
{{- end}}
</dl>
</div>

<h2>Presence</h2>
<div class="legend">
<span><svg width="24" height="12"><rect width="24" height="12" fill="#b7d2ef"/></svg>present</span>
<span><svg width="24" height="12"><rect width="24" height="12" fill="#b7d2ef"/><rect y="3" width="24" height="6" fill="#1f5fa8"/></svg>speaking</span>
<span><svg width="6" height="12"><rect x="2" width="3" height="5" fill="#d62728"/></svg>muted</span>
<span><svg width="6" height="12"><rect x="2" width="3" height="5" fill="#2ca02c"/></svg>unmuted</span>
<span><svg width="6" height="12"><rect x="2" y="7" width="3" height="5" fill="#ff7f0e"/></svg>hand raised</span>
<span><svg width="6" height="12"><rect x="2" y="7" width="3" height="5" fill="#9467bd"/></svg>sharing started</span>
<span><svg width="6" height="12"><rect x="2" y="7" width="3" height="5" fill="#e0a8e8"/></svg>sharing stopped</span>
<span><svg width="6" height="12"><rect x="2" width="2" height="12" fill="#000"/></svg>role changed</span>
<span><svg width="10" height="12"><line x1="5" y1="0" x2="5" y2="12" stroke="#d62728" stroke-dasharray="4 3"/></svg>connection ended</span>
<span><svg width="10" height="12"><line x1="5" y1="0" x2="5" y2="12" stroke="#2ca02c" stroke-dasharray="4 3"/></svg>connection started</span>
<span><svg width="10" height="12"><line x1="5" y1="0" x2="5" y2="12" stroke="#000" stroke-width="2"/></svg>meeting started / ended</span>
<span><svg width="24" height="12"><rect width="24" height="12" fill="#777" fill-opacity=".3"/></svg>not recorded</span>
<span>times in UTC on the service&#39;s clock; marks are merged to one per {{.PlotWidth}}th of the span</span>
</div>
<div class="timeline">
<div class="axis">
<svg width="{{.Width}}" height="{{.AxisHeight}}" role="img" aria-label="time axis">
{{- range .Gaps}}
<rect class="gap" x="{{.X}}" y="0" width="{{.W}}" height="{{$.AxisHeight}}"><title>{{.Tip}}</title></rect>
{{- end}}
{{- range .Ticks}}
<line class="grid" x1="{{.X}}" y1="26" x2="{{.X}}" y2="{{$.AxisHeight}}"/><text x="{{.X}}" y="12" text-anchor="middle">{{.Clock}}</text><text class="since" x="{{.X}}" y="24" text-anchor="middle">{{.Since}}</text>
{{- end}}
</svg>
</div>
<svg class="lanes" width="{{.Width}}" height="{{.LanesH}}" role="img" aria-label="presence of {{.NumLanes}} people">
<path class="grid" d="{{.Grid}}"/>
{{- range .Lanes}}
<g class="lane" data-pid="{{.PID}}" transform="translate(0,{{.Y}})">
{{- if .Odd}}<rect class="zebra" width="{{$.PlotRight}}" height="16"/>{{end -}}
<text x="4" y="12">{{.Name}}{{if .Role}}<tspan class="role"> · {{.Role}}</tspan>{{end}}<title>{{.Tip}}</title></text>
{{- if .Pres}}<path class="pres" d="{{.Pres}}"/>{{end}}
{{- if .Spk}}<path class="spk" d="{{.Spk}}"/>{{end}}
{{- range .Marks}}<path class="{{.Class}}" d="{{.D}}"/>{{end -}}
</g>
{{- end}}
{{- range .Gaps}}
<rect class="gap" x="{{.X}}" y="0" width="{{.W}}" height="{{$.LanesH}}"><title>{{.Tip}}</title></rect>
{{- end}}
{{- range .Markers}}
<line class="{{.Class}}" x1="{{.X}}" y1="0" x2="{{.X}}" y2="{{$.LanesH}}"><title>{{.Tip}}</title></line>
{{- end}}
</svg>
</div>

<h2>Speaking time</h2>
{{- if .Ranking}}
<table class="ranking">
<tr><th>#</th><th>Name</th><th>Speaking</th><th>Share</th><th></th></tr>
{{- range .Ranking}}
<tr><td class="num">{{.Rank}}</td><td title="pid {{.PID}}">{{.Name}}</td><td class="num">{{.Speaking}}</td><td class="num">{{.Share}}</td><td><svg width="{{$.RankBarMax}}" height="12"><rect class="bar" width="{{.Bar}}" height="12"/></svg></td></tr>
{{- end}}
{{- if .RankMore}}
<tr><td></td><td colspan="4">{{.RankMore}}</td></tr>
{{- end}}
</table>
{{- else}}
<p>Nobody was heard speaking.</p>
{{- end}}

<h2>Sessions, gaps and reconnects</h2>
{{- if .Sessions}}
<table class="sessions">
<tr><th>Session</th><th>Start (recorder&#39;s clock)</th><th>End</th><th>Duration</th><th>How it ended</th><th>Gap after</th></tr>
{{- range .Sessions}}
<tr><td class="num">{{.ID}}</td><td>{{.Start}}</td><td>{{.End}}</td><td class="num">{{.Duration}}</td><td>{{.Ended}}</td><td class="num">{{.GapAfter}}</td></tr>
{{- end}}
</table>
{{- else}}
<p>No sessions recorded.</p>
{{- end}}
<footer>{{if .Generated}}Generated {{.Generated}} by confrec.{{else}}Generated by confrec.{{end}}</footer>
</body>
</html>
`
