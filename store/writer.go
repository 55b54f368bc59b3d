package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The writer is two goroutines owned by the DB, a preparer and a committer,
// so that the work of one batch overlaps the commit (and fsync) of the one
// before:
//
//   - the preparer collects requests into a batch, assigns seqs, sessions
//     and hash chain links, packs frames into blocks and encodes metadata:
//     everything but bbolt. Its output is a list of bbolt changes (ops);
//   - the committer applies a batch's ops in one bbolt transaction, commits
//     it and then answers the requests that wait for it.
//
// Batches are committed in the order they were prepared, so a commit makes
// everything queued before it durable. At most two batches exist: one being
// committed and one prepared or being prepared. The preparer's metadata
// cache is ahead of the file by the batches not yet committed; it reads the
// file only for what no such batch touches (a meeting it has not seen, the
// last block of a meeting it has not written to lately), and so always reads
// what is current. A failed commit fails every later one (DB.err).
type writer struct {
	db *DB

	// The preparer's state.
	meetings map[string]*Meeting   // metadata, ahead of the file
	gone     map[string]uint64     // meetings deleted, by the batch that deletes them
	last     map[string]*lastBlock // meetings' last blocks as the batches leave them
	blocks   map[string]*block     // per meeting, the block the batch is filling
	touched  map[string]bool       // meetings whose metadata the batch changes
	digest   hash.Hash             // SHA-256, reused for the hash chain

	smallBlock, bigBlock int // block bounds for the file's page size

	smallBufs, bigBufs sync.Pool // *[]byte of capacity smallBlock, bigBlock

	committed atomic.Uint64 // the last batch committed (or failed)
}

// batch is one transaction's worth of requests and the ops that carry them
// out.
type batch struct {
	seq  uint64
	reqs []*request
	ops  []op
	lent []*[]byte // buffers of the blocks, back to the pools after the commit
	err  error     // the preparer's failure: the commit fails with it

	stats CommitStats // the frames the ops carry; the committer sets Duration
}

// opKind is a kind of bbolt change.
type opKind uint8

const (
	opCreate     opKind = iota // create the meeting's buckets
	opPut                      // put key, val in the meeting's frames bucket
	opSession                  // put key, val in the meeting's sessions bucket
	opEndSession               // record req's session end, or set req.err
	opDelete                   // delete the meeting
	opMeta                     // put val as the meeting's metadata
)

// op is one change of a batch.
type op struct {
	kind     opKind
	meeting  string
	key, val []byte
	req      *request
}

// lastBlock is a meeting's last block as of batch: a copy of its key and
// value when a next frame may still be appended to it (val nil otherwise).
type lastBlock struct {
	key, val []byte
	seq      uint64 // the key's seq
	prev     int64  // the last entry's frame time
	batch    uint64
}

func newWriter(db *DB) *writer {
	ps := db.bolt.Info().PageSize
	return &writer{db: db, meetings: make(map[string]*Meeting), gone: make(map[string]uint64),
		last: make(map[string]*lastBlock), blocks: make(map[string]*block), touched: make(map[string]bool),
		digest: sha256.New(), smallBlock: smallBlock(ps), bigBlock: bigBlock(ps)}
}

// run is the preparer. It starts the committer and returns when both are
// done, after the request queue was closed.
func (w *writer) run() {
	defer close(w.db.done)
	ready := make(chan *batch, 1)
	free := make(chan *batch, 2)
	free <- new(batch)
	free <- new(batch)
	var wg sync.WaitGroup
	wg.Go(func() { w.commitLoop(ready, free) })
	defer wg.Wait()
	defer close(ready)

	timer := time.NewTimer(time.Hour)
	timer.Stop()
	var seq uint64
	for {
		// A batch first, so that FlushInterval counts from the first
		// request's arrival: it then waits at most that and the commit
		// before (the batch's own commit follows at once).
		b := <-free
		r, ok := <-w.db.reqs
		if !ok {
			return
		}
		seq++
		b.seq = seq
		b.reqs = append(b.reqs, r)
		open := w.collect(b, timer)
		w.prepare(b)
		ready <- b
		if !open {
			return
		}
	}
}

