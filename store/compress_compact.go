package store

import (
	"errors"
	"fmt"
	"math"

	bolt "go.etcd.io/bbolt"
)

// DefaultCompressBlock is CompactOptions.CompressBlock's default: the bytes
// of frames (entries, before compression) in one compressed block, about
// 400 frames of 300 bytes. Larger blocks compress better and cost fewer
// pages, but a time seek decompresses the whole block holding its time.
// The README's Performance section has the sizes and read rates of other
// block sizes.
const DefaultCompressBlock = 128 << 10

// writeCompressed copies src into dst like bolt.Compact, except that each
// meeting's frames are regrouped into blocks of up to blockMax bytes of
// entries and compressed (record type 3). Compressed blocks already in src
// are copied as they are. Every frame read is checked (CRC and sequence);
// damage stops the copy with a *ChainError.
func writeCompressed(dst *bolt.DB, src *DB, txMaxSize int64, blockMax int) (err error) {
	comp, err := newCompressor()
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, comp.close()) }()
	w := &compactWriter{db: dst, max: txMaxSize, src: src}
	defer w.rollback()
	err = src.bolt.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			if err := w.create(nil, name, b.Sequence()); err != nil {
				return err
			}
			path := [][]byte{name}
			if string(name) == string(rootBucket) {
				return w.copyBucket(path, b)
			}
			return b.ForEach(func(k, v []byte) error {
				switch {
				case v != nil:
					return w.put(path, k, v)
				case string(k) == string(framesBucket):
					fb := b.Bucket(k)
					if err := w.create(path, k, fb.Sequence()); err != nil {
						return err
					}
					rb := &reblocker{w: w, comp: comp, path: [][]byte{name, framesBucket}, max: blockMax}
					return rb.copy(string(name), fb)
				default:
					sub := b.Bucket(k)
					if err := w.create(path, k, sub.Sequence()); err != nil {
						return err
					}
					return w.copyBucket([][]byte{name, k}, sub)
				}
			})
		})
	})
	if err != nil {
		return err
	}
	return w.commit()
}

// compactWriter writes into the new file in transactions of up to max
// bytes of keys and values, as bolt.Compact does. Buckets are looked up by
// path because a commit ends the transaction that found them.
type compactWriter struct {
	db   *bolt.DB
	tx   *bolt.Tx
	size int64
	max  int64
	src  *DB // whose Options.Context interrupts the copy
	puts int
}

// interruptEvery is how many keys compactWriter writes between checks of
// the source's Options.Context.
const interruptEvery = 64

// begin makes sure a transaction with room for sz more bytes is open.
func (w *compactWriter) begin(sz int64) error {
	if w.puts++; w.puts%interruptEvery == 0 {
		if err := w.src.interrupted(); err != nil {
			return err
		}
	}
	if w.tx != nil && w.size+sz > w.max && w.size > 0 {
		if err := w.commit(); err != nil {
			return err
		}
	}
	if w.tx == nil {
		tx, err := w.db.Begin(true)
		if err != nil {
			return err
		}
		w.tx, w.size = tx, 0
	}
	w.size += sz
	return nil
}

func (w *compactWriter) commit() error {
	if w.tx == nil {
		return nil
	}
	err := w.tx.Commit()
	w.tx = nil
	return err
}

func (w *compactWriter) rollback() {
	if w.tx != nil {
		w.tx.Rollback()
		w.tx = nil
	}
}

// bucket returns the bucket at path (at least one name) in the open
// transaction, set to fill pages completely.
func (w *compactWriter) bucket(path [][]byte) *bolt.Bucket {
	b := w.tx.Bucket(path[0])
	for _, name := range path[1:] {
		b = b.Bucket(name)
	}
	b.FillPercent = 1.0
	return b
}

