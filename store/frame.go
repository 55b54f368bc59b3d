package store

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"time"
)

// Direction says who sent a frame.
type Direction uint8

// Directions. The zero value is invalid.
const (
	In  Direction = 1 // received from the server
	Out Direction = 2 // sent by us
)

func (d Direction) String() string {
	switch d {
	case In:
		return "in"
	case Out:
		return "out"
	}
	return fmt.Sprintf("dir(%d)", uint8(d))
}

// Opcode is the WebSocket opcode of a frame (RFC 6455 §5.2).
type Opcode uint8

// Opcodes stored. A Close frame's payload is the wire close payload: a 2-byte
// big-endian status code followed by the UTF-8 reason (empty when no code).
const (
	Text   Opcode = 1
	Binary Opcode = 2
	Close  Opcode = 8
)

func (o Opcode) String() string {
	switch o {
	case Text:
		return "text"
	case Binary:
		return "binary"
	case Close:
		return "close"
	}
	return fmt.Sprintf("opcode(%d)", uint8(o))
}

// Frame is one recorded WebSocket message.
type Frame struct {
	// Seq numbers the meeting's frames from 1 in the order they were queued.
	// It is assigned by the store; the value given to Enqueue or Append is ignored.
	Seq uint64
	// Time is when the frame was received or sent, with nanoseconds: the
	// wall clock's reading. The frame's key time is held at the last key
	// time when the clock steps back, so keys sort by receive time and never
	// collide (see Meeting.KeySpan).
	Time time.Time
	// Session is the number returned by BeginSession for the connection
	// that carried the frame (0 when there was none).
	Session uint32
	Dir     Direction
	Op      Opcode
	// Payload is the exact message bytes.
	Payload []byte
}

// ClosePayload returns the wire close payload for code and reason.
func ClosePayload(code uint16, reason string) []byte {
	if code == 0 {
		return nil
	}
	b := make([]byte, 2, 2+len(reason))
	binary.BigEndian.PutUint16(b, code)
	return append(b, reason...)
}

// CloseStatus splits a Close frame's payload into code and reason. ok is false
// when the payload holds no status code.
func (f Frame) CloseStatus() (code uint16, reason string, ok bool) {
	if f.Op != Close || len(f.Payload) < 2 {
		return 0, "", false
	}
	return binary.BigEndian.Uint16(f.Payload), string(f.Payload[2:]), true
}

// Frames are stored in a meeting's "frames" bucket under 16-byte keys: key
// time (Unix ns, held monotonic) and seq, both big-endian u64, so keys sort by
// receive time and never collide. The first byte of a value is its record
// type, which decides how the rest is read; every type stays readable.
//
// Record layout (type 1, one frame per key; read, no longer written),
// after the key (key time, seq of the frame):
//
//	[0]      record type (recFrameV1)
//	[1:9]    frame time, Unix ns, big-endian int64
//	[9:13]   session, big-endian uint32
//	[13]     direction
//	[14]     opcode
//	[15:19]  CRC-32C of key || record[0:15] || payload
//	[19:]    payload
//
// Record layout (type 2, a block of consecutive frames of the meeting), after
// the key (key time and seq of the block's first frame):
//
//	[0]      record type (recBlockV2)
//	then one entry per frame, in seq order:
//	uvarint  seq minus the key's seq
//	varint   frame time (Unix ns) minus the previous entry's frame time (the
//	         key time for the first entry)
//	uvarint  session
//	byte     direction
//	byte     opcode
//	uvarint  payload length
//	[4]      CRC-32C, big-endian, of key time u64 || seq u64 || frame time i64
//	         (big-endian) || the entry's bytes before the CRC || payload
//	payload
//
// An entry's key time is the key's time for the first entry, and for each
// later one the larger of the previous entry's key time and its own frame
// time: what its key would have been as a type 1 record. Each entry has its
// own CRC and its own seq, so damage names the first bad frame: an entry
// whose seq does not follow the one before it is reported as a break in the
// sequence at the seq expected there.
//
// Record layout (type 3, a zstd-compressed type 2 block, written only by
// Compact with CompactOptions.Compress), after the same key as type 2:
//
//	[0]      record type (recBlockZstdV3)
//	uvarint  n: length of the type 2 entries once decompressed, 1 to
//	         maxRawBlock
//	then     one zstd frame (RFC 8878) with its content size, n, in its
//	         header and no content checksum, whose content is the entries
//	         of a type 2 block with the same key, exactly as type 2 lays
//	         them out after its type byte
//
// The entries keep their own seq, time and CRC-32C, which cover every
// decompressed byte, so damage inside the compressed stream that still
// decompresses is reported at the first bad frame as in type 2. A stream
// that does not decompress to exactly n bytes (zstd rejects it, or it is
// longer or shorter) is reported as ErrRecordFormat at the block's first
// frame, the first one that cannot be read. Decompression never trusts the
// stream for its size: n is checked against maxRawBlock and the zstd
// header before anything is allocated, and zstd may not write past n
// bytes. A type 3 block is never appended to: the next frame starts a new
// (type 2) block.
const (
	recFrameV1     byte = 1
	recBlockV2     byte = 2
	recBlockZstdV3 byte = 3
)