// collect adds requests to b until the first one has waited FlushInterval
// or a request that a caller waits for arrives, and then whatever else is
// queued already: it costs nothing to add. It reports false when the queue
// is closed.
func (w *writer) collect(b *batch, timer *time.Timer) (open bool) {
	var wait <-chan time.Time // nil once the batch must commit
	if b.reqs[0].done == nil {
		timer.Reset(w.db.opts.FlushInterval)
		defer timer.Stop()
		wait = timer.C
	}
	for len(b.reqs) < maxBatch {
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
		b.reqs = append(b.reqs, r)
		if r.done != nil {
			wait = nil
		}
	}
	return true
}

// maxBatch bounds one transaction's requests so that a flood of frames still
// commits regularly. It is large enough that under load a commit is sized
// by FlushInterval rather than by count: the writer's cost per meeting per
// commit (its metadata, the pages its frames share with the last commit)
// is then spread over more frames.
const maxBatch = 1 << 18

// prepare turns b's requests into ops. After a failed commit it leaves
// them: the committer answers them with the failure.
func (w *writer) prepare(b *batch) {
	if w.db.err() != nil {
		return
	}
	committed := w.committed.Load()
	for id, lb := range w.last {
		if lb.batch <= committed && lb.batch+2 <= b.seq {
			delete(w.last, id) // the file holds it: read it there if needed
		}
	}
	for id, s := range w.gone {
		if s <= committed {
			delete(w.gone, id)
		}
	}
	clear(w.blocks)
	clear(w.touched)
	for _, r := range b.reqs {
		if err := w.prepareRequest(b, r); err != nil {
			b.err = fmt.Errorf("meeting %s: %w", r.meeting, err)
			return
		}
	}
	for id, blk := range w.blocks {
		w.putBlock(b, id, blk)
		lb := &lastBlock{key: blk.key, seq: blk.seq, prev: blk.prev, batch: b.seq}
		if len(blk.val) < w.blockBound(0) {
			lb.val = append(make([]byte, 0, len(blk.val)), blk.val...)
		}
		w.last[id] = lb
	}
	seen := make(map[string]bool, len(w.touched))
	for _, r := range b.reqs {
		if r.meeting != "" && !seen[r.meeting] {
			seen[r.meeting] = true
			b.stats.Meetings = append(b.stats.Meetings, r.meeting)
		}
	}
	for id := range w.touched {
		v, err := encodeMeta(w.meetings[id])
		if err != nil {
			b.err = fmt.Errorf("meeting %s: %w", id, err)
			return
		}
		b.ops = append(b.ops, op{kind: opMeta, meeting: id, val: v})
	}
}

func (w *writer) prepareRequest(b *batch, r *request) error {
	switch r.kind {
	case reqFlush:
		return nil
	case reqEndSession:
		m, err := w.meeting(b, r.meeting, false)
		if err != nil || m == nil {
			// Ending a session of a meeting never recorded must not create it.
			r.err = fmt.Errorf("%w: %d (%w)", ErrSessionNotFound, r.session.ID, ErrMeetingNotFound)
			return err
		}
		b.ops = append(b.ops, op{kind: opEndSession, meeting: r.meeting, req: r})
		return nil
	case reqHold, reqDelete:
		return w.prepareHold(b, r)
	}
	m, err := w.meeting(b, r.meeting, true)
	if err != nil {
		return err
	}
	w.touched[r.meeting] = true
	switch r.kind {
	case reqFrame:
		return w.putFrame(b, m, &r.frame)
	case reqBeginSession:
		m.SessionCount++
		r.sid = m.SessionCount
		r.session.ID = r.sid
		v, err := json.Marshal(r.session)
		if err != nil {
			return err
		}
		b.ops = append(b.ops, op{kind: opSession, meeting: r.meeting, key: sessionKey(r.sid), val: v})
	case reqLabel:
		if m.Labels == nil {
			m.Labels = make(map[string]string)
		}
		m.Labels[r.key] = r.value
	}
	return nil
}

