package store_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/confrec/confrec/store"
)

func TestVerifyFresh(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, nil)
	must(t, db.SetLabel("empty", "title", "no frames yet"))
	must(t, db.Append(ctx, "m", textFrames(0, 600)...))
	for _, meeting := range []string{"m", "empty"} {
		if err := db.Verify(meeting); err != nil {
			t.Errorf("Verify(%s): %v", meeting, err)
		}
	}
	m, err := db.Meeting("empty")
	must(t, err)
	if m.ChainHead != store.ChainStart("empty") {
		t.Errorf("empty meeting's head %s, want ChainStart", m.ChainHead)
	}
}

// storedFrame is where frame seq is stored: under key, in value val, its
// bytes val[start:end] (the whole value for a type 1 record, one entry of a
// type 2 block, e).
type storedFrame struct {
	key, val   []byte
	start, end int
	e          store.EntryInfo
}

// locate finds frame seq in the frames bucket, with copies of key and value.
func locate(t *testing.T, frames *bolt.Bucket, seq uint64) storedFrame {
	t.Helper()
	c := frames.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if v[0] == store.RecFrameV1 {
			if binary.BigEndian.Uint64(k[8:]) == seq {
				return storedFrame{key: bytes.Clone(k), val: bytes.Clone(v), end: len(v)}
			}
			continue
		}
		for _, e := range store.BlockEntries(k, v) {
			if e.Seq == seq {
				return storedFrame{bytes.Clone(k), bytes.Clone(v), e.Start, e.End, e}
			}
		}
	}
	t.Fatalf("no frame %d", seq)
	return storedFrame{}
}

func (s storedFrame) block() bool { return s.val[0] == store.RecBlockV2 }

// frame decodes the located frame, which the test knows is intact.
func (s storedFrame) frame(t *testing.T) store.Frame {
	t.Helper()
	if !s.block() {
		r := s.val
		return store.Frame{
			Seq:     binary.BigEndian.Uint64(s.key[8:]),
			Time:    time.Unix(0, int64(binary.BigEndian.Uint64(r[1:9]))),
			Session: binary.BigEndian.Uint32(r[9:13]),
			Dir:     store.Direction(r[13]),
			Op:      store.Opcode(r[14]),
			Payload: r[19:],
		}
	}
	f := textFrame(int(s.e.Seq - 1)) // as written by the test
	f.Seq = s.e.Seq
	return f
}

// replace puts the located frame's value back with its bytes replaced by
// b (nil: removed; the key is deleted when nothing is left).
func (s storedFrame) replace(t *testing.T, frames *bolt.Bucket, b []byte) {
	t.Helper()
	v := append(append(bytes.Clone(s.val[:s.start]), b...), s.val[s.end:]...)
	if len(v) == 0 || len(v) == 1 && s.block() {
		must(t, frames.Delete(s.key))
		return
	}
	must(t, frames.Put(s.key, v))
}

// encode returns f's stored bytes in the located frame's layout, with a
// valid CRC: a forgery only the chain catches.
func (s storedFrame) encode(f *store.Frame) []byte {
	if !s.block() {
		return store.AppendRecord(nil, s.key, f)
	}
	return store.AppendEntry(nil, s.e.KeyTime, s.e.KeySeq, s.e.PrevTime, f)
}

// rewriteAsTypeOne replaces every frame of meeting with a type 1 record,
// the layout written before blocks: a database recorded by an older
// confrec. The test frames' times only grow, so key time is frame time.
func rewriteAsTypeOne(t *testing.T, path, meeting string, frames []store.Frame) {
	t.Helper()
	bdb, err := bolt.Open(path, 0o600, nil)
	must(t, err)
	must(t, bdb.Update(func(tx *bolt.Tx) error {
		mb := tx.Bucket([]byte(meeting))
		must(t, mb.DeleteBucket(store.FramesBucket))
		fb, err := mb.CreateBucket(store.FramesBucket)
		must(t, err)
		for _, f := range frames {
			key := store.FrameKey(nil, f.Time.UnixNano(), f.Seq)
			must(t, fb.Put(key, store.AppendRecord(nil, key, &f)))
		}
		return nil
	}))
	must(t, bdb.Close())
}

