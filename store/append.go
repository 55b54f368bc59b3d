package store

import (
	"context"
	"fmt"
	"time"
)

type reqKind uint8

const (
	reqFrame reqKind = iota
	reqBeginSession
	reqEndSession
	reqLabel
	reqFlush
	reqHold   // set (hold != nil) or release a legal hold: hold.go
	reqDelete // delete a meeting: hold.go
)

// request is one piece of work for the writer. done, when not nil, receives
// the result of the commit that carried it (buffered, capacity 1). The
// preparer fills sid and err; the committer may set err (an unknown
// session) before it answers.
type request struct {
	kind    reqKind
	meeting string
	frame   Frame
	session *Session // reqBeginSession, reqEndSession
	key     string
	value   string
	hold    *Hold // reqHold: the hold to set, nil to release
	done    chan error
	sid     uint32 // out: session ID assigned by reqBeginSession
	err     error  // out: this request's own failure, which does not fail the commit
}

// Enqueue queues f for meeting and returns without waiting for the commit;
// the frame is durable at the latest FlushInterval later, plus the time of
// its commit and of the commit before it, which may still be running. It
// blocks only while the queue is full (Options.QueueFrames)
// and returns the writer's error once a commit has failed. f.Payload must not
// be changed after the call.
func (db *DB) Enqueue(meeting string, f Frame) error {
	if err := ValidateMeetingID(meeting); err != nil {
		return err
	}
	if f.Time.IsZero() {
		f.Time = time.Now()
	}
	return db.send(context.Background(), &request{kind: reqFrame, meeting: meeting, frame: f})
}

// Append stores frames for meeting and returns after the commit holding them
// is synced. It is safe for concurrent use; concurrent callers share commits.
func (db *DB) Append(ctx context.Context, meeting string, frames ...Frame) error {
	if err := ValidateMeetingID(meeting); err != nil {
		return err
	}
	for _, f := range frames {
		if f.Time.IsZero() {
			f.Time = time.Now()
		}
		if err := db.send(ctx, &request{kind: reqFrame, meeting: meeting, frame: f}); err != nil {
			return fmt.Errorf("append to meeting %s: %w", meeting, err)
		}
	}
	return db.Flush(ctx)
}

// BeginSession records the start of a connection for meeting (creating the
// meeting if needed) and returns its session ID once durable. Frames queued
// after it are ordered after it.
func (db *DB) BeginSession(ctx context.Context, meeting string, s Session) (uint32, error) {
	if err := ValidateMeetingID(meeting); err != nil {
		return 0, err
	}
	r := &request{kind: reqBeginSession, meeting: meeting, session: &s, done: make(chan error, 1)}
	if err := db.wait(ctx, r); err != nil {
		return 0, fmt.Errorf("begin session for meeting %s: %w", meeting, err)
	}
	return r.sid, nil
}

// EndSession records how session id of meeting ended (end time at), once
// durable. Every frame queued before it is committed with it.
func (db *DB) EndSession(ctx context.Context, meeting string, id uint32, at time.Time, end SessionEnd) error {
	if err := ValidateMeetingID(meeting); err != nil {
		return err
	}
	r := &request{kind: reqEndSession, meeting: meeting, session: &Session{ID: id, End: at, SessionEnd: end}, done: make(chan error, 1)}
	if err := db.wait(ctx, r); err != nil {
		return fmt.Errorf("end session %d of meeting %s: %w", id, meeting, err)
	}
	return nil
}

// SetLabel queues a label (key=value) for meeting, such as its title. Like
// Enqueue it does not wait for the commit.
func (db *DB) SetLabel(meeting, key, value string) error {
	if err := ValidateMeetingID(meeting); err != nil {
		return err
	}
	return db.send(context.Background(), &request{kind: reqLabel, meeting: meeting, key: key, value: value})
}

// Flush returns once everything queued before the call is durable, or with
// the writer's error.
func (db *DB) Flush(ctx context.Context) error {
	if err := db.wait(ctx, &request{kind: reqFlush, done: make(chan error, 1)}); err != nil {
		return fmt.Errorf("flush store: %w", err)
	}
	return nil
}

func (db *DB) wait(ctx context.Context, r *request) error {
	if err := db.send(ctx, r); err != nil {
		return err
	}
	select {
	case err := <-r.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}
