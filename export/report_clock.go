package export

import (
	"slices"
	"time"

	"github.com/confrec/confrec/replay"
)

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
