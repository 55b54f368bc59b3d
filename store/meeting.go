package store

import (
	"encoding/json"
	"fmt"
	"time"
	"unicode"
	"unicode/utf8"
)

// MaxMeetingIDLen is the longest meeting ID accepted, in bytes.
const MaxMeetingIDLen = 128

// ValidateMeetingID returns an error wrapping ErrInvalidMeetingID when id is
// empty, longer than MaxMeetingIDLen, not UTF-8, or holds control characters.
func ValidateMeetingID(id string) error {
	switch {
	case id == "":
		return fmt.Errorf("%w: empty", ErrInvalidMeetingID)
	case len(id) > MaxMeetingIDLen:
		return fmt.Errorf("%w: %d bytes, at most %d allowed", ErrInvalidMeetingID, len(id), MaxMeetingIDLen)
	case !utf8.ValidString(id):
		return fmt.Errorf("%w: not UTF-8", ErrInvalidMeetingID)
	}
	for _, r := range id {
		if unicode.IsControl(r) {
			return fmt.Errorf("%w: %q holds a control character", ErrInvalidMeetingID, id)
		}
	}
	return nil
}

// Meeting is what the store knows of one meeting.
type Meeting struct {
	ID      string    `json:"id"`
	Created time.Time `json:"created"`
	// Frames is the number of frames stored, which is also the last Seq.
	Frames uint64 `json:"frames"`
	// Bytes is the sum of the stored payload sizes.
	Bytes uint64 `json:"bytes"`
	// FirstTime and LastTime are the wall-clock times of the first and
	// last frames (Frame.Time). After the clock stepped back LastTime may
	// be before FirstTime: KeySpan is the meeting's span in time.
	FirstTime time.Time `json:"first_time,omitzero"`
	LastTime  time.Time `json:"last_time,omitzero"`
	// ChainHead is the hash chain link after the last frame (ChainStart(ID)
	// when there is none).
	ChainHead Hash `json:"chain_head"`
	// Labels are free key/value facts set by the caller (SetLabel), such as a title.
	Labels map[string]string `json:"labels,omitempty"`
	// Hold is the meeting's legal hold, nil when it has none (SetHold).
	Hold *Hold `json:"hold,omitempty"`
	// Sessions is filled by DB.Meeting, not by DB.Meetings.
	Sessions []Session `json:"sessions,omitempty"`
	// SessionCount is the number of sessions.
	SessionCount uint32 `json:"session_count"`

	lastKeyTime int64
}

// KeySpan returns the key times of the meeting's first and last frames:
// their receive times held monotonic, as frames are keyed and Query
// selects them, so first is never after last even when the wall clock
// stepped back while recording. The first frame's key time is its
// FirstTime; the last's is the latest frame time seen. Both are zero when
// the meeting has no frames.
func (m *Meeting) KeySpan() (first, last time.Time) {
	if m.Frames == 0 {
		return time.Time{}, time.Time{}
	}
	last = m.LastTime
	if m.lastKeyTime != 0 {
		last = time.Unix(0, m.lastKeyTime).UTC()
	}
	if last.Before(m.FirstTime) { // not written so, but never report it
		last = m.FirstTime
	}
	return m.FirstTime, last
}

// metaRecord is the stored form of a meeting's metadata.
type metaRecord struct {
	Meeting
	LastKeyTime int64 `json:"last_key_time"`
}

func encodeMeta(m *Meeting) ([]byte, error) {
	r := metaRecord{Meeting: *m, LastKeyTime: m.lastKeyTime}
	r.Sessions = nil
	return json.Marshal(&r)
}

func decodeMeta(b []byte) (Meeting, error) {
	var r metaRecord
	if err := json.Unmarshal(b, &r); err != nil {
		return Meeting{}, fmt.Errorf("decode meeting metadata: %w", err)
	}
	m := r.Meeting
	m.lastKeyTime = r.LastKeyTime
	return m, nil
}

// Session is one connection the recorder made for a meeting.
type Session struct {
	// ID numbers the meeting's sessions from 1; assigned by BeginSession.
	ID    uint32    `json:"id"`
	Start time.Time `json:"start"`
	// End is zero while the session is open (or when the recorder died).
	End time.Time `json:"end,omitzero"`
	// URL is the connect URL with secrets already redacted by the caller.
	URL        string   `json:"url,omitempty"`
	RemoteAddr string   `json:"remote_addr,omitempty"`
	Extensions []string `json:"extensions,omitempty"`
	// Attrs holds anything else the caller wants to keep about the session.
	Attrs map[string]string `json:"attrs,omitempty"`
	SessionEnd
}

// SessionEnd is how a session ended.
type SessionEnd struct {
	// Reason is a short word chosen by the caller, such as "meeting-ended",
	// "dropped", "stopped" or "error".
	Reason      string `json:"reason,omitempty"`
	CloseCode   int    `json:"close_code,omitempty"`
	CloseReason string `json:"close_reason,omitempty"`
	// Err is the error text (already redacted) when the session ended by error.
	Err string `json:"error,omitempty"`
}
