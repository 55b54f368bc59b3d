package store_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/confrec/confrec/store"
)

// oddFrames are frames of every shape: text, binary, close, empty
// payloads, a 5 MiB payload, bytes that are not UTF-8, amid many small
// text frames so that the meeting spans several blocks.
func oddFrames() []store.Frame {
	var out []store.Frame
	add := func(op store.Opcode, p []byte) {
		f := textFrame(len(out))
		f.Op, f.Payload = op, p
		f.Session = uint32(len(out) % 3)
		out = append(out, f)
	}
	big := make([]byte, 5<<20)
	for i := range big {
		big[i] = byte(i * 7 / 5) // compressible, not trivially
	}
	for i := range 300 {
		switch i {
		case 10:
			add(store.Binary, []byte{0, 1, 2, 0xff, 0xfe})
		case 20:
			add(store.Close, store.ClosePayload(1000, "bye"))
		case 30:
			add(store.Close, nil)
		case 40:
			add(store.Text, nil)
		case 50:
			add(store.Binary, []byte{})
		case 60:
			add(store.Text, big)
		case 70:
			add(store.Text, []byte("\xff\xfe\xc3\x28 not UTF-8"))
		default:
			add(store.Text, textFrame(i).Payload)
		}
	}
	return out
}

// records counts the frames bucket's records of meeting by record type.
func records(t *testing.T, path, meeting string) map[byte]int {
	t.Helper()
	bdb, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	must(t, err)
	defer bdb.Close()
	n := map[byte]int{}
	must(t, bdb.View(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(meeting)).Bucket(store.FramesBucket).ForEach(func(_, v []byte) error {
			n[v[0]]++
			return nil
		})
	}))
	return n
}

// compressed records meeting's frames, compacts the database with
// Compress and blocks of block bytes, and returns its path.
func compressed(t *testing.T, meeting string, frames []store.Frame, block int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "confrec.db")
	db := openAt(t, path, &store.Options{NoSync: true})
	must(t, db.Append(t.Context(), meeting, frames...))
	must(t, db.Close())
	res, err := store.Compact(path, &store.CompactOptions{Compress: true, CompressBlock: block})
	must(t, err)
	if res.After <= 0 || res.Before <= 0 {
		t.Fatalf("Compact: %+v", res)
	}
	return path
}

func TestCompressRoundTrip(t *testing.T) {
	frames := oddFrames()
	for _, block := range []int{0, 1 << 10, 8 << 10, 256 << 10} {
		t.Run(fmt.Sprint("block", block), func(t *testing.T) {
			path := compressed(t, "m", frames, block)
			if n := records(t, path, "m"); n[store.RecBlockZstdV3] == 0 || n[store.RecFrameV1] != 0 {
				t.Fatalf("records by type after Compress: %v, want compressed blocks", n)
			}
			db := openAt(t, path, &store.Options{ReadOnly: true})
			checkFrames(t, readAll(t, db, "m", nil), frames, 1)
			if err := db.Verify("m"); err != nil {
				t.Fatalf("Verify: %v", err)
			}
		})
	}
}

// TestCompressTimeSeek seeks to times inside compressed blocks.
func TestCompressTimeSeek(t *testing.T) {
	frames := textFrames(0, 1000) // 1 ms apart
	path := compressed(t, "m", frames, 4<<10)
	if n := records(t, path, "m"); n[store.RecBlockZstdV3] < 5 {
		t.Fatalf("records by type: %v, want several compressed blocks", n)
	}
	db := openAt(t, path, &store.Options{ReadOnly: true})
	ms := func(i int) time.Time { return t0.Add(time.Duration(i) * time.Millisecond) }
	tests := []struct {
		name     string
		q        store.Query
		from, to int // frames wanted: [from, to)
	}{
		{"from_inside_a_block", store.Query{From: ms(137)}, 137, 1000},
		{"to_inside_a_block", store.Query{To: ms(263)}, 0, 263},
		{"both_in_one_block", store.Query{From: ms(501), To: ms(505)}, 501, 505},
		{"between_frames", store.Query{From: ms(700).Add(time.Microsecond), To: ms(702).Add(time.Microsecond)}, 701, 703},
		{"before_the_first", store.Query{From: t0.Add(-time.Hour), To: ms(3)}, 0, 3},
		{"past_the_last", store.Query{From: ms(1000)}, 1000, 1000},
		{"last_frame", store.Query{From: ms(999)}, 999, 1000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := readAll(t, db, "m", &tt.q)
			checkFrames(t, got, frames[tt.from:tt.to], uint64(tt.from)+1)
		})
	}
}

