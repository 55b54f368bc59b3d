package importer

import "errors"

var (
	// ErrMeetingExists is returned when the store already holds the meeting
	// to import into.
	ErrMeetingExists = errors.New("already exists (import creates only new meetings)")
	// ErrNoSessions is returned by HAR when the file holds no WebSocket
	// session to import.
	ErrNoSessions = errors.New("no WebSocket session to import")
	// ErrNoFrames is returned by JSONL when the file holds no frame.
	ErrNoFrames = errors.New("no frame to import")
	// ErrSequence is returned by JSONL when frame seq numbers are not 1, 2,
	// 3, ... in order.
	ErrSequence = errors.New("frames not in seq order from 1")
	// ErrFormat is returned when the file is not a HAR or frame JSON Lines
	// file, or a record in it is malformed.
	ErrFormat = errors.New("malformed import file")
	// ErrLineTooLong is returned by JSONL, with ErrFormat, when a line is
	// longer than export writes for a frame of JSONLOptions.MaxFrame bytes.
	ErrLineTooLong = errors.New("line too long for the largest frame")
	// ErrNoMeetingID is returned when no meeting ID was given and the file
	// names none.
	ErrNoMeetingID = errors.New("no meeting ID")
)