// corruptionLayouts are the ways frames are stored: type 1 records (older
// databases), one block, and several blocks of three frames.
var corruptionLayouts = []string{"type1", "block", "blocks"}

// TestVerifyDetectsCorruption damages a real database file with bbolt directly
// and checks that Verify names the first frame found wrong, in every layout.
func TestVerifyDetectsCorruption(t *testing.T) {
	const (
		meeting = "986512347"
		nFrames = 10
	)
	tests := []struct {
		name    string
		damage  func(t *testing.T, frames, mb *bolt.Bucket)
		wantErr error
		wantSeq uint64
		// blockErr and blockSeq, when set, are what Verify finds in the
		// block layouts (the first frame of a damaged block, or a frame
		// out of place found by sequence rather than by its key's CRC).
		blockErr           error
		blockSeq, blocksSq uint64
	}{
		{
			name: "flip_payload_byte",
			damage: func(t *testing.T, frames, _ *bolt.Bucket) {
				s := locate(t, frames, 4)
				s.val[s.end-1] ^= 0x01
				must(t, frames.Put(s.key, s.val))
			},
			wantErr: store.ErrChecksum, wantSeq: 4,
		},
		{
			name: "flip_session_byte",
			damage: func(t *testing.T, frames, _ *bolt.Bucket) {
				s := locate(t, frames, 6)
				if s.block() {
					s.val[s.e.Session] ^= 0x01 // a one-byte varint
				} else {
					s.val[12] ^= 0x80
				}
				must(t, frames.Put(s.key, s.val))
			},
			wantErr: store.ErrChecksum, wantSeq: 6,
		},
		{
			name: "move_frame_in_time",
			damage: func(t *testing.T, frames, _ *bolt.Bucket) {
				s := locate(t, frames, 7)
				if s.block() && s.start != 1 {
					s.val[s.e.Time0] ^= 0x02 // a nanosecond or two: same place in the order
					must(t, frames.Put(s.key, s.val))
					return
				}
				must(t, frames.Delete(s.key))
				s.key[7]++ // one nanosecond later: same place in the order
				must(t, frames.Put(s.key, s.val))
			},
			wantErr: store.ErrChecksum, wantSeq: 7,
		},
		{
			name: "delete_frame",
			damage: func(t *testing.T, frames, _ *bolt.Bucket) {
				s := locate(t, frames, 5)
				s.replace(t, frames, nil)
			},
			wantErr: store.ErrSequence, wantSeq: 5,
		},
		{
			name: "delete_last_frame",
			damage: func(t *testing.T, frames, _ *bolt.Bucket) {
				s := locate(t, frames, nFrames)
				s.replace(t, frames, nil)
			},
			wantErr: store.ErrSequence, wantSeq: nFrames,
		},
		{
			name: "swap_two_records",
			damage: func(t *testing.T, frames, _ *bolt.Bucket) {
				s3, s8 := locate(t, frames, 3), locate(t, frames, 8)
				b3, b8 := s3.val[s3.start:s3.end], s8.val[s8.start:s8.end]
				if bytes.Equal(s3.key, s8.key) { // one block: frame 3 comes first
					v := append(bytes.Clone(s3.val[:s3.start]), b8...)
					v = append(append(v, s3.val[s3.end:s8.start]...), b3...)
					must(t, frames.Put(s3.key, append(v, s3.val[s8.end:]...)))
					return
				}
				s3.replace(t, frames, b8)
				s8.replace(t, frames, b3)
			},
			wantErr: store.ErrChecksum, wantSeq: 3, // the key is in the CRC
			// In a block, the entry carries its seq: frame 8 is found
			// where frame 3 belongs.
			blockErr: store.ErrSequence,
		},
		{
			name: "truncate_record",
			damage: func(t *testing.T, frames, _ *bolt.Bucket) {
				s := locate(t, frames, 2)
				must(t, frames.Put(s.key, s.val[:s.start+10]))
			},
			wantErr: store.ErrRecordFormat, wantSeq: 2,
		},
		{
			name: "unknown_record_type",
			damage: func(t *testing.T, frames, _ *bolt.Bucket) {
				s := locate(t, frames, 9)
				s.val[0] = 0x7f
				must(t, frames.Put(s.key, s.val))
			},
			wantErr: store.ErrRecordFormat, wantSeq: 9,
			blockSeq: 1, blocksSq: 7, // the block's first frame
		},
		{
			name: "rewrite_payload_with_valid_crc",
			damage: func(t *testing.T, frames, _ *bolt.Bucket) {
				s := locate(t, frames, 5)
				f := s.frame(t)
				f.Payload = []byte(`{"action":"HeartBeat","sequence":"forged"}`)
				s.replace(t, frames, s.encode(&f))
			},
			wantErr: store.ErrChainHead, wantSeq: nFrames, // only the chain catches it
		},
		{
			name: "append_forged_frame_with_valid_crc",
			damage: func(t *testing.T, frames, _ *bolt.Bucket) {
				s := locate(t, frames, nFrames)
				last := s.frame(t)
				f := store.Frame{Seq: nFrames + 1, Time: last.Time.Add(time.Second), Dir: store.In, Op: store.Text, Payload: []byte(`{"forged":true}`)}
				key := store.FrameKey(nil, f.Time.UnixNano(), f.Seq)
				if s.block() {
					must(t, frames.Put(key, store.AppendEntry([]byte{store.RecBlockV2}, f.Time.UnixNano(), f.Seq, f.Time.UnixNano(), &f)))
					return
				}
				must(t, frames.Put(key, store.AppendRecord(nil, key, &f)))
			},
			wantErr: store.ErrSequence, wantSeq: nFrames + 1,
		},
		{
			name: "tamper_meta_head",
			damage: func(t *testing.T, _, mb *bolt.Bucket) {
				editMeta(t, mb, func(m map[string]any) {
					var h store.Hash
					h[0] = 1
					m["chain_head"] = h.String()
				})
			},
			wantErr: store.ErrChainHead, wantSeq: nFrames,
		},
		{
			name: "tamper_meta_frame_count",
			damage: func(t *testing.T, _, mb *bolt.Bucket) {
				editMeta(t, mb, func(m map[string]any) { m["frames"] = nFrames - 1 })
			},
			wantErr: store.ErrSequence, wantSeq: nFrames,
		},
	}
	for _, layout := range corruptionLayouts {
		for _, tt := range tests {
			t.Run(layout+"/"+tt.name, func(t *testing.T) {
				path := filepath.Join(t.TempDir(), "confrec.db")
				db := openAt(t, path, nil)
				want := textFrames(0, nFrames)
				if layout == "blocks" {
					// Blocks of three frames (the test payloads are all
					// the same size), in commits of two: a commit fills
					// the block the one before left room in.
					defer store.SetBlockMax(200)()
					for i := 0; i < nFrames; i += 2 {
						must(t, db.Append(context.Background(), meeting, want[i:min(i+2, nFrames)]...))
					}
				} else {
					must(t, db.Append(context.Background(), meeting, want...))
				}
				must(t, db.Verify(meeting))
				stored := readAll(t, db, meeting, nil)
				must(t, db.Close())
				if layout == "type1" {
					rewriteAsTypeOne(t, path, meeting, stored)
				}

				bdb, err := bolt.Open(path, 0o600, nil)
				must(t, err)
				must(t, bdb.Update(func(tx *bolt.Tx) error {
					mb := tx.Bucket([]byte(meeting))
					if n := mb.Bucket(store.FramesBucket).Stats().KeyN; layout == "blocks" && n != 4 {
						t.Fatalf("%d blocks, want 4 of three frames", n)
					}
					tt.damage(t, mb.Bucket(store.FramesBucket), mb)
					return nil
				}))
				must(t, bdb.Close())

				wantErr, wantSeq := tt.wantErr, tt.wantSeq
				if layout != "type1" && tt.blockErr != nil {
					wantErr = tt.blockErr
				}
				if layout == "block" && tt.blockSeq != 0 {
					wantSeq = tt.blockSeq
				}
				if layout == "blocks" && tt.blocksSq != 0 {
					wantSeq = tt.blocksSq
				}
				db = openAt(t, path, &store.Options{ReadOnly: true})
				err = db.Verify(meeting)
				var ce *store.ChainError
				if !errors.As(err, &ce) {
					t.Fatalf("Verify: %v, want a *ChainError", err)
				}
				if !errors.Is(err, wantErr) || ce.Seq != wantSeq || ce.Meeting != meeting {
					t.Fatalf("Verify: %v (meeting %q, seq %d), want %v at seq %d", err, ce.Meeting, ce.Seq, wantErr, wantSeq)
				}
				if !strings.Contains(err.Error(), fmt.Sprintf("frame %d", wantSeq)) {
					t.Errorf("message %q does not name frame %d", err, wantSeq)
				}
			})
		}
	}
}

