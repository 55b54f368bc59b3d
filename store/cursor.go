package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
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
// It reads in short read transactions of a few hundred frames, so a long
// export does not block the writer, and a frame committed while the cursor
// runs may be returned if it comes after the cursor's position. The frames
// it returns are copies: they stay valid after Next and after Close. A
// Cursor is not safe for concurrent use.
type Cursor struct {
	db      *DB
	meeting string
	from    int64 // inclusive key-time bound
	to      int64 // exclusive key-time bound; 0: none
	seek    bool  // the first read seeks to from
	bad     error // damage found by fill, returned after the frames before it
	skip    int   // entries of the block at next read already
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
	c := &Cursor{db: db, meeting: meeting, next: make([]byte, keyLen), from: math.MinInt64}
	if q != nil {
		if !q.From.IsZero() {
			c.from = q.From.UnixNano()
			c.seek = true
			binary.BigEndian.PutUint64(c.next, uint64(c.from))
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
		if c.bad != nil {
			c.err = c.bad
			return false
		}
		if c.done {
			return false
		}
		c.fill()
		if c.err != nil {
			return false
		}
		if len(c.buf) == 0 {
			if c.bad != nil {
				c.err = c.bad
			}
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
		if c.seek {
			// The first read: the block holding From may start before it.
			c.seek = false
			switch {
			case k == nil:
				k, v = cur.Last()
			case !bytes.Equal(k, c.next):
				if k, v = cur.Prev(); k == nil {
					k, v = cur.First()
				}
			}
		}
		// The block at c.next may have grown since it was read: its first
		// c.skip entries were read then.
		skip := 0
		if bytes.Equal(k, c.next) {
			skip = c.skip
		}
		var last []byte
		var entries int
		for ; k != nil && len(c.buf) < cursorChunk; k, v = cur.Next() {
			var end bool
			var err error
			c.buf, entries, end, err = decodeFrames(c.buf, k, v, skip, c.from, c.to)
			skip = 0
			if err != nil {
				// The frames before the bad one come first: a reader such
				// as Verify then names the first frame out of place.
				var fe *frameError
				errors.As(err, &fe)
				c.bad = &ChainError{Meeting: c.meeting, Seq: fe.seq, Time: fe.time, Err: fe.err}
				return nil
			}
			if end {
				c.done = true
				return nil
			}
			last = k
		}
		if k == nil {
			// Past the last key: the next read starts at the last block
			// read, past its entries read, and finds the frames committed
			// since, if any.
			if last != nil {
				c.next = append(c.next[:0], last...)
				c.skip = entries
			}
			return nil
		}
		c.skip = 0
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
	c.buf, c.done, c.bad = nil, true, nil
	return nil
}
