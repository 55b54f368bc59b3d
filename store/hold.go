package store

import (
	"context"
	"fmt"
	"time"
)

// Hold is a legal hold on a meeting: while it is set, DeleteMeeting (and so
// a purge) refuses the meeting with ErrHeld.
type Hold struct {
	// Reason says why the meeting is held, such as a case number.
	Reason string `json:"reason"`
	// By is who set the hold (the CLI uses the operating system user).
	By string `json:"by,omitempty"`
	// At is when the hold was set.
	At time.Time `json:"at"`
}

// SetHold puts a legal hold on meeting, replacing any hold it has, and
// returns once it is durable. It returns an error wrapping
// ErrMeetingNotFound when the meeting does not exist. A zero h.At means now.
func (db *DB) SetHold(ctx context.Context, meeting string, h Hold) error {
	if err := ValidateMeetingID(meeting); err != nil {
		return err
	}
	if h.At.IsZero() {
		h.At = time.Now()
	}
	h.At = h.At.UTC()
	r := &request{kind: reqHold, meeting: meeting, hold: &h, done: make(chan error, 1)}
	if err := db.wait(ctx, r); err != nil {
		return fmt.Errorf("hold meeting %s: %w", meeting, err)
	}
	return nil
}

// ReleaseHold removes meeting's legal hold and returns once that is durable.
// It returns an error wrapping ErrNotHeld when the meeting has no hold, and
// ErrMeetingNotFound when there is no such meeting.
func (db *DB) ReleaseHold(ctx context.Context, meeting string) error {
	if err := ValidateMeetingID(meeting); err != nil {
		return err
	}
	r := &request{kind: reqHold, meeting: meeting, done: make(chan error, 1)}
	if err := db.wait(ctx, r); err != nil {
		return fmt.Errorf("release meeting %s: %w", meeting, err)
	}
	return nil
}

// DeleteMeeting removes meeting, its frames and its sessions, and returns
// once that is durable. The delete is ordered with the writes queued before
// and after it: frames queued before it are deleted with it, frames queued
// after it start a new meeting. It returns an error wrapping ErrHeld when
// the meeting is under a legal hold, ErrMeetingNotFound when there is no
// such meeting. The file does not shrink: see Compact.
func (db *DB) DeleteMeeting(ctx context.Context, meeting string) error {
	if err := ValidateMeetingID(meeting); err != nil {
		return err
	}
	r := &request{kind: reqDelete, meeting: meeting, done: make(chan error, 1)}
	if err := db.wait(ctx, r); err != nil {
		return fmt.Errorf("delete meeting %s: %w", meeting, err)
	}
	return nil
}

// prepareHold prepares a reqHold or reqDelete request. The request's own
// failure (no such meeting, held, not held) goes to r.err; the error
// returned fails the batch.
func (w *writer) prepareHold(b *batch, r *request) error {
	m, err := w.meeting(b, r.meeting, false)
	if err != nil {
		return err
	}
	switch {
	case m == nil:
		r.err = ErrMeetingNotFound
	case r.kind == reqDelete && m.Hold != nil:
		r.err = fmt.Errorf("%w since %s by %s: %s", ErrHeld, m.Hold.At.Format(time.RFC3339), m.Hold.By, m.Hold.Reason)
	case r.kind == reqDelete:
		// Frames queued before the delete go with it.
		delete(w.blocks, r.meeting)
		delete(w.touched, r.meeting)
		delete(w.meetings, r.meeting)
		delete(w.last, r.meeting)
		w.gone[r.meeting] = b.seq
		b.ops = append(b.ops, op{kind: opDelete, meeting: r.meeting})
	case r.hold == nil && m.Hold == nil:
		r.err = ErrNotHeld
	default:
		m.Hold = r.hold
		w.touched[r.meeting] = true
	}
	return nil
}
