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
	// Time is when the frame was received or sent, with nanoseconds.
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

// Record layout (type 1), after the 16-byte key (key time ns, seq, big-endian):
//
//	[0]      record type (recFrameV1)
//	[1:9]    frame time, Unix ns, big-endian int64
//	[9:13]   session, big-endian uint32
//	[13]     direction
//	[14]     opcode
//	[15:19]  CRC-32C of key || record[0:15] || payload
//	[19:]    payload
const recFrameV1 byte = 1

const (
	recHeaderLen = 19
	keyLen       = 16
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func frameKey(dst []byte, keyTime int64, seq uint64) []byte {
	dst = binary.BigEndian.AppendUint64(dst, uint64(keyTime))
	return binary.BigEndian.AppendUint64(dst, seq)
}

// appendRecord appends f's record to b and returns the resulting slice.
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

// decodeRecord decodes a stored key and record into a Frame whose Payload
// is a copy. It checks the record's CRC.
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