func editMeta(t *testing.T, mb *bolt.Bucket, edit func(map[string]any)) {
	t.Helper()
	var m map[string]any
	must(t, json.Unmarshal(mb.Get(store.MetaKey), &m))
	edit(m)
	b, err := json.Marshal(m)
	must(t, err)
	must(t, mb.Put(store.MetaKey, b))
}

// TestChainFormula recomputes the chain from the formula in the ChainStart
// and ChainNext doc comments, without calling them, and compares it with the
// head the store keeps.
func TestChainFormula(t *testing.T) {
	const meeting = "986512347"
	frames := []store.Frame{
		{Time: t0, Session: 1, Dir: store.Out, Op: store.Text, Payload: []byte(`{"action":"Subscribe"}`)},
		{Time: t0.Add(time.Millisecond), Session: 1, Dir: store.In, Op: store.Binary, Payload: []byte{0, 1, 2, 0xff}},
		{Time: t0.Add(-time.Hour), Session: 0x01020304, Dir: store.In, Op: store.Text, Payload: nil},
		{Time: t0.Add(time.Second), Session: 2, Dir: store.In, Op: store.Close, Payload: store.ClosePayload(1000, "bye")},
	}
	start := sha256.Sum256([]byte("confrec chain v1\x00" + meeting))
	if got := store.ChainStart(meeting); got != store.Hash(start) {
		t.Fatalf("ChainStart = %s, want %x", got, start)
	}
	head := start
	for i, f := range frames {
		var b []byte
		b = append(b, head[:]...)
		b = binary.BigEndian.AppendUint64(b, uint64(i+1))
		b = binary.BigEndian.AppendUint64(b, uint64(f.Time.UnixNano()))
		b = binary.BigEndian.AppendUint32(b, f.Session)
		b = append(b, byte(f.Dir), byte(f.Op))
		b = binary.BigEndian.AppendUint64(b, uint64(len(f.Payload)))
		b = append(b, f.Payload...)
		head = sha256.Sum256(b)
	}
	db := openDB(t, nil)
	must(t, db.Append(context.Background(), meeting, frames...))
	m, err := db.Meeting(meeting)
	must(t, err)
	if m.ChainHead != store.Hash(head) {
		t.Fatalf("stored head %s, recomputed %x", m.ChainHead, head)
	}
	// ChainNext over the stored frames gives the same head.
	h := store.ChainStart(meeting)
	for _, f := range readAll(t, db, meeting, nil) {
		h = store.ChainNext(h, &f)
	}
	if h != store.Hash(head) {
		t.Fatalf("ChainNext over stored frames: %s, recomputed %x", h, head)
	}
}

