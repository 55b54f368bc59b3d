package store_test

import (
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

// TestVerifyDetectsCorruption damages a real database file with bbolt directly
// and checks that Verify names the first frame found wrong.
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
	}{
		{
			name: "flip_payload_byte",
			damage: func(t *testing.T, frames, _ *bolt.Bucket) {
				k, v := frameBySeq(t, frames, 4)
				v[len(v)-1] ^= 0x01
				must(t, frames.Put(k, v))
			},
			wantErr: store.ErrChecksum, wantSeq: 4,
		},
		{
			name: "flip_session_byte",
			damage: func(t *testing.T, frames, _ *bolt.Bucket) {
				k, v := frameBySeq(t, frames, 6)
				v[12] ^= 0x80
				must(t, frames.Put(k, v))
			},
			wantErr: store.ErrChecksum, wantSeq: 6,
		},
		{
			name: "move_frame_in_time",
			damage: func(t *testing.T, frames, _ *bolt.Bucket) {
				k, v := frameBySeq(t, frames, 7)
				must(t, frames.Delete(k))
				k[7]++ // one nanosecond later: same place in the order
				must(t, frames.Put(k, v))
			},
			wantErr: store.ErrChecksum, wantSeq: 7,
		},
		{
			name: "delete_frame",
			damage: func(t *testing.T, frames, _ *bolt.Bucket) {
				k, _ := frameBySeq(t, frames, 5)
				must(t, frames.Delete(k))
			},
			wantErr: store.ErrSequence, wantSeq: 5,
		},
		{
			name: "delete_last_frame",
			damage: func(t *testing.T, frames, _ *bolt.Bucket) {
				k, _ := frameBySeq(t, frames, nFrames)
				must(t, frames.Delete(k))
			},
			wantErr: store.ErrSequence, wantSeq: nFrames,
		},
		{
			name: "swap_two_records",
			damage: func(t *testing.T, frames, _ *bolt.Bucket) {
				k3, v3 := frameBySeq(t, frames, 3)
				k8, v8 := frameBySeq(t, frames, 8)
				must(t, frames.Put(k3, v8))
				must(t, frames.Put(k8, v3))
			},
			wantErr: store.ErrChecksum, wantSeq: 3, // the key is in the CRC
		},
		{
			name: "truncate_record",
			damage: func(t *testing.T, frames, _ *bolt.Bucket) {
				k, v := frameBySeq(t, frames, 2)
				must(t, frames.Put(k, v[:10]))
			},
			wantErr: store.ErrRecordFormat, wantSeq: 2,
		},
		{
			name: "unknown_record_type",
			damage: func(t *testing.T, frames, _ *bolt.Bucket) {
				k, v := frameBySeq(t, frames, 9)
				v[0] = 0x7f
				must(t, frames.Put(k, v))
			},
			wantErr: store.ErrRecordFormat, wantSeq: 9,
		},
		{
			name: "rewrite_payload_with_valid_crc",
			damage: func(t *testing.T, frames, _ *bolt.Bucket) {
				k, v := frameBySeq(t, frames, 5)
				f := decodeForTest(t, k, v)
				f.Payload = []byte(`{"action":"HeartBeat","sequence":"forged"}`)
				must(t, frames.Put(k, store.AppendRecord(nil, k, &f)))
			},
			wantErr: store.ErrChainHead, wantSeq: nFrames, // only the chain catches it
		},
		{
			name: "append_forged_frame_with_valid_crc",
			damage: func(t *testing.T, frames, _ *bolt.Bucket) {
				k, v := frameBySeq(t, frames, nFrames)
				last := decodeForTest(t, k, v)
				f := store.Frame{Seq: nFrames + 1, Time: last.Time.Add(time.Second), Dir: store.In, Op: store.Text, Payload: []byte(`{"forged":true}`)}
				key := store.FrameKey(nil, f.Time.UnixNano(), f.Seq)
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
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "confrec.db")
			db := openAt(t, path, nil)
			must(t, db.Append(context.Background(), meeting, textFrames(0, nFrames)...))
			must(t, db.Verify(meeting))
			must(t, db.Close())

			bdb, err := bolt.Open(path, 0o600, nil)
			must(t, err)
			must(t, bdb.Update(func(tx *bolt.Tx) error {
				mb := tx.Bucket([]byte(meeting))
				tt.damage(t, mb.Bucket(store.FramesBucket), mb)
				return nil
			}))
			must(t, bdb.Close())

			db = openAt(t, path, &store.Options{ReadOnly: true})
			err = db.Verify(meeting)
			var ce *store.ChainError
			if !errors.As(err, &ce) {
				t.Fatalf("Verify: %v, want a *ChainError", err)
			}
			if !errors.Is(err, tt.wantErr) || ce.Seq != tt.wantSeq || ce.Meeting != meeting {
				t.Fatalf("Verify: %v (meeting %q, seq %d), want %v at seq %d", err, ce.Meeting, ce.Seq, tt.wantErr, tt.wantSeq)
			}
			if !strings.Contains(err.Error(), fmt.Sprintf("frame %d", tt.wantSeq)) {
				t.Errorf("message %q does not name frame %d", err, tt.wantSeq)
			}
		})
	}
}

// frameBySeq returns a copy of the key and record of frame seq.
func frameBySeq(t *testing.T, frames *bolt.Bucket, seq uint64) (key, rec []byte) {
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

// decodeForTest decodes a record the test knows is intact: header fields are
// at the documented offsets.
func decodeForTest(t *testing.T, key, rec []byte) store.Frame {
	t.Helper()
	if len(key) != 16 || len(rec) < 19 {
		t.Fatalf("short record")
	}
	return store.Frame{
		Seq:     binary.BigEndian.Uint64(key[8:]),
		Time:    time.Unix(0, int64(binary.BigEndian.Uint64(rec[1:9]))),
		Session: binary.BigEndian.Uint32(rec[9:13]),
		Dir:     store.Direction(rec[13]),
		Op:      store.Opcode(rec[14]),
		Payload: rec[19:],
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
