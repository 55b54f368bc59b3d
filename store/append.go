package store

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash"
	"strconv"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
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
// the result of the commit that carried it (buffered, capacity 1).
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
// the frame is durable at the latest FlushInterval (plus the commit's own
// time) later. It blocks only while the queue is full (Options.QueueFrames)
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

// writer is the goroutine that owns all writes. It collects requests until the
// oldest has waited FlushInterval, or a caller waits for a commit, and then
// commits them in one bbolt transaction.
type writer struct {
	db       *DB
	meetings map[string]*Meeting // cache of metadata, coherent because only the writer writes
	batch    []*request
	blocks   map[string]*block // per meeting, the block the transaction is filling
	digest   hash.Hash         // SHA-256, reused for the hash chain

	smallBlock, bigBlock int // block bounds for the file's page size

	smallBufs, bigBufs sync.Pool // *[]byte of capacity smallBlock, bigBlock
	lent               []*[]byte // buffers of the transaction's blocks
}

func newWriter(db *DB) *writer {
	ps := db.bolt.Info().PageSize
	return &writer{db: db, meetings: make(map[string]*Meeting), blocks: make(map[string]*block), digest: sha256.New(),
		smallBlock: smallBlock(ps), bigBlock: bigBlock(ps)}
}

func (w *writer) run() {
	defer close(w.db.done)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		r, ok := <-w.db.reqs
		if !ok {
			return
		}
		w.batch = append(w.batch[:0], r)
		open := w.collect(timer)
		w.commit()
		if !open {
			return
		}
	}
}

// collect adds requests to the batch until the first one has waited
// FlushInterval or a request that a caller waits for arrives, and then
// whatever else is queued already: it costs nothing to add. It reports
// false when the queue is closed.
func (w *writer) collect(timer *time.Timer) (open bool) {
	var wait <-chan time.Time // nil once the batch must commit
	if w.batch[0].done == nil {
		timer.Reset(w.db.opts.FlushInterval)
		defer timer.Stop()
		wait = timer.C
	}
	for len(w.batch) < maxBatch {
		var r *request
		if wait != nil {
			select {
			case r, open = <-w.db.reqs:
			case <-wait:
				wait = nil
				continue
			}
		} else {
			select {
			case r, open = <-w.db.reqs:
			default:
				return true
			}
		}
		if !open {
			return false
		}
		w.batch = append(w.batch, r)
		if r.done != nil {
			wait = nil
		}
	}
	return true
}

// A writer maps writerMmapSize bytes of address space for the file from the
// start: bbolt remaps the file whenever it outgrows its mapping, and a remap
// in a commit first copies every key and value of the nodes the commit
// changed out of the old mapping (with a thousand meetings' B+trees, a
// fifth of the writer's time while the file grew). The mapping is address
// space, not memory: only the pages read count in RSS. With a mapping larger
// than bbolt's AllocSize, bbolt grows the file by AllocSize past what the
// commit needs; growStep sets that to the file's size, between 64 KiB and
// 16 MiB (bbolt's default), so that a small database still grows by
// doubling, as it does with a mapping that follows the file. On 32-bit
// platforms, short of address space, the mapping follows the file.
const writerMmapSize = 1 << 30 * (strconv.IntSize / 64)

func growStep(size int64) int {
	return int(min(max(size, 64<<10), 16<<20))
}

// maxBatch bounds one transaction's requests so that a flood of frames still
// commits regularly. It is large enough that under load a commit is sized
// by FlushInterval rather than by count: the writer's cost per meeting per
// commit (its metadata, the pages its frames share with the last commit)
// is then spread over more frames.
const maxBatch = 1 << 18

func (w *writer) commit() {
	err := w.db.err()
	if err == nil {
		err = w.db.bolt.Update(w.apply)
		w.release()
		if err == nil {
			w.db.commits.Add(1)
		} else {
			err = fmt.Errorf("commit to %s: %w", w.db.path, err)
			w.db.failed.CompareAndSwap(nil, &err)
			w.db.opts.Logger.Error("store commit failed", "path", w.db.path, "requests", len(w.batch), "err", err)
			clear(w.meetings) // the cache may hold uncommitted state
		}
	}
	for i, r := range w.batch {
		if r.done != nil {
			if err == nil {
				r.done <- r.err
			} else {
				r.done <- err
			}
		}
		w.batch[i] = nil
	}
}

