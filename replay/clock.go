package replay

import (
	"fmt"
	"time"

	"github.com/confrec/confrec/store"
)

// This file puts frames on the service's clock, the clock of event times
// (Event.Time), for StateAt and TimeRange: a time copied from a timeline
// means the same frames to both.

// frameClock gives a meeting's frames, read in order, their times on the
// service's clock by Folder.Apply's rule: a frame's createTime, or else its
// receive time moved by the offset (createTime − receive time) of the last
// frame that had one; skew starts as FirstOffset's.
type frameClock struct {
	skew time.Duration
	w    wireFrame
}

// createTimeOf returns fr's createTime, as the Folder reads it: only a
// text frame from the service that parses has one.
func createTimeOf(fr *store.Frame, w *wireFrame) (time.Time, bool) {
	if fr.Dir != store.In || fr.Op != store.Text || decodeFrame(fr.Payload, w) != nil {
		return time.Time{}, false
	}
	return epochTime(w.CreateTime)
}

// time returns fr's time on the service's clock and moves the offset on.
func (c *frameClock) time(fr *store.Frame) time.Time {
	recv := fr.Time.UTC()
	if t, ok := createTimeOf(fr, &c.w); ok {
		c.skew = t.Sub(recv)
		return t
	}
	return recv.Add(c.skew)
}

// FirstOffset returns the offset between the service's clock and the
// receive clock (createTime − receive time) of the first frame of meeting
// confID that has a createTime, 0 when none has: for Folder.SetOffset. It
// reads the frames only up to that one.
func FirstOffset(db *store.DB, confID string) (time.Duration, error) {
	d, _, err := LookupFirstOffset(db, confID)
	return d, err
}

// LookupFirstOffset is FirstOffset, and reports whether a frame had a
// createTime: a fold that follows a meeting while it is recorded waits for
// one before it begins, so that its first events are on the service's
// clock as a fold of the finished meeting puts them.
func LookupFirstOffset(db *store.DB, confID string) (time.Duration, bool, error) {
	c, err := db.Frames(confID, nil)
	if err != nil {
		return 0, false, fmt.Errorf("read meeting %s: %w", confID, err)
	}
	defer c.Close()
	var w wireFrame
	for c.Next() {
		fr := c.Frame()
		if t, ok := createTimeOf(&fr, &w); ok {
			return t.Sub(fr.Time), true, nil
		}
	}
	if err := c.Err(); err != nil {
		return 0, false, fmt.Errorf("read meeting %s: %w", confID, err)
	}
	return 0, false, nil
}

// TimeRange returns when meeting confID begins and ends on the service's
// clock, the clock of event times and so of a timeline: from its first
// frame, or its first session's start when that is earlier, to its latest
// frame, or its last session's end when that is later. Both are zero when
// the meeting has no frames. It reads every frame.
//
// It returns an error wrapping store.ErrMeetingNotFound when db has no
// such meeting.
func TimeRange(db *store.DB, confID string) (first, last time.Time, err error) {
	m, err := db.Meeting(confID)
	if err != nil {
		return first, last, fmt.Errorf("meeting time range: %w", err)
	}
	skew, err := FirstOffset(db, confID)
	if err != nil {
		return first, last, fmt.Errorf("meeting time range: %w", err)
	}
	c, err := db.Frames(confID, nil)
	if err != nil {
		return first, last, fmt.Errorf("meeting time range: %w", err)
	}
	defer c.Close()
	clk := frameClock{skew: skew}
	for n := 0; c.Next(); n++ {
		fr := c.Frame()
		t := clk.time(&fr)
		if n == 0 {
			first, last = t, t
		}
		last = later(last, t)
	}
	if err := c.Err(); err != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("meeting time range of %s: %w", confID, err)
	}
	if first.IsZero() {
		return first, last, nil
	}
	if len(m.Sessions) > 0 {
		if s := m.Sessions[0].Start; !s.IsZero() && s.Add(skew).Before(first) {
			first = s.Add(skew).UTC()
		}
		if e := m.Sessions[len(m.Sessions)-1].End; !e.IsZero() {
			last = later(last, e.Add(clk.skew).UTC())
		}
	}
	return first, last, nil
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