// TestVerifyWhileRecording runs Verify again and again while another
// goroutine appends: frames committed after Verify read the meeting's
// metadata are not damage.
func TestVerifyWhileRecording(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, &store.Options{NoSync: true})
	must(t, db.Append(ctx, "m", textFrames(0, 1000)...))
	done := make(chan error)
	go func() {
		defer close(done)
		for i := 1000; i < 3000; i += 10 {
			if err := db.Append(ctx, "m", textFrames(i, 10)...); err != nil {
				done <- err
				return
			}
		}
	}()
	verified := 0
	for {
		select {
		case err, ok := <-done:
			if ok {
				t.Fatal(err)
			}
			if err := db.Verify("m"); err != nil {
				t.Fatal(err)
			}
			t.Logf("%d verifications while recording", verified)
			return
		default:
		}
		if err := db.Verify("m"); err != nil {
			<-done
			t.Fatalf("Verify while recording: %v", err)
		}
		verified++
	}
}

func TestHashText(t *testing.T) {
	h := store.ChainStart("m")
	b, err := h.MarshalText()
	must(t, err)
	if string(b) != h.String() || len(b) != 64 || strings.ToLower(string(b)) != string(b) {
		t.Fatalf("MarshalText = %s", b)
	}
	for _, text := range []string{string(b), strings.ToUpper(string(b))} {
		var got store.Hash
		if err := got.UnmarshalText([]byte(text)); err != nil || got != h {
			t.Errorf("UnmarshalText(%s) = %s, %v", text, got, err)
		}
	}
	for _, bad := range []string{"", string(b[:62]), string(b) + "00", strings.Repeat("zz", 32)} {
		var got store.Hash
		if err := got.UnmarshalText([]byte(bad)); err == nil {
			t.Errorf("UnmarshalText(%q) succeeded", bad)
		}
	}
	var m struct{ H store.Hash }
	must(t, json.Unmarshal(fmt.Appendf(nil, `{"H":%q}`, h), &m))
	if m.H != h {
		t.Errorf("JSON round trip: %s, want %s", m.H, h)
	}
}