func (w *writer) apply(tx *bolt.Tx) error {
	w.db.bolt.AllocSize = growStep(tx.Size())
	touched := make(map[string]*bolt.Bucket)
	clear(w.blocks)
	var err error
	for _, r := range w.batch {
		if r.kind == reqFlush {
			continue
		}
		if r.kind == reqHold || r.kind == reqDelete {
			if err := w.applyHold(tx, touched, r); err != nil {
				return err
			}
			continue
		}
		b := touched[r.meeting]
		if b == nil && r.kind == reqEndSession && tx.Bucket([]byte(r.meeting)) == nil {
			// Ending a session of a meeting never recorded must not create it.
			r.err = fmt.Errorf("%w: %d (%w)", ErrSessionNotFound, r.session.ID, ErrMeetingNotFound)
			continue
		}
		if b == nil {
			if b, err = w.bucket(tx, r.meeting); err != nil {
				return err
			}
			touched[r.meeting] = b
		}
		m := w.meetings[r.meeting]
		switch r.kind {
		case reqFrame:
			err = w.putFrame(b, m, &r.frame)
		case reqBeginSession:
			m.SessionCount++
			r.sid = m.SessionCount
			r.session.ID = r.sid
			err = putSession(b, r.session)
		case reqEndSession:
			r.err, err = w.endSession(b, r)
		case reqLabel:
			if m.Labels == nil {
				m.Labels = make(map[string]string)
			}
			m.Labels[r.key] = r.value
		}
		if err != nil {
			return fmt.Errorf("meeting %s: %w", r.meeting, err)
		}
	}
	if err := w.putBlocks(); err != nil {
		return err
	}
	for id, b := range touched {
		v, err := encodeMeta(w.meetings[id])
		if err != nil {
			return err
		}
		if err := b.Put(metaKey, v); err != nil {
			return fmt.Errorf("meeting %s: write metadata: %w", id, err)
		}
	}
	return nil
}

// bucket returns the meeting's bucket in tx, creating it and its metadata if
// needed, and loads the metadata into the cache.
func (w *writer) bucket(tx *bolt.Tx, id string) (*bolt.Bucket, error) {
	b := tx.Bucket([]byte(id))
	if b == nil {
		var err error
		if b, err = tx.CreateBucket([]byte(id)); err != nil {
			return nil, fmt.Errorf("create meeting %s: %w", id, err)
		}
		if _, err = b.CreateBucket(framesBucket); err != nil {
			return nil, err
		}
		if _, err = b.CreateBucket(sessionsBucket); err != nil {
			return nil, err
		}
		w.meetings[id] = &Meeting{ID: id, Created: time.Now().UTC(), ChainHead: ChainStart(id)}
		return b, nil
	}
	if w.meetings[id] == nil {
		m, err := readMeta(b, id)
		if err != nil {
			return nil, err
		}
		w.meetings[id] = &m
	}
	return b, nil
}

// Blocks are cut before the frame that would take them past a bound (a
// single larger frame gets a block of its own). bbolt puts at least two
// values in a leaf page and moves a larger node to overflow pages, which are
// rewritten whole when the node changes (as a meeting's last node does at
// every commit). So a meeting's blocks are small, two to a page
// (smallBlock: half a page less the page header and two element headers
// with keys), which fills pages and keeps a commit's writes to the new
// frames and the meeting's last page; once a commit has filled
// bigAfter small blocks for the meeting, the rest of its frames in that
// commit go into big blocks, two filling bigPages pages exactly, which cost
// the B+tree far less per frame.
const (
	bigAfter = 64
	bigPages = 16
)

func smallBlock(pageSize int) int { return (pageSize-16)/2 - 16 - keyLen }
func bigBlock(pageSize int) int   { return (bigPages*pageSize-16)/2 - 16 - keyLen }

// blockMax, when not 0, is the bound of every block (for tests).
var blockMax = 0

// block is the block of frames the current transaction is filling for one
// meeting. It is written (Put) when full and when the transaction ends.
type block struct {
	fb     *bolt.Bucket
	key    []byte
	val    []byte // record type byte, then entries
	seq    uint64 // the key's seq
	prev   int64  // the last entry's frame time
	max    int    // bound of len(val)
	filled int    // blocks the commit filled for the meeting before this one
}

func (w *writer) putFrame(b *bolt.Bucket, m *Meeting, f *Frame) error {
	m.Frames++
	f.Seq = m.Frames
	t := f.Time.UnixNano()
	keyTime := max(t, m.lastKeyTime)
	m.lastKeyTime = keyTime
	size := maxEntryHeader + len(f.Payload)
	switch blk := w.blocks[m.ID]; {
	case blk == nil:
		fb := b.Bucket(framesBucket)
		fb.FillPercent = 1.0 // keys only ever grow: pack pages full
		blk = &block{fb: fb}
		w.blocks[m.ID] = blk
		// The meeting's last block, when it has room, takes the frames: its
		// leaf page is rewritten by this commit anyway.
		if !w.extendLast(blk, size) {
			w.startBlock(blk, keyTime, f.Seq)
		}
	case len(blk.val)+size > blk.max:
		if err := blk.put(); err != nil {
			return err
		}
		blk.filled++
		w.startBlock(blk, keyTime, f.Seq)
	}
	blk := w.blocks[m.ID]
	blk.val = appendEntry(blk.val, keyTime, blk.seq, blk.prev, f)
	blk.prev = t
	m.ChainHead = chainNext(w.digest, m.ChainHead, f)
	m.Bytes += uint64(len(f.Payload))
	if m.FirstTime.IsZero() {
		m.FirstTime = f.Time.UTC()
	}
	m.LastTime = f.Time.UTC()
	return nil
}

