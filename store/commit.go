package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// CommitStats describes one commit of the writer, for Options.OnCommit.
// Summed over every commit of a DB, the frames and bytes are those the
// meetings gained (Meeting.Frames, Meeting.Bytes) while it was open,
// less those of meetings deleted since.
type CommitStats struct {
	Duration time.Duration // the bolt transaction's commit (Update) time
	// FramesIn and FramesOut are the frames committed, by direction: Out
	// frames count in FramesOut, all others in FramesIn (the store does
	// not check directions).
	FramesIn, FramesOut int
	Bytes               int64     // their payload bytes
	Last                time.Time // the receive time (Frame.Time) of the newest frame committed (zero if none)
	// Meetings are the IDs of the meetings the commit changed (frames,
	// sessions, labels, holds, deletes), in no order: a follower of many
	// meetings reads only those.
	Meetings []string
}

// add counts f in s.
func (s *CommitStats) add(f *Frame) {
	if f.Dir == Out {
		s.FramesOut++
	} else {
		s.FramesIn++
	}
	s.Bytes += int64(len(f.Payload))
	if f.Time.After(s.Last) {
		s.Last = f.Time
	}
}

// commitLoop is the committer: it commits the batches from ready in order,
// answers their requests and gives the batches back on free.
func (w *writer) commitLoop(ready <-chan *batch, free chan<- *batch) {
	for b := range ready {
		err := w.db.err()
		if err == nil {
			err = b.err
		}
		if err == nil && len(b.ops) > 0 {
			// A batch without ops (flushes only, or requests that failed on
			// their own) needs no commit: the batches before it are durable.
			start := time.Now()
			err = w.db.bolt.Update(func(tx *bolt.Tx) error { return w.apply(tx, b) })
			if err == nil {
				w.db.commits.Add(1)
				if fn := w.db.opts.OnCommit; fn != nil {
					b.stats.Duration = time.Since(start)
					fn(b.stats)
				}
				// After OnCommit: a waiter woken by Committed finds
				// what OnCommit was told.
				w.db.signalCommit()
			}
		}
		if err != nil && w.db.err() == nil {
			err = fmt.Errorf("commit to %s: %w", w.db.path, err)
			w.db.failed.CompareAndSwap(nil, &err)
			w.db.opts.Logger.Error("store commit failed", "path", w.db.path, "requests", len(b.reqs), "err", err)
		}
		w.release(b)
		w.committed.Store(b.seq)
		// Off the queue before anyone is answered: a Flush that returns
		// sees them gone.
		frames := 0
		for _, r := range b.reqs {
			if r.kind == reqFrame {
				frames++
			}
		}
		w.db.queued.Add(-int64(frames))
		for i, r := range b.reqs {
			if r.done != nil {
				if err == nil {
					r.done <- r.err
				} else {
					r.done <- err
				}
			}
			b.reqs[i] = nil
		}
		b.reqs = b.reqs[:0]
		clear(b.ops)
		b.ops = b.ops[:0]
		b.err = nil
		b.stats = CommitStats{}
		free <- b
	}
}

// apply carries out b's ops in tx.
func (w *writer) apply(tx *bolt.Tx, b *batch) error {
	w.db.bolt.AllocSize = growStep(tx.Size())
	var (
		id         string
		mb, fb, sb *bolt.Bucket // id's buckets, nil until needed
	)
	for i := range b.ops {
		o := &b.ops[i]
		if o.meeting != id {
			id, mb, fb, sb = o.meeting, nil, nil, nil
		}
		if mb == nil && o.kind != opCreate && o.kind != opDelete {
			if mb = tx.Bucket([]byte(id)); mb == nil {
				return fmt.Errorf("meeting %s: %w", id, ErrMeetingNotFound)
			}
		}
		var err error
		switch o.kind {
		case opCreate:
			mb, err = createMeeting(tx, id)
		case opPut:
			if fb == nil {
				fb = mb.Bucket(framesBucket)
				fb.FillPercent = 1.0 // keys only ever grow: pack pages full
			}
			if err = fb.Put(o.key, o.val); err != nil {
				err = fmt.Errorf("put frames from %d: %w", binary.BigEndian.Uint64(o.key[8:]), err)
			}
		case opSession, opEndSession:
			if sb == nil {
				sb = mb.Bucket(sessionsBucket)
			}
			if o.kind == opSession {
				err = sb.Put(o.key, o.val)
			} else {
				err = endSession(sb, o.req)
			}
		case opDelete:
			err = tx.DeleteBucket([]byte(id))
			mb, fb, sb = nil, nil, nil
		case opMeta:
			err = mb.Put(metaKey, o.val)
		}
		if err != nil {
			return fmt.Errorf("meeting %s: %w", id, err)
		}
	}
	return nil
}

// createMeeting creates the buckets of meeting id. The preparer creates
// only meetings the file does not hold: one that exists is an error, not a
// meeting to start again on top of its frames.
func createMeeting(tx *bolt.Tx, id string) (*bolt.Bucket, error) {
	mb, err := tx.CreateBucket([]byte(id))
	if err != nil {
		return nil, fmt.Errorf("create meeting %s: %w", id, err)
	}
	for _, name := range [][]byte{framesBucket, sessionsBucket} {
		if _, err := mb.CreateBucket(name); err != nil {
			return nil, fmt.Errorf("create meeting %s: %w", id, err)
		}
	}
	return mb, nil
}

func decodeSession(v []byte) (Session, error) {
	var s Session
	if err := json.Unmarshal(v, &s); err != nil {
		return Session{}, fmt.Errorf("decode session: %w", err)
	}
	return s, nil
}

// endSession records r's session end in sb. An unknown or unreadable
// session is r's own error (r.err), which does not fail the commit.
func endSession(sb *bolt.Bucket, r *request) error {
	key := sessionKey(r.session.ID)
	v := sb.Get(key)
	if v == nil {
		r.err = fmt.Errorf("%w: %d", ErrSessionNotFound, r.session.ID)
		return nil
	}
	s, err := decodeSession(v)
	if err != nil {
		r.err = err
		return nil
	}
	s.End = r.session.End.UTC()
	s.SessionEnd = r.session.SessionEnd
	v, err = json.Marshal(&s)
	if err != nil {
		return err
	}
	return sb.Put(key, v)
}
