package store

import (
	"bytes"
	"errors"
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