// blockBound returns the bound of a block after the commit filled filled
// blocks for its meeting.
func (w *writer) blockBound(filled int) int {
	switch {
	case blockMax != 0:
		return blockMax
	case filled >= bigAfter:
		return w.bigBlock
	}
	return w.smallBlock
}

// extendLast makes blk the meeting's last stored block, to be rewritten
// with a next entry of up to size bytes, if it is a type 2 block with room.
func (w *writer) extendLast(blk *block, size int) bool {
	bound := w.blockBound(0)
	k, v := blk.fb.Cursor().Last()
	if len(v)+size > bound {
		return false
	}
	prev, ok := lastEntryTime(k, v)
	if !ok {
		return false
	}
	blk.max = bound
	blk.key = append(make([]byte, 0, keyLen), k...)
	blk.val = append(w.buffer(bound), v...)
	blk.seq = binary.BigEndian.Uint64(k[8:])
	blk.prev = prev
	return true
}

// startBlock makes blk a new block whose first frame is seq.
func (w *writer) startBlock(blk *block, keyTime int64, seq uint64) {
	blk.max = w.blockBound(blk.filled)
	// bbolt keeps the key and value slices until the commit: each block
	// has its own.
	blk.key = frameKey(make([]byte, 0, keyLen), keyTime, seq)
	blk.val = append(w.buffer(blk.max), recBlockV2)
	blk.seq = seq
	blk.prev = keyTime
}

// buffer returns an empty buffer of capacity n for a block's value, reusing
// those of earlier commits (given back by release) for the two usual
// bounds: a commit of many frames would otherwise allocate, zero and fault
// in a fresh buffer for each block.
func (w *writer) buffer(n int) []byte {
	var p *sync.Pool
	switch n {
	case w.smallBlock:
		p = &w.smallBufs
	case w.bigBlock:
		p = &w.bigBufs
	default:
		return make([]byte, 0, n)
	}
	if b, ok := p.Get().(*[]byte); ok {
		w.lent = append(w.lent, b)
		return (*b)[:0]
	}
	b := make([]byte, 0, n)
	w.lent = append(w.lent, &b)
	return b
}

// release gives back the buffers lent to the transaction, which bbolt no
// longer holds once it has committed or rolled back.
func (w *writer) release() {
	for i, b := range w.lent {
		if cap(*b) == w.smallBlock {
			w.smallBufs.Put(b)
		} else {
			w.bigBufs.Put(b)
		}
		w.lent[i] = nil
	}
	w.lent = w.lent[:0]
}

func (blk *block) put() error {
	if err := blk.fb.Put(blk.key, blk.val); err != nil {
		return fmt.Errorf("put frames from %d: %w", binary.BigEndian.Uint64(blk.key[8:]), err)
	}
	return nil
}

// putBlocks writes the blocks the transaction filled.
func (w *writer) putBlocks() error {
	for id, blk := range w.blocks {
		if err := blk.put(); err != nil {
			return fmt.Errorf("meeting %s: %w", id, err)
		}
	}
	clear(w.blocks)
	return nil
}

func putSession(b *bolt.Bucket, s *Session) error {
	v, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return b.Bucket(sessionsBucket).Put(sessionKey(s.ID), v)
}

func decodeSession(v []byte) (Session, error) {
	var s Session
	if err := json.Unmarshal(v, &s); err != nil {
		return Session{}, fmt.Errorf("decode session: %w", err)
	}
	return s, nil
}

// endSession returns the request's own error (an unknown session) apart from
// an error that must fail the transaction.
func (w *writer) endSession(b *bolt.Bucket, r *request) (reqErr, txErr error) {
	v := b.Bucket(sessionsBucket).Get(sessionKey(r.session.ID))
	if v == nil {
		return fmt.Errorf("%w: %d", ErrSessionNotFound, r.session.ID), nil
	}
	s, err := decodeSession(v)
	if err != nil {
		return err, nil
	}
	s.End = r.session.End.UTC()
	s.SessionEnd = r.session.SessionEnd
	return nil, putSession(b, &s)
}
