package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Query narrows the frames a Cursor returns. The zero value means all frames.
type Query struct {
	// From and To bound the frames' key times (receive times held monotonic):
	// From inclusive, To exclusive. Zero means unbounded. The cursor seeks
	// to From; it does not scan from the start.
	From, To time.Time
}

// cursorChunk is how many frames a Cursor reads per read transaction.
const cursorChunk = 256

// Cursor iterates over a meeting's frames in order. Use it as
//
//	for c.Next() { f := c.Frame() ... }
//	if err := c.Err(); err != nil { ... }
//
// It reads in short read transactions of a few hundred frames, so a frame
// committed while the cursor runs may be returned if it comes after the
// cursor's position. A Cursor is not safe for concurrent use.
type Cursor struct {
	db      *DB
	meeting string
	to      int64 // exclusive key-time bound; 0: none
	next    []byte
	done    bool
	buf     []Frame
	pos     int
	cur     Frame
	err     error
}

// Frames returns a Cursor over meeting's frames within q (nil: all). It returns
// an error wrapping ErrMeetingNotFound when there is no such meeting.
func (db *DB) Frames(meeting string, q *Query) (*Cursor, error) {
	if _, err := db.Meeting(meeting); err != nil {
		return nil, err
	}
	c := &Cursor{db: db, meeting: meeting, next: make([]byte, keyLen)}
	if q != nil {
		if !q.From.IsZero() {
			binary.BigEndian.PutUint64(c.next, uint64(q.From.UnixNano()))
		}
		if !q.To.IsZero() {
			c.to = q.To.UnixNano()
		}
	}
	return c, nil
}

// Next advances to the next frame and reports whether there is one.
func (c *Cursor) Next() bool {
	if c.err != nil {
		return false
	}
	if c.pos >= len(c.buf) {
		if c.done {
			return false
		}
		c.fill()
		if c.err != nil || len(c.buf) == 0 {
			return false
		}
	}
	c.cur = c.buf[c.pos]
	c.buf[c.pos] = Frame{}
	c.pos++
	return true
}

// fill reads the next chunk of frames in one read transaction.
func (c *Cursor) fill() {
	c.buf, c.pos = c.buf[:0], 0
	err := c.db.view(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(c.meeting))
		if b == nil {
			return ErrMeetingNotFound
		}
		fb := b.Bucket(framesBucket)
		if fb == nil {
			return fmt.Errorf("%w: meeting has no frames bucket", ErrCorrupt)
		}
		cur := fb.Cursor()
		k, v := cur.Seek(c.next)
		for ; k != nil && len(c.buf) < cursorChunk; k, v = cur.Next() {
			if len(k) == keyLen && c.to != 0 && int64(binary.BigEndian.Uint64(k)) >= c.to {
				c.done = true
				return nil
			}
			f, err := decodeRecord(k, v)
			if err != nil {
				var seq uint64
				if len(k) == keyLen {
					seq = binary.BigEndian.Uint64(k[8:])
				}
				return &ChainError{Meeting: c.meeting, Seq: seq, Time: f.Time, Err: err}
			}
			c.buf = append(c.buf, f)
		}
		if k == nil {
			c.done = true
			return nil
		}
		c.next = append(c.next[:0], k...) // the first key not yet read
		return nil
	})
	if err != nil {
		c.err = err
		var ce *ChainError
		if !errors.As(err, &ce) {
			c.err = fmt.Errorf("read frames of meeting %s: %w", c.meeting, err)
		}
	}
}

// Frame returns the current frame. Its Payload is the caller's to keep.
func (c *Cursor) Frame() Frame { return c.cur }

// Err returns the error that stopped Next, or nil at the end of the frames.
func (c *Cursor) Err() error { return c.err }

// Close releases the cursor. It holds no transaction between calls, so Close
// only drops buffered frames; it always returns nil.
func (c *Cursor) Close() error {
	c.buf, c.done = nil, true
	return nil
}
