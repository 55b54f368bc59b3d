package seal_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/confrec/confrec/store"
)

const meeting = "986512347"

// t0 is when the test frames start; it has nanoseconds.
var t0 = time.Date(2025, 3, 18, 9, 20, 0, 123456789, time.UTC)

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// testFrames returns n frames of every kind the store keeps: text in both
// directions, binary, text that is not UTF-8, and a close frame last.
func testFrames(n int, tag string) []store.Frame {
	out := make([]store.Frame, n)
	for i := range out {
		f := store.Frame{
			Time:    t0.Add(time.Duration(i) * time.Millisecond),
			Session: 1 + uint32(i/(n/2+1)),
			Dir:     store.Direction(1 + i%2),
			Op:      store.Text,
			Payload: fmt.Appendf(nil, `{"action":"HeartBeat","sequence":"%s-%d","note":"a\tb\"c"}`, tag, i),
		}
		switch {
		case i == n-1:
			f.Op, f.Payload = store.Close, store.ClosePayload(1000, "bye "+tag)
		case i%7 == 3:
			f.Op, f.Payload = store.Binary, []byte{0, 1, 2, 0xff, byte(i)}
		case i%7 == 5:
			f.Payload = []byte{'{', 0xff, 0xfe, '}'}
		}
		out[i] = f
	}
	return out
}

// writeMeeting records a meeting with two ended sessions and a title into
// the database at path, which it creates, and closes it.
func writeMeeting(t testing.TB, path, tag string) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(path, nil)
	must(t, err)
	defer db.Close()
	frames := testFrames(20, tag)
	for s := uint32(1); s <= 2; s++ {
		id, err := db.BeginSession(ctx, meeting, store.Session{Start: t0})
		must(t, err)
		var mine []store.Frame
		for _, f := range frames {
			if f.Session == s {
				mine = append(mine, f)
			}
		}
		must(t, db.Append(ctx, meeting, mine...))
		must(t, db.EndSession(ctx, meeting, id, t0.Add(time.Minute), store.SessionEnd{Reason: "ended"}))
	}
	must(t, db.SetLabel(meeting, "title", "Weekly sync"))
	must(t, db.Flush(ctx))
	must(t, db.Close())
}

// openRO opens path read-only and closes it when t ends.
func openRO(t testing.TB, path string) *store.DB {
	t.Helper()
	db, err := store.Open(path, &store.Options{ReadOnly: true})
	must(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

// newDB writes the test meeting into a fresh database and returns its path.
func newDB(t testing.TB) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "confrec.db")
	writeMeeting(t, path, "real")
	return path
}

// The stored layout, as store documents it: one bucket per meeting holding a
// "frames" bucket; keys are a key time (ns) and seq, both big-endian u64.
// The store writes blocks of frames (record type 2) and reads the older one
// key per frame records (type 1: time, session, dir, opcode, CRC-32C of key
// and record, payload), which these tests damage one frame at a time.
var framesBucket = []byte("frames")

// damage rewrites the meeting's frames in the closed database at path as
// type 1 records, then opens it with bbolt directly and runs fn on the
// meeting's frames bucket.
func damage(t testing.TB, path string, fn func(frames *bolt.Bucket)) {
	t.Helper()
	asTypeOne(t, path, meeting)
	bdb, err := bolt.Open(path, 0o600, nil)
	must(t, err)
	must(t, bdb.Update(func(tx *bolt.Tx) error {
		fn(tx.Bucket([]byte(meeting)).Bucket(framesBucket))
		return nil
	}))
	must(t, bdb.Close())
}

// frameBySeq returns copies of the key and record of frame seq.
func frameBySeq(t testing.TB, frames *bolt.Bucket, seq uint64) (key, rec []byte) {
	t.Helper()
	c := frames.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if binary.BigEndian.Uint64(k[8:]) == seq {
			return append([]byte(nil), k...), append([]byte(nil), v...)
		}
	}
	t.Fatalf("no frame %d", seq)
	return nil, nil
}

// record encodes f under key with a valid CRC: a forgery the CRC cannot catch.
func record(key []byte, f *store.Frame) []byte {
	b := []byte{1}
	b = binary.BigEndian.AppendUint64(b, uint64(f.Time.UnixNano()))
	b = binary.BigEndian.AppendUint32(b, f.Session)
	b = append(b, byte(f.Dir), byte(f.Op))
	tab := crc32.MakeTable(crc32.Castagnoli)
	crc := crc32.Update(crc32.Checksum(key, tab), tab, b)
	crc = crc32.Update(crc, tab, f.Payload)
	b = binary.BigEndian.AppendUint32(b, crc)
	return append(b, f.Payload...)
}

// decode reads a record the test knows is intact.
func decode(key, rec []byte) store.Frame {
	return store.Frame{
		Seq:     binary.BigEndian.Uint64(key[8:]),
		Time:    time.Unix(0, int64(binary.BigEndian.Uint64(rec[1:9]))).UTC(),
		Session: binary.BigEndian.Uint32(rec[9:13]),
		Dir:     store.Direction(rec[13]),
		Op:      store.Opcode(rec[14]),
		Payload: rec[19:],
	}
}

// asTypeOne rewrites meeting's frames in the closed database at path as
// type 1 records, one key per frame, keyed as the store keys them: the
// frame's time, held from going back.
func asTypeOne(t testing.TB, path, meeting string) {
	t.Helper()
	db, err := store.Open(path, &store.Options{ReadOnly: true})
	must(t, err)
	c, err := db.Frames(meeting, nil)
	must(t, err)
	var frames []store.Frame
	for c.Next() {
		frames = append(frames, c.Frame())
	}
	must(t, c.Err())
	must(t, db.Close())
	bdb, err := bolt.Open(path, 0o600, nil)
	must(t, err)
	must(t, bdb.Update(func(tx *bolt.Tx) error {
		mb := tx.Bucket([]byte(meeting))
		if err := mb.DeleteBucket(framesBucket); err != nil {
			return err
		}
		fb, err := mb.CreateBucket(framesBucket)
		if err != nil {
			return err
		}
		var keyTime int64
		for _, f := range frames {
			keyTime = max(keyTime, f.Time.UnixNano())
			key := binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(nil, uint64(keyTime)), f.Seq)
			if err := fb.Put(key, record(key, &f)); err != nil {
				return err
			}
		}
		return nil
	}))
	must(t, bdb.Close())
}