// compressedBlocks returns the keys and values of meeting's compressed
// blocks.
func compressedBlocks(t *testing.T, path, meeting string) (keys, vals [][]byte) {
	t.Helper()
	bdb, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	must(t, err)
	defer bdb.Close()
	must(t, bdb.View(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(meeting)).Bucket(store.FramesBucket).ForEach(func(k, v []byte) error {
			if v[0] == store.RecBlockZstdV3 {
				keys, vals = append(keys, bytes.Clone(k)), append(vals, bytes.Clone(v))
			}
			return nil
		})
	}))
	return keys, vals
}

// TestCompressDamage flips a byte at places of a compressed block and
// checks that Verify and a Cursor report a typed error at a frame of that
// block, after returning the frames before it unchanged.
func TestCompressDamage(t *testing.T) {
	frames := textFrames(0, 200)
	base := compressed(t, "m", frames, 2<<10)
	keys, vals := compressedBlocks(t, base, "m")
	if len(keys) < 3 {
		t.Fatalf("%d compressed blocks, want at least 3", len(keys))
	}
	k, v := keys[1], vals[1] // a block in the middle
	first := binary.BigEndian.Uint64(k[8:])
	last := binary.BigEndian.Uint64(keys[2][8:]) - 1
	tests := []struct {
		name string
		off  int // byte of the value flipped
		mask byte
	}{
		{"length", 1, 0x01},
		{"zstd_magic", 3, 0x10},
		{"zstd_header", 6, 0x04},
		{"stream_start", 12, 0x01},
		{"stream_middle", len(v) / 2, 0x20},
		{"stream_end", len(v) - 1, 0x80},
		{"type_byte", 0, 0x07}, // type 3 becomes 4: unknown
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "damaged.db")
			copyFile(t, base, path)
			bdb, err := bolt.Open(path, 0o600, nil)
			must(t, err)
			bad := bytes.Clone(v)
			bad[tt.off] ^= tt.mask
			must(t, bdb.Update(func(tx *bolt.Tx) error {
				return tx.Bucket([]byte("m")).Bucket(store.FramesBucket).Put(k, bad)
			}))
			must(t, bdb.Close())

			db := openAt(t, path, &store.Options{ReadOnly: true})
			err = db.Verify("m")
			var ce *store.ChainError
			if !errors.As(err, &ce) || ce.Meeting != "m" {
				t.Fatalf("Verify: %v, want a *ChainError for meeting m", err)
			}
			if !errors.Is(err, store.ErrChecksum) && !errors.Is(err, store.ErrRecordFormat) && !errors.Is(err, store.ErrSequence) {
				t.Fatalf("Verify: %v, want ErrChecksum, ErrRecordFormat or ErrSequence", err)
			}
			if ce.Seq < first || ce.Seq > last {
				t.Fatalf("Verify names frame %d, want one of the damaged block's %d..%d", ce.Seq, first, last)
			}
			if want := fmt.Sprintf("frame %d", ce.Seq); !bytes.Contains([]byte(err.Error()), []byte(want)) {
				t.Fatalf("Verify: %q does not name %s", err, want)
			}
			c, err := db.Frames("m", nil)
			must(t, err)
			var got []store.Frame
			for c.Next() {
				got = append(got, c.Frame())
			}
			if !errors.As(c.Err(), &ce) {
				t.Fatalf("cursor: %v, want a *ChainError", c.Err())
			}
			checkFrames(t, got, frames[:ce.Seq-1], 1)
		})
	}
}

