package store

import (
	"bytes"
	"errors"
	"math"
	"testing"
	"time"
)

// FuzzFrameRecord encodes arbitrary frames with appendRecord and frameKey and
// checks that decodeRecord returns them unchanged, that any single flipped
// bit is caught, and that decodeRecord never panics on arbitrary bytes.
func FuzzFrameRecord(f *testing.F) {
	f.Add(int64(1742263200035000000), uint64(1), int64(1742263200035000000), uint32(1), byte(In), byte(Text), []byte(`{"action":"HeartBeat","sequence":"1"}`), uint(0))
	f.Add(int64(0), uint64(0), int64(0), uint32(0), byte(0), byte(0), []byte(nil), uint(7))
	f.Add(int64(-1), ^uint64(0), int64(-1<<63), ^uint32(0), byte(0xff), byte(Close), []byte{0x03, 0xe8, 'b', 'y', 'e'}, uint(1000))
	f.Add(int64(1<<62), uint64(1<<40), int64(1<<62)-1, uint32(7), byte(Out), byte(Binary), []byte("\xff\xfe\x00\xc3\x28"), uint(19*8+3))
	f.Fuzz(func(t *testing.T, keyTime int64, seq uint64, ns int64, session uint32, dir, op byte, payload []byte, flip uint) {
		in := Frame{Seq: seq, Time: time.Unix(0, ns), Session: session, Dir: Direction(dir), Op: Opcode(op), Payload: payload}
		key := frameKey(nil, keyTime, seq)
		prefix := []byte("prefix") // appendRecord appends: existing bytes are kept
		rec := appendRecord(bytes.Clone(prefix), key, &in)
		if !bytes.Equal(rec[:len(prefix)], prefix) {
			t.Fatalf("appendRecord changed the bytes before it")
		}
		rec = rec[len(prefix):]
		if len(key) != keyLen || len(rec) != recHeaderLen+len(payload) {
			t.Fatalf("key %d bytes, record %d bytes for a %d-byte payload", len(key), len(rec), len(payload))
		}
		out, err := decodeRecord(key, rec)
		if err != nil {
			t.Fatalf("decodeRecord: %v", err)
		}
		if out.Seq != seq || out.Time.UnixNano() != ns || out.Session != session || out.Dir != in.Dir || out.Op != in.Op || !bytes.Equal(out.Payload, payload) {
			t.Fatalf("round trip: got %+v, want %+v", out, in)
		}
		if len(payload) > 0 && &out.Payload[0] == &rec[recHeaderLen] {
			t.Fatal("decoded payload aliases the record")
		}

		// CRC-32C catches every single-bit error in the key or the record.
		kr := append(bytes.Clone(key), rec...)
		bit := flip % uint(8*len(kr))
		kr[bit/8] ^= 1 << (bit % 8)
		_, err = decodeRecord(kr[:keyLen], kr[keyLen:])
		switch {
		case bit/8 == keyLen: // the record type byte
			if !errors.Is(err, ErrRecordFormat) {
				t.Fatalf("type byte flipped: %v, want ErrRecordFormat", err)
			}
		case !errors.Is(err, ErrChecksum):
			t.Fatalf("bit %d flipped: %v, want ErrChecksum", bit, err)
		}

		// Arbitrary bytes: no panic, and a known error or a copy.
		for _, split := range []int{0, keyLen, len(payload) / 2} {
			k, r := payload[:min(split, len(payload))], payload[min(split, len(payload)):]
			g, err := decodeRecord(k, r)
			if err != nil && !errors.Is(err, ErrRecordFormat) && !errors.Is(err, ErrChecksum) {
				t.Fatalf("decodeRecord(arbitrary): unexpected error %v", err)
			}
			if err == nil && !bytes.Equal(g.Payload, r[recHeaderLen:]) {
				t.Fatalf("decodeRecord(arbitrary): payload differs")
			}
		}
	})
}

// decodeAll decodes the frames of one stored key and value, which must be
// exactly want, and returns them.
func decodeAll(t *testing.T, key, v []byte, want []Frame) []Frame {
	t.Helper()
	out, entries, end, err := decodeFrames(nil, key, v, 0, math.MinInt64, 0)
	if err != nil || end || entries != len(want) || len(out) != len(want) {
		t.Fatalf("decodeFrames: %d frames, %d entries, end %v, %v", len(out), entries, end, err)
	}
	for i, w := range want {
		g := out[i]
		if g.Seq != w.Seq || g.Time.UnixNano() != w.Time.UnixNano() || g.Session != w.Session || g.Dir != w.Dir || g.Op != w.Op || !bytes.Equal(g.Payload, w.Payload) {
			t.Fatalf("frame %d: got %+v, want %+v", i, g, w)
		}
	}
	return out
}

// FuzzBlock encodes frames into a type 2 block the way the writer does and
// checks that decodeFrames returns them unchanged, that any single flipped
// bit is caught, and that decodeFrames never panics on arbitrary bytes.
func FuzzBlock(f *testing.F) {
	f.Add(int64(1742263200035000000), uint64(1), []byte(`{"action":"HeartBeat","sequence":"1"}`), uint8(3), int64(1000), uint(0))
	f.Add(int64(-5), uint64(1<<40), []byte(nil), uint8(1), int64(-7), uint(9))
	f.Add(int64(1<<62), ^uint64(0)-3, []byte("\xff\xfe\x00"), uint8(5), int64(1<<40), uint(77))
	f.Fuzz(func(t *testing.T, start int64, seq uint64, payload []byte, n uint8, step int64, flip uint) {
		n = n%8 + 1
		var in []Frame
		keyTime := start
		key := frameKey(nil, keyTime, seq)
		blk := []byte{recBlockV2}
		prev := keyTime
		for i := range uint64(n) {
			fr := Frame{Seq: seq + i, Time: time.Unix(0, start+int64(i)*step), Session: uint32(i * 77777), Dir: Direction(i), Op: Opcode(i + 1), Payload: payload[:len(payload)*int(i)/int(n)]}
			t := fr.Time.UnixNano()
			kt := max(t, keyTime)
			if i == 0 {
				kt = keyTime
			}
			keyTime = kt
			blk = appendEntry(blk, kt, seq, prev, &fr)
			prev = t
			in = append(in, fr)
		}
		if last, ok := lastEntryTime(key, blk); !ok || last != prev {
			t.Fatalf("lastEntryTime = %d, %v; want %d", last, ok, prev)
		}
		for i, g := range decodeAll(t, key, blk, in) {
			if len(g.Payload) > 0 && cap(g.Payload) != len(g.Payload) {
				t.Fatalf("frame %d: payload not capped", i)
			}
		}
		bad := append(bytes.Clone(key), blk...)
		bit := flip % uint(8*len(bad))
		bad[bit/8] ^= 1 << (bit % 8)
		if _, _, _, err := decodeFrames(nil, bad[:keyLen], bad[keyLen:], 0, math.MinInt64, 0); err == nil {
			t.Fatalf("bit %d flipped: no error", bit)
		}
		for _, split := range []int{0, keyLen, len(payload) / 2} {
			k, r := payload[:min(split, len(payload))], payload[min(split, len(payload)):]
			if _, _, _, err := decodeFrames(nil, k, r, 0, math.MinInt64, 0); err != nil && !errors.Is(err, ErrRecordFormat) && !errors.Is(err, ErrChecksum) && !errors.Is(err, ErrSequence) {
				t.Fatalf("decodeFrames(arbitrary): unexpected error %v", err)
			}
			lastEntryTime(k, r)
		}
	})
}