const (
	recHeaderLen = 19
	keyLen       = 16
	// maxEntryHeader bounds a type 2 entry's bytes before its payload.
	maxEntryHeader = 3*binary.MaxVarintLen64 + binary.MaxVarintLen32 + 2 + 4
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func frameKey(dst []byte, keyTime int64, seq uint64) []byte {
	dst = binary.BigEndian.AppendUint64(dst, uint64(keyTime))
	return binary.BigEndian.AppendUint64(dst, seq)
}

// appendRecord appends f's type 1 record to b and returns the resulting
// slice. Only tests write type 1 records now.
func appendRecord(b []byte, key []byte, f *Frame) []byte {
	start := len(b)
	b = append(b, recFrameV1)
	b = binary.BigEndian.AppendUint64(b, uint64(f.Time.UnixNano()))
	b = binary.BigEndian.AppendUint32(b, f.Session)
	b = append(b, byte(f.Dir), byte(f.Op))
	crc := crc32.Update(crc32.Checksum(key, castagnoli), castagnoli, b[start:])
	crc = crc32.Update(crc, castagnoli, f.Payload)
	b = binary.BigEndian.AppendUint32(b, crc)
	return append(b, f.Payload...)
}

// appendEntry appends f's type 2 block entry to b. keyTime is the entry's
// key time, keySeq the block key's seq and prevTime the previous entry's
// frame time (the key time for the first entry).
func appendEntry(b []byte, keyTime int64, keySeq uint64, prevTime int64, f *Frame) []byte {
	start := len(b)
	t := f.Time.UnixNano()
	b = binary.AppendUvarint(b, f.Seq-keySeq)
	b = binary.AppendVarint(b, t-prevTime)
	b = binary.AppendUvarint(b, uint64(f.Session))
	b = append(b, byte(f.Dir), byte(f.Op))
	b = binary.AppendUvarint(b, uint64(len(f.Payload)))
	crc := entryCRC(keyTime, f.Seq, t, b[start:], f.Payload)
	b = binary.BigEndian.AppendUint32(b, crc)
	return append(b, f.Payload...)
}

func entryCRC(keyTime int64, seq uint64, t int64, hdr, payload []byte) uint32 {
	var abs [24]byte
	binary.BigEndian.PutUint64(abs[0:], uint64(keyTime))
	binary.BigEndian.PutUint64(abs[8:], seq)
	binary.BigEndian.PutUint64(abs[16:], uint64(t))
	crc := crc32.Update(crc32.Checksum(abs[:], castagnoli), castagnoli, hdr)
	return crc32.Update(crc, castagnoli, payload)
}

// entry is a decoded type 2 entry header.
type entry struct {
	seq     uint64
	time    int64
	session uint32
	dir     Direction
	op      Opcode
	hdr     int // bytes before the CRC
	payload int // payload offset
	size    int // bytes of the whole entry
}

// parseEntry reads the entry at the start of e. ok is false when e is too
// short for it or a field overflows.
func parseEntry(e []byte, keySeq uint64, prevTime int64) (en entry, ok bool) {
	off := 0
	d, n := binary.Uvarint(e)
	if n <= 0 {
		return en, false
	}
	off += n
	dt, n := binary.Varint(e[off:])
	if n <= 0 {
		return en, false
	}
	off += n
	sess, n := binary.Uvarint(e[off:])
	if n <= 0 || sess > 1<<32-1 {
		return en, false
	}
	off += n
	if len(e)-off < 2 {
		return en, false
	}
	en.dir, en.op = Direction(e[off]), Opcode(e[off+1])
	off += 2
	plen, n := binary.Uvarint(e[off:])
	if n <= 0 {
		return en, false
	}
	off += n
	en.hdr = off
	if uint64(len(e)-off) < 4 || plen > uint64(len(e)-off-4) {
		return en, false
	}
	en.seq = keySeq + d
	en.time = prevTime + dt
	en.session = uint32(sess)
	en.payload = off + 4
	en.size = en.payload + int(plen)
	return en, true
}

// decodeRecord decodes a stored type 1 key and record into a Frame whose
// Payload is a copy. It checks the record's CRC.
func decodeRecord(key, rec []byte) (Frame, error) {
	if len(key) != keyLen || len(rec) < recHeaderLen || rec[0] != recFrameV1 {
		return Frame{}, ErrRecordFormat
	}
	f := Frame{
		Seq:     binary.BigEndian.Uint64(key[8:]),
		Time:    time.Unix(0, int64(binary.BigEndian.Uint64(rec[1:9]))).UTC(),
		Session: binary.BigEndian.Uint32(rec[9:13]),
		Dir:     Direction(rec[13]),
		Op:      Opcode(rec[14]),
	}
	crc := crc32.Update(crc32.Checksum(key, castagnoli), castagnoli, rec[:15])
	crc = crc32.Update(crc, castagnoli, rec[recHeaderLen:])
	if crc != binary.BigEndian.Uint32(rec[15:19]) {
		return f, ErrChecksum
	}
	f.Payload = append([]byte(nil), rec[recHeaderLen:]...)
	return f, nil
}

// frameError is a bad frame found by decodeFrames: its seq (the one
// expected there when the entry is unreadable) and, when known, its time.
type frameError struct {
	seq  uint64
	time time.Time
	err  error
}

func (e *frameError) Error() string { return fmt.Sprintf("frame %d: %v", e.seq, e.err) }
func (e *frameError) Unwrap() error { return e.err }

// decodeFrames appends to dst the frames of one stored key and value (a
// type 1 record, a type 2 block or a type 3 compressed block) past the
// first skip entries (read before) whose key times are at least from, and
// stops before the first whose key time is at least to (to == 0: no bound),
// reporting end. Payloads are copies (the frames of a block share one
// allocation, each capped to its own bytes). Frames after to are not
// checked. It returns the number of entries it walked past. On damage it
// returns the frames before the bad one and a *frameError.
func decodeFrames(dst []Frame, key, v []byte, skip int, from, to int64) (out []Frame, entries int, end bool, err error) {
	return decodeEntries(dst, nil, key, v, skip, from, to)
}

// decodeEntries is decodeFrames that also appends to *kts, when kts is not
// nil, the key time of each frame it appends to dst (for Compact).
func decodeEntries(dst []Frame, kts *[]int64, key, v []byte, skip int, from, to int64) (out []Frame, entries int, end bool, err error) {
	if len(key) != keyLen {
		return dst, 0, false, &frameError{err: ErrRecordFormat}
	}
	keyTime := int64(binary.BigEndian.Uint64(key))
	keySeq := binary.BigEndian.Uint64(key[8:])
	if len(v) == 0 || (v[0] != recBlockV2 && v[0] != recBlockZstdV3) { // type 1, or damage decodeRecord reports
		switch {
		case to != 0 && keyTime >= to:
			return dst, 0, true, nil
		case keyTime < from || skip > 0:
			return dst, 1, false, nil
		}
		f, err := decodeRecord(key, v)
		if err != nil {
			return dst, 0, false, &frameError{seq: keySeq, time: f.Time, err: err}
		}
		if kts != nil {
			*kts = append(*kts, keyTime)
		}
		return append(dst, f), 1, false, nil
	}
	body := v[1:]
	if v[0] == recBlockZstdV3 {
		if to != 0 && keyTime >= to { // the first entry's key time is the key's
			return dst, 0, true, nil
		}
		raw, err := decompressBlock(body)
		if err != nil {
			return dst, 0, false, &frameError{seq: keySeq, err: err}
		}
		// The payloads are copied out of raw below, before it is reused.
		defer releaseBlock(raw)
		body = raw
	}
	first := len(dst)
	var payloads int
	kt, prev := keyTime, keyTime
	expect := keySeq
	for off := 0; off < len(body); entries++ {
		e := body[off:]
		en, ok := parseEntry(e, keySeq, prev)
		if !ok {
			err = &frameError{seq: expect, err: ErrRecordFormat}
			break
		}
		t := time.Unix(0, en.time).UTC()
		if en.seq != expect {
			err = &frameError{seq: expect, time: t, err: fmt.Errorf("%w: found frame %d where %d was expected", ErrSequence, en.seq, expect)}
			break
		}
		if entries > 0 {
			kt = max(kt, en.time)
		}
		prev = en.time
		off += en.size
		expect++
		if to != 0 && kt >= to {
			end = true
			break
		}
		if kt < from || entries < skip {
			continue
		}
		if entryCRC(kt, en.seq, en.time, e[:en.hdr], e[en.payload:en.size]) != binary.BigEndian.Uint32(e[en.hdr:]) {
			err = &frameError{seq: en.seq, time: t, err: ErrChecksum}
			break
		}
		dst = append(dst, Frame{
			Seq:     en.seq,
			Time:    t,
			Session: en.session,
			Dir:     en.dir,
			Op:      en.op,
			Payload: e[en.payload:en.size], // replaced by a copy below
		})
		if kts != nil {
			*kts = append(*kts, kt)
		}
		payloads += en.size - en.payload
	}
	buf := make([]byte, 0, payloads)
	for i := first; i < len(dst); i++ {
		p := dst[i].Payload
		if len(p) == 0 {
			dst[i].Payload = nil
			continue
		}
		buf = append(buf, p...)
		dst[i].Payload = buf[len(buf)-len(p) : len(buf) : len(buf)]
	}
	return dst, entries, end, err
}

// lastEntryTime returns the frame time of the last entry of a type 2 block,
// for appending to it. ok is false for anything else, damage and type 3
// blocks included: a compressed block is never appended to.
func lastEntryTime(key, v []byte) (t int64, ok bool) {
	if len(key) != keyLen || len(v) < 2 || v[0] != recBlockV2 {
		return 0, false
	}
	keySeq := binary.BigEndian.Uint64(key[8:])
	t = int64(binary.BigEndian.Uint64(key))
	for off := 1; off < len(v); {
		en, ok := parseEntry(v[off:], keySeq, t)
		if !ok {
			return 0, false
		}
		t = en.time
		off += en.size
	}
	return t, true
}