// TestTypeOneThenBlocks opens a database whose frames are type 1 records (as
// written before blocks), records more frames into it, and reads and
// verifies the mix, whole and by time.
func TestTypeOneThenBlocks(t *testing.T) {
	const meeting = "986512347"
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "confrec.db")
	want := textFrames(0, 300)
	db := openAt(t, path, nil)
	must(t, db.Append(ctx, meeting, want[:100]...))
	old := readAll(t, db, meeting, nil)
	must(t, db.Close())
	rewriteAsTypeOne(t, path, meeting, old)

	db = openAt(t, path, nil)
	must(t, db.Verify(meeting))
	checkFrames(t, readAll(t, db, meeting, nil), want[:100], 1)
	must(t, db.Append(ctx, meeting, want[100:200]...))
	must(t, db.Append(ctx, meeting, want[200:]...))
	must(t, db.Verify(meeting))
	checkFrames(t, readAll(t, db, meeting, nil), want, 1)
	for _, r := range [][2]int{{0, 300}, {50, 150}, {99, 101}, {100, 100}, {150, 299}, {210, 211}} {
		q := &store.Query{From: want[r[0]].Time, To: want[min(r[1], 299)].Time}
		if r[1] >= 300 {
			q.To = time.Time{}
		}
		checkFrames(t, readAll(t, db, meeting, q), want[r[0]:r[1]], uint64(r[0]+1))
	}
}

// TestCursorSeesFramesAddedToItsBlock reads a meeting to its end while its
// last block has room; frames committed then go into that block, and the
// cursor returns them, once each.
func TestCursorSeesFramesAddedToItsBlock(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, nil)
	want := textFrames(0, 3)
	must(t, db.Append(ctx, "m", want...))
	c, err := db.Frames("m", nil)
	must(t, err)
	defer c.Close()
	var got []store.Frame
	for round := range 3 {
		for c.Next() {
			got = append(got, c.Frame())
		}
		must(t, c.Err())
		late := textFrames(len(want), round+1)
		must(t, db.Append(ctx, "m", late...))
		want = append(want, late...)
	}
	for c.Next() {
		got = append(got, c.Frame())
	}
	must(t, c.Err())
	checkFrames(t, got, want, 1)
}

// TestLargeCommits records commits large enough that the store switches
// from small blocks to big ones within a commit, then reads them back whole
// and by time, and verifies the chain.
func TestLargeCommits(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, &store.Options{NoSync: true})
	want := textFrames(0, 3000)
	for i := range want {
		want[i].Payload = append(want[i].Payload, bytes.Repeat([]byte{' '}, 260)...)
	}
	must(t, db.Append(ctx, "m", want[:1200]...))
	must(t, db.Append(ctx, "m", want[1200:1201]...))
	must(t, db.Append(ctx, "m", want[1201:]...))
	must(t, db.Verify("m"))
	checkFrames(t, readAll(t, db, "m", nil), want, 1)
	for _, r := range [][2]int{{0, 1}, {100, 1100}, {1199, 1202}, {1500, 2999}, {2998, 2999}} {
		q := &store.Query{From: want[r[0]].Time, To: want[r[1]].Time}
		checkFrames(t, readAll(t, db, "m", q), want[r[0]:r[1]], uint64(r[0]+1))
	}
}