// TestCompressThenAppend records more frames after a compressing Compact:
// they go into new uncompressed blocks, and the next Compact compresses
// them while keeping the blocks compressed before.
func TestCompressThenAppend(t *testing.T) {
	frames := textFrames(0, 500)
	path := compressed(t, "m", frames[:300], 2<<10)
	before, _ := compressedBlocks(t, path, "m")

	db := openAt(t, path, &store.Options{NoSync: true})
	must(t, db.Append(t.Context(), "m", frames[300:]...))
	checkFrames(t, readAll(t, db, "m", nil), frames, 1)
	must(t, db.Verify("m"))
	must(t, db.Close())
	if n := records(t, path, "m"); n[store.RecBlockV2] == 0 || n[store.RecBlockZstdV3] != len(before) {
		t.Fatalf("records by type after appending: %v, want %d compressed blocks and new type 2 ones", n, len(before))
	}

	_, err := store.Compact(path, &store.CompactOptions{Compress: true, CompressBlock: 2 << 10})
	must(t, err)
	after, _ := compressedBlocks(t, path, "m")
	for i, k := range before {
		if !bytes.Equal(after[i], k) {
			t.Fatalf("compressed block %d: key %x, was %x", i, after[i], k)
		}
	}
	if n := records(t, path, "m"); n[store.RecBlockV2] != 0 || len(after) <= len(before) {
		t.Fatalf("records by type after the second Compact: %v", n)
	}
	db = openAt(t, path, nil)
	checkFrames(t, readAll(t, db, "m", nil), frames, 1)
	must(t, db.Verify("m"))
	must(t, db.Append(t.Context(), "m", textFrame(500)))
	checkFrames(t, readAll(t, db, "m", &store.Query{From: frames[499].Time}), []store.Frame{frames[499], textFrame(500)}, 500)
	must(t, db.Verify("m"))
}

// TestCompressMixedRecords reads a meeting whose frames are stored in every
// record type, in turn.
func TestCompressMixedRecords(t *testing.T) {
	frames := textFrames(0, 60)
	path := filepath.Join(t.TempDir(), "confrec.db")
	db := openAt(t, path, &store.Options{NoSync: true})
	must(t, db.Append(t.Context(), "m", frames...))
	must(t, db.Close())
	// Frames 1-5 type 1, 6-20 type 3, 21-30 type 2, 31 type 1, 32-50
	// type 3, 51-60 type 2.
	layout := []struct {
		typ byte
		n   int
	}{{1, 5}, {3, 15}, {2, 10}, {1, 1}, {3, 19}, {2, 10}}
	bdb, err := bolt.Open(path, 0o600, nil)
	must(t, err)
	must(t, bdb.Update(func(tx *bolt.Tx) error {
		mb := tx.Bucket([]byte("m"))
		must(t, mb.DeleteBucket(store.FramesBucket))
		fb, err := mb.CreateBucket(store.FramesBucket)
		must(t, err)
		seq := uint64(1)
		for _, l := range layout {
			fs := frames[seq-1 : int(seq)-1+l.n]
			for i := range fs {
				fs[i].Seq = seq + uint64(i)
			}
			kt := fs[0].Time.UnixNano() // test frames' times only grow
			key := store.FrameKey(nil, kt, seq)
			if l.typ == 1 {
				for i := range fs {
					k := store.FrameKey(nil, fs[i].Time.UnixNano(), fs[i].Seq)
					must(t, fb.Put(k, store.AppendRecord(nil, k, &fs[i])))
				}
				seq += uint64(l.n)
				continue
			}
			blk, prev := []byte{store.RecBlockV2}, kt
			for i := range fs {
				blk = store.AppendEntry(blk, fs[i].Time.UnixNano(), seq, prev, &fs[i])
				prev = fs[i].Time.UnixNano()
			}
			if l.typ == 3 {
				blk = store.CompressBlockValue(blk)
				if blk[0] != store.RecBlockZstdV3 {
					t.Fatalf("block of frames %d.. did not compress", seq)
				}
			}
			must(t, fb.Put(key, blk))
			seq += uint64(l.n)
		}
		return nil
	}))
	must(t, bdb.Close())
	if n := records(t, path, "m"); n[1] != 6 || n[2] != 2 || n[3] != 2 {
		t.Fatalf("records by type: %v", n)
	}
	db = openAt(t, path, nil)
	checkFrames(t, readAll(t, db, "m", nil), frames, 1)
	must(t, db.Verify("m"))
	checkFrames(t, readAll(t, db, "m", &store.Query{From: frames[3].Time, To: frames[45].Time}), frames[3:45], 4)
	must(t, db.Append(t.Context(), "m", textFrame(60)))
	must(t, db.Verify("m"))
	must(t, db.Close())

	_, err = store.Compact(path, &store.CompactOptions{Compress: true})
	must(t, err)
	if n := records(t, path, "m"); n[1] != 0 || n[2] != 0 || n[3] == 0 {
		t.Fatalf("records by type after Compress: %v, want only compressed blocks", n)
	}
	db = openAt(t, path, &store.Options{ReadOnly: true})
	checkFrames(t, readAll(t, db, "m", nil), append(frames, textFrame(60)), 1)
	must(t, db.Verify("m"))
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	must(t, err)
	must(t, os.WriteFile(to, b, 0o600))
}
