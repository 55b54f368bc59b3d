package store

import (
	"errors"
	"fmt"
	"time"
)

// Errors returned when opening a database.
var (
	// ErrLocked is returned by Open when another process holds the database
	// open for writing (for example a running `confrec record`).
	ErrLocked = errors.New("database is in use by another confrec process")
	// ErrNotConfrec is returned by Open when the file is a bbolt database that
	// was not written by confrec, or is not a bbolt database at all.
	ErrNotConfrec = errors.New("not a confrec database")
	// ErrCorrupt is returned by Open when the database file is damaged or truncated.
	ErrCorrupt = errors.New("database file is damaged")
	// ErrNoDatabase is returned by Open in read-only mode when the file does not exist.
	ErrNoDatabase = errors.New("no database at this path")
)

// Errors returned when fetching a snapshot.
var (
	// ErrNoSnapshotServer is returned by FetchSnapshot when nothing answers
	// on the socket: no recorder is running, or one that does not serve
	// snapshots.
	ErrNoSnapshotServer = errors.New("no snapshot server answers")
)

// Errors returned when reading or writing.
var (
	// ErrClosed is returned when the DB was closed before the call.
	ErrClosed = errors.New("store is closed")
	// ErrReadOnly is returned by writes on a DB opened with Options.ReadOnly.
	ErrReadOnly = errors.New("store is open read-only")
	// ErrMeetingNotFound is returned when no meeting has the given ID.
	ErrMeetingNotFound = errors.New("meeting not found")
	// ErrInvalidMeetingID is returned when a meeting ID is empty, too long or
	// holds control characters.
	ErrInvalidMeetingID = errors.New("invalid meeting ID")
	// ErrSessionNotFound is returned by EndSession for an unknown session.
	ErrSessionNotFound = errors.New("session not found")
	// ErrHeld is returned by DeleteMeeting for a meeting under a legal hold.
	ErrHeld = errors.New("meeting is under a legal hold")
	// ErrNotHeld is returned by ReleaseHold for a meeting without a hold.
	ErrNotHeld = errors.New("meeting has no legal hold")
)

// Errors found when checking what is stored.
var (
	// ErrChecksum is returned when a frame record's CRC does not match its bytes.
	ErrChecksum = errors.New("frame record checksum mismatch")
	// ErrSequence is returned when frame numbers are missing or out of order.
	ErrSequence = errors.New("frame sequence broken")
	// ErrChainHead is returned when the recomputed hash chain does not end in
	// the head kept in the meeting's metadata.
	ErrChainHead = errors.New("hash chain head mismatch")
	// ErrRecordFormat is returned when a stored record has an unknown type or is
	// too short to decode.
	ErrRecordFormat = errors.New("unknown or short frame record")
)

// ChainError reports where a meeting's stored frames stop matching the hash
// chain. Seq is the first frame found wrong (for ErrChainHead, the last frame);
// Time is that frame's time when it could be decoded.
type ChainError struct {
	Meeting string
	Seq     uint64
	Time    time.Time
	Err     error
}

func (e *ChainError) Error() string {
	if e.Time.IsZero() {
		return fmt.Sprintf("meeting %s: frame %d: %v", e.Meeting, e.Seq, e.Err)
	}
	return fmt.Sprintf("meeting %s: frame %d (%s): %v", e.Meeting, e.Seq, e.Time.UTC().Format(time.RFC3339Nano), e.Err)
}

// Unwrap returns the kind of break (ErrChecksum, ErrSequence, ErrChainHead, ErrRecordFormat).
func (e *ChainError) Unwrap() error { return e.Err }