// create makes bucket name in the bucket at path (at the top level when
// path is empty) with sequence seq.
func (w *compactWriter) create(path [][]byte, name []byte, seq uint64) error {
	if err := w.begin(int64(len(name))); err != nil {
		return err
	}
	var b *bolt.Bucket
	var err error
	if len(path) == 0 {
		b, err = w.tx.CreateBucket(name)
	} else {
		b, err = w.bucket(path).CreateBucket(name)
	}
	if err != nil {
		return err
	}
	return b.SetSequence(seq)
}

// put stores k and v, which must stay unchanged until the commit, in the
// bucket at path.
func (w *compactWriter) put(path [][]byte, k, v []byte) error {
	if err := w.begin(int64(len(k) + len(v))); err != nil {
		return err
	}
	return w.bucket(path).Put(k, v)
}

// copyBucket copies b's keys and nested buckets into the bucket at path.
func (w *compactWriter) copyBucket(path [][]byte, b *bolt.Bucket) error {
	return b.ForEach(func(k, v []byte) error {
		if v != nil {
			return w.put(path, k, v)
		}
		sub := b.Bucket(k)
		if err := w.create(path, k, sub.Sequence()); err != nil {
			return err
		}
		return w.copyBucket(append(path[:len(path):len(path)], k), sub)
	})
}

// reblocker regroups one meeting's frames into compressed blocks.
type reblocker struct {
	w    *compactWriter
	comp *compressor
	path [][]byte // of the new frames bucket
	max  int      // bound of len(val) unless one frame exceeds it

	open bool   // a block is being filled
	key  []byte // the block's key
	val  []byte // type 2 block being filled
	seq  uint64 // the key's seq
	next uint64 // the seq the next entry must have
	kt   int64  // the last entry's key time
	prev int64  // the last entry's frame time
}

// copy reads every record of fb (the meeting's frames bucket in the
// database being compacted) and writes its frames in new blocks.
func (r *reblocker) copy(meeting string, fb *bolt.Bucket) error {
	var frames []Frame
	var kts []int64
	c := fb.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if v == nil {
			return &ChainError{Meeting: meeting, Err: fmt.Errorf("%w: a bucket among the frames", ErrRecordFormat)}
		}
		if len(v) > 0 && v[0] == recBlockZstdV3 {
			// Compressed by an earlier Compact: kept as it is (the new
			// file's Verify reads it).
			if err := r.flush(); err != nil {
				return err
			}
			if err := r.w.put(r.path, k, v); err != nil {
				return err
			}
			continue
		}
		var err error
		frames, kts = frames[:0], kts[:0]
		frames, _, _, err = decodeEntries(frames, &kts, k, v, 0, math.MinInt64, 0)
		if err != nil {
			var fe *frameError
			errors.As(err, &fe)
			return &ChainError{Meeting: meeting, Seq: fe.seq, Time: fe.time, Err: fe.err}
		}
		for i := range frames {
			if err := r.add(kts[i], &frames[i]); err != nil {
				return err
			}
		}
	}
	return r.flush()
}

// add appends f, whose key time is kt, to the block being filled, first
// cutting the block when f would take it past max, does not follow its
// last frame, or has a key time other than the block would derive for it
// (the larger of the last key time and f's time; always so for frames the
// store wrote).
func (r *reblocker) add(kt int64, f *Frame) error {
	t := f.Time.UnixNano()
	if r.open && (len(r.val)+maxEntryHeader+len(f.Payload) > r.max || f.Seq != r.next || max(r.kt, t) != kt) {
		if err := r.flush(); err != nil {
			return err
		}
	}
	if !r.open {
		r.open = true
		r.key = frameKey(make([]byte, 0, keyLen), kt, f.Seq)
		r.val = append(r.val[:0], recBlockV2)
		r.seq, r.prev = f.Seq, kt
	}
	r.val = appendEntry(r.val, kt, r.seq, r.prev, f)
	r.kt, r.prev, r.next = kt, t, f.Seq+1
	return nil
}

// flush writes the block being filled, compressed.
func (r *reblocker) flush() error {
	if !r.open {
		return nil
	}
	r.open = false
	return r.w.put(r.path, r.key, r.comp.block(r.val))
}
