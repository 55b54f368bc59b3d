package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// fuzzComp is the compressor of FuzzCompressedBlock, made once.
var fuzzComp = sync.OnceValues(newCompressor)

// FuzzCompressedBlock builds a type 2 block the way Compact does, compresses
// it into a type 3 record and checks that decodeFrames returns the same
// frames from both; that a flipped bit anywhere in the type 3 record is an
// error or, where zstd does not read the bit, changes nothing (never a
// different frame); and that decodeFrames never panics on arbitrary bytes
// after a type 3 byte.
func FuzzCompressedBlock(f *testing.F) {
	f.Add(int64(1742263200035000000), uint64(1), []byte(`{"action":"HeartBeat","sequence":"1"}`), uint8(30), int64(1000), uint(0), []byte{recBlockZstdV3, 5, 0x28, 0xb5, 0x2f, 0xfd})
	f.Add(int64(-5), uint64(1<<40), []byte(nil), uint8(1), int64(-7), uint(9), []byte{recBlockZstdV3, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Add(int64(1<<62), ^uint64(0)-300, bytes.Repeat([]byte("\xff\xfe\x00abc"), 100), uint8(200), int64(1<<20), uint(777), []byte(nil))
	f.Fuzz(func(t *testing.T, start int64, seq uint64, payload []byte, n uint8, step int64, flip uint, arbitrary []byte) {
		n = n%40 + 1
		var in []Frame
		kt := start
		key := frameKey(nil, kt, seq)
		blk := []byte{recBlockV2}
		prev := kt
		for i := range uint64(n) {
			fr := Frame{Seq: seq + i, Time: time.Unix(0, start+int64(i)*step), Session: uint32(i % 3), Dir: Direction(i % 3), Op: Opcode(i%2 + 1), Payload: payload[:len(payload)*int(i%7)/7]}
			t := fr.Time.UnixNano()
			if i > 0 {
				kt = max(kt, t)
			}
			blk = appendEntry(blk, kt, seq, prev, &fr)
			prev = t
			in = append(in, fr)
		}
		comp, err := fuzzComp()
		if err != nil {
			t.Fatal(err)
		}
		rec := comp.block(blk)
		if rec[0] != recBlockZstdV3 {
			if !bytes.Equal(rec, blk) {
				t.Fatal("an uncompressed block was changed")
			}
			return
		}
		if _, ok := lastEntryTime(key, rec); ok {
			t.Fatal("lastEntryTime accepts a compressed block: the writer would append to it")
		}
		decodeAll(t, key, rec, in)

		bad := append(bytes.Clone(key), rec...)
		bit := flip % uint(8*len(bad))
		bad[bit/8] ^= 1 << (bit % 8)
		got, _, _, err := decodeFrames(nil, bad[:keyLen], bad[keyLen:], 0, math.MinInt64, 0)
		if err != nil {
			if !errors.Is(err, ErrRecordFormat) && !errors.Is(err, ErrChecksum) && !errors.Is(err, ErrSequence) {
				t.Fatalf("bit %d flipped: unexpected error %v", bit, err)
			}
		} else if bit/8 < keyLen {
			t.Fatalf("bit %d of the key flipped: no error", bit)
		}
		for i, g := range got { // the frames returned are the frames stored
			w := in[i]
			if g.Seq != w.Seq || g.Time.UnixNano() != w.Time.UnixNano() || g.Session != w.Session || g.Dir != w.Dir || g.Op != w.Op || !bytes.Equal(g.Payload, w.Payload) {
				t.Fatalf("bit %d flipped: frame %d decoded as %+v, stored %+v", bit, i, g, w)
			}
		}

		// Arbitrary bytes after a type 3 byte, with the length stated
		// or not: no panic, a known error, and nothing decoded bigger
		// than allowed.
		for _, v := range [][]byte{arbitrary, append([]byte{recBlockZstdV3}, arbitrary...), append(binary.AppendUvarint([]byte{recBlockZstdV3}, uint64(len(arbitrary))), arbitrary...)} {
			if _, _, _, err := decodeFrames(nil, key, v, 0, math.MinInt64, 0); err != nil && !errors.Is(err, ErrRecordFormat) && !errors.Is(err, ErrChecksum) && !errors.Is(err, ErrSequence) {
				t.Fatalf("decodeFrames(arbitrary): unexpected error %v", err)
			}
		}
	})
}

// TestDecompressBounds: decompressBlock refuses a stated length out of
// bounds or disagreeing with the zstd header before it allocates, and
// never writes more than the stated length.
func TestDecompressBounds(t *testing.T) {
	comp, err := newCompressor()
	if err != nil {
		t.Fatal(err)
	}
	defer comp.close()
	raw := bytes.Repeat([]byte(`{"action":"HeartBeat","sequence":"1"}`), 100)
	stream := comp.enc.EncodeAll(raw, nil)
	body := func(n uint64, s ...[]byte) []byte {
		return append(binary.AppendUvarint(nil, n), bytes.Join(s, nil)...)
	}
	tests := []struct {
		name string
		body []byte
		want string
	}{
		{"no length", nil, "without its length"},
		{"zero length", body(0, stream), "allowed 1 to"},
		{"over the bound", body(maxRawBlock+1, stream), "allowed 1 to"},
		{"huge", body(math.MaxUint64, stream), "allowed 1 to"},
		{"length above the header's", body(uint64(len(raw))+1, stream), "header does not match"},
		{"length below the header's", body(uint64(len(raw))-1, stream), "header does not match"},
		{"no zstd frame", body(uint64(len(raw)), raw), "header does not match"},
		{"a second frame after it", body(uint64(len(raw)), stream, stream), "does not decompress"},
		{"truncated", body(uint64(len(raw)), stream[:len(stream)-3]), "does not decompress"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := decompressBlock(tt.body)
			if !errors.Is(err, ErrRecordFormat) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("decompressBlock: %d bytes, %v; want ErrRecordFormat and %q", len(out), err, tt.want)
			}
		})
	}
	out, err := decompressBlock(body(uint64(len(raw)), stream))
	if err != nil || !bytes.Equal(out, raw) {
		t.Fatalf("intact: %d bytes, %v", len(out), err)
	}
	releaseBlock(out)
	bad := body(maxRawBlock, stream)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if _, err := decompressBlock(bad); err == nil {
		t.Fatal("a stated length disagreeing with the header: no error")
	}
	runtime.ReadMemStats(&after)
	if n := after.TotalAlloc - before.TotalAlloc; n > 64<<10 {
		t.Errorf("a stated length of %d bytes disagreeing with the header: %d bytes allocated", maxRawBlock, n)
	}
}
