package replay

import (
	"fmt"
	"time"

	"github.com/confrec/confrec/store"
)

// Reconstruct folds every frame of meeting confID in db, calling fn (when
// not nil) for each derived event in order, those of Folder.Finish
// included. It returns the final state and the Folder, whose End tells
// when the meeting ended. The event passed to fn is valid only during the
// call. An error from fn stops the fold and is returned wrapped. The
// Folder starts with the meeting's FirstOffset, so every event time is on
// the service's clock.
//
// It returns an error wrapping store.ErrMeetingNotFound when db has no
// such meeting.
func Reconstruct(db *store.DB, confID string, fn func(*Event) error) (*State, *Folder, error) {
	m, err := db.Meeting(confID)
	if err != nil {
		return nil, nil, fmt.Errorf("reconstruct meeting: %w", err)
	}
	skew, err := FirstOffset(db, confID)
	if err != nil {
		return nil, nil, fmt.Errorf("reconstruct meeting: %w", err)
	}
	f := NewFolder(confID, m.Sessions)
	f.SetOffset(skew)
	if err := fold(db, f, confID, nil, fn); err != nil {
		return nil, nil, err
	}
	if fn != nil {
		evs := f.Finish(nil)
		for i := range evs {
			if err := fn(&evs[i]); err != nil {
				return nil, nil, fmt.Errorf("reconstruct meeting %s: %w", confID, err)
			}
		}
	} else {
		f.Finish(nil)
	}
	return f.State(), f, nil
}

// StateAt returns the state of meeting confID in db at instant at, on the
// service's clock: the clock of event times (Event.Time), so a time taken
// from a timeline means what it says there. The state is the fold of the
// frames, in order, up to the first whose time on that clock (its
// createTime, or its receive time moved as Folder.Apply moves an event's)
// is after at. Before the first frame the state is empty but for
// Meeting.ConfID. The state's At is at.
//
// It returns an error wrapping store.ErrMeetingNotFound when db has no
// such meeting.
func StateAt(db *store.DB, confID string, at time.Time) (*State, error) {
	m, err := db.Meeting(confID)
	if err != nil {
		return nil, fmt.Errorf("meeting state: %w", err)
	}
	skew, err := FirstOffset(db, confID)
	if err != nil {
		return nil, fmt.Errorf("meeting state: %w", err)
	}
	c, err := db.Frames(confID, nil)
	if err != nil {
		return nil, fmt.Errorf("read meeting %s: %w", confID, err)
	}
	defer c.Close()
	f := NewFolder(confID, m.Sessions)
	f.SetOffset(skew)
	clk := frameClock{skew: skew}
	var evs []Event
	for c.Next() {
		fr := c.Frame()
		if clk.time(&fr).After(at) {
			break
		}
		evs = f.Apply(evs[:0], &fr)
	}
	if err := c.Err(); err != nil {
		return nil, fmt.Errorf("read meeting %s: %w", confID, err)
	}
	st := f.State()
	st.At = at.UTC()
	return st, nil
}

// fold applies the frames of q to f, calling fn for each event.
func fold(db *store.DB, f *Folder, confID string, q *store.Query, fn func(*Event) error) error {
	c, err := db.Frames(confID, q)
	if err != nil {
		return fmt.Errorf("read meeting %s: %w", confID, err)
	}
	defer c.Close()
	var evs []Event
	for c.Next() {
		fr := c.Frame()
		evs = f.Apply(evs[:0], &fr)
		if fn == nil {
			continue
		}
		for i := range evs {
			if err := fn(&evs[i]); err != nil {
				return fmt.Errorf("reconstruct meeting %s: %w", confID, err)
			}
		}
	}
	if err := c.Err(); err != nil {
		return fmt.Errorf("read meeting %s: %w", confID, err)
	}
	return nil
}
