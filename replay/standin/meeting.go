package standin

import (
	"fmt"
	"time"

	"github.com/confrec/confrec/confctl"
	"github.com/confrec/confrec/store"
)

// LoadMeeting builds a Script from meeting confID as recorded in db.
//
// Only frames received from the service (store.In) become steps, at their
// offset from the start of the meeting's first session (or from the first
// frame when the meeting has no session); an offset that would be negative
// is 0. Text frames that are replies to client requests (see
// confctl.IsReplyAction) are skipped, since the Server replies live; a text
// frame that does not decode is kept and played as is. Binary frames
// become StepBinary and Close frames StepClose with their status.
//
// Where the recording moves to a new session (the recorder reconnected)
// without the previous session ending in a Close frame from the service, a
// StepDrop is inserted at the offset of the previous session's last frame
// from the service (its last frame of any direction if it has none), so
// that a client sees the connection fail there too.
//
// It returns an error wrapping store.ErrMeetingNotFound when db has no
// such meeting.
func LoadMeeting(db *store.DB, confID string) (*Script, error) {
	m, err := db.Meeting(confID)
	if err != nil {
		return nil, fmt.Errorf("load meeting: %w", err)
	}
	c, err := db.Frames(confID, nil)
	if err != nil {
		return nil, fmt.Errorf("load meeting: %w", err)
	}
	defer c.Close()

	s := &Script{ConfID: confID}
	var (
		base     time.Time
		haveBase bool
		first    = true
		session  uint32
		lastIn   time.Duration // offset of the session's last In frame
		lastAny  time.Duration // offset of the session's last frame
		sawIn    bool          // the session has an In frame
		closed   bool          // the session's last In frame is a Close
	)
	if len(m.Sessions) > 0 {
		first := m.Sessions[0]
		for _, ss := range m.Sessions[1:] {
			if ss.ID < first.ID {
				first = ss
			}
		}
		base, haveBase = first.Start, true
	}
	for c.Next() {
		f := c.Frame()
		if !haveBase {
			base, haveBase = f.Time, true
		}
		off := max(f.Time.Sub(base), 0)
		if !first && f.Session != session && !closed {
			at := lastAny
			if sawIn {
				at = lastIn
			}
			s.Steps = append(s.Steps, Step{Offset: at, Kind: StepDrop})
		}
		if first || f.Session != session {
			first, session, sawIn, closed = false, f.Session, false, false
		}
		lastAny = off
		if f.Dir != store.In {
			continue
		}
		lastIn, sawIn, closed = off, true, false
		switch f.Op {
		case store.Binary:
			s.Steps = append(s.Steps, Step{Offset: off, Kind: StepBinary, Payload: f.Payload})
		case store.Close:
			closed = true
			code, reason, ok := f.CloseStatus()
			if !ok {
				code, reason = 0, ""
			}
			s.Steps = append(s.Steps, Step{Offset: off, Kind: StepClose, CloseCode: code, CloseReason: reason})
		default:
			if action, _ := confctl.Peek(f.Payload); confctl.IsReplyAction(action) {
				continue
			}
			s.Steps = append(s.Steps, Step{Offset: off, Kind: StepText, Payload: f.Payload})
		}
	}
	if err := c.Err(); err != nil {
		return nil, fmt.Errorf("load meeting %s: %w", confID, err)
	}
	return s, nil
}