// meeting returns id's metadata, reading it from the file the first time,
// and when create is set creates the meeting if it does not exist. It
// returns nil for a meeting that does not exist and is not created.
func (w *writer) meeting(b *batch, id string, create bool) (*Meeting, error) {
	if m := w.meetings[id]; m != nil {
		return m, nil
	}
	var m *Meeting
	if _, deleted := w.gone[id]; !deleted { // else the file may still hold it
		err := w.db.bolt.View(func(tx *bolt.Tx) error {
			mb := tx.Bucket([]byte(id))
			if mb == nil {
				return nil
			}
			mm, err := readMeta(mb, id)
			m = &mm
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	if m == nil {
		if !create {
			return nil, nil
		}
		m = &Meeting{ID: id, Created: time.Now().UTC(), ChainHead: ChainStart(id)}
		b.ops = append(b.ops, op{kind: opCreate, meeting: id})
		w.last[id] = &lastBlock{batch: b.seq} // none to read from the file
	}
	w.meetings[id] = m
	return m, nil
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

// A writer maps writerMmapSize bytes of address space for the file from the
// start: bbolt remaps the file whenever it outgrows its mapping, and a remap
// in a commit first copies every key and value of the nodes the commit
// changed out of the old mapping (with a thousand meetings' B+trees, a
// fifth of the writer's time while the file grew). The mapping is address
// space, not memory: only the pages read count in RSS. With a mapping larger
// than bbolt's AllocSize, bbolt grows the file by AllocSize past what the
// commit needs; growStep sets that to the database's size (its high-water
// mark), between 64 KiB and 16 MiB (bbolt's default), so that a small
// database still grows by doubling, as it does with a mapping that follows
// the file. On 32-bit platforms, short of address space, and on Windows,
// where bbolt makes the file as large as its mapping, the mapping follows
// the file.
var writerMmapSize = func() int {
	if strconv.IntSize < 64 || runtime.GOOS == "windows" {
		return 0
	}
	return 1 << 30
}()

func growStep(size int64) int {
	return int(min(max(size, 64<<10), 16<<20))
}

// blockMax, when not 0, is the bound of every block (for tests).
var blockMax = 0

// block is the block of frames the batch is filling for one meeting. It
// becomes an op when full and when the batch ends.
type block struct {
	key    []byte
	val    []byte // record type byte, then entries
	seq    uint64 // the key's seq
	prev   int64  // the last entry's frame time
	max    int    // bound of len(val)
	filled int    // blocks the batch filled for the meeting before this one
}

func (w *writer) putFrame(b *batch, m *Meeting, f *Frame) error {
	m.Frames++
	f.Seq = m.Frames
	t := f.Time.UnixNano()
	keyTime := max(t, m.lastKeyTime)
	m.lastKeyTime = keyTime
	size := maxEntryHeader + len(f.Payload)
	blk := w.blocks[m.ID]
	switch {
	case blk == nil:
		blk = new(block)
		w.blocks[m.ID] = blk
		// The meeting's last block, when it has room, takes the frames: its
		// leaf page is rewritten by this commit anyway.
		ok, err := w.extendLast(b, m.ID, blk, size)
		if err != nil {
			return err
		}
		if !ok {
			w.startBlock(b, blk, keyTime, f.Seq)
		}
	case len(blk.val)+size > blk.max:
		w.putBlock(b, m.ID, blk)
		blk.filled++
		w.startBlock(b, blk, keyTime, f.Seq)
	}
	blk.val = appendEntry(blk.val, keyTime, blk.seq, blk.prev, f)
	blk.prev = t
	m.ChainHead = chainNext(w.digest, m.ChainHead, f)
	m.Bytes += uint64(len(f.Payload))
	if m.FirstTime.IsZero() {
		m.FirstTime = f.Time.UTC()
	}
	m.LastTime = f.Time.UTC()
	b.stats.add(f)
	return nil
}

// putBlock adds blk's Put to b.
func (w *writer) putBlock(b *batch, id string, blk *block) {
	b.ops = append(b.ops, op{kind: opPut, meeting: id, key: blk.key, val: blk.val})
}

// blockBound returns the bound of a block after the batch filled filled
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

// extendLast makes blk a copy of the meeting's last stored block, to be
// rewritten with a next entry of up to size bytes, if it is a type 2 block
// with room. The last block is the one the latest batches left, or when
// none did lately, the file's.
func (w *writer) extendLast(b *batch, id string, blk *block, size int) (bool, error) {
	bound := w.blockBound(0)
	lb := w.last[id]
	if lb == nil {
		var err error
		if lb, err = w.lastInFile(id, bound-size); err != nil || lb == nil {
			return false, err
		}
	}
	if lb.val == nil || len(lb.val)+size > bound {
		return false, nil
	}
	blk.max, blk.key, blk.seq, blk.prev = bound, lb.key, lb.seq, lb.prev
	blk.val = append(w.buffer(b, bound), lb.val...)
	return true, nil
}

// lastInFile returns a copy of meeting id's last stored block when it is a
// type 2 block of at most room bytes, and nil otherwise.
func (w *writer) lastInFile(id string, room int) (lb *lastBlock, err error) {
	err = w.db.bolt.View(func(tx *bolt.Tx) error {
		mb := tx.Bucket([]byte(id))
		if mb == nil {
			return nil
		}
		k, v := mb.Bucket(framesBucket).Cursor().Last()
		if len(v) > room {
			return nil
		}
		if t, ok := lastEntryTime(k, v); ok {
			lb = &lastBlock{key: bytes.Clone(k), val: bytes.Clone(v), seq: binary.BigEndian.Uint64(k[8:]), prev: t}
		}
		return nil
	})
	return lb, err
}

// startBlock makes blk a new block whose first frame is seq.
func (w *writer) startBlock(b *batch, blk *block, keyTime int64, seq uint64) {
	blk.max = w.blockBound(blk.filled)
	// bbolt keeps the key and value slices until the commit: each block
	// has its own.
	blk.key = frameKey(make([]byte, 0, keyLen), keyTime, seq)
	blk.val = append(w.buffer(b, blk.max), recBlockV2)
	blk.seq = seq
	blk.prev = keyTime
}

// buffer returns an empty buffer of capacity n for a block's value, reusing
// those of earlier commits (given back by release) for the two usual
// bounds: a commit of many frames would otherwise allocate, zero and fault
// in a fresh buffer for each block.
func (w *writer) buffer(b *batch, n int) []byte {
	var p *sync.Pool
	switch n {
	case w.smallBlock:
		p = &w.smallBufs
	case w.bigBlock:
		p = &w.bigBufs
	default:
		return make([]byte, 0, n)
	}
	if buf, ok := p.Get().(*[]byte); ok {
		b.lent = append(b.lent, buf)
		return (*buf)[:0]
	}
	buf := make([]byte, 0, n)
	b.lent = append(b.lent, &buf)
	return buf
}

// release gives back the buffers lent to b, which bbolt no longer holds
// once the transaction has committed or rolled back.
func (w *writer) release(b *batch) {
	for i, buf := range b.lent {
		if cap(*buf) == w.smallBlock {
			w.smallBufs.Put(buf)
		} else {
			w.bigBufs.Put(buf)
		}
		b.lent[i] = nil
	}
	b.lent = b.lent[:0]
}
