package interchange

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/confrec/confrec/confctl"
	"github.com/confrec/confrec/store"
)

// FrameRecord is one frame as `confrec export frames` writes it: a line of
// JSON Lines, an element of a JSON array or a row of CSV. Its member names
// are the format: package export writes them, package importer reads them
// back and package seal verifies an export with them.
type FrameRecord struct {
	Seq     uint64 `json:"seq"`
	Time    string `json:"time"` // TimeLayout: RFC 3339, UTC, nanoseconds
	Session uint32 `json:"session"`
	Dir     string `json:"dir"`    // "in" from the server, "out" sent by us
	Opcode  string `json:"opcode"` // "text", "binary" or "close"
	Action  string `json:"action,omitempty"`
	MsgID   string `json:"msg_id,omitempty"`
	Size    int    `json:"size"`
	// Payload is the exact text of a text frame that is valid UTF-8.
	Payload *string `json:"payload,omitempty"`
	// PayloadBase64 holds every other payload (binary, close, invalid UTF-8).
	PayloadBase64 *string `json:"payload_base64,omitempty"`
	CloseCode     int     `json:"close_code,omitempty"`
	CloseReason   string  `json:"close_reason,omitempty"`
}

// TimeLayout is the layout of frame times: RFC 3339 in UTC with nanoseconds
// (always nine digits, so that times sort as text).
const TimeLayout = "2006-01-02T15:04:05.000000000Z07:00"

// NewFrameRecord describes f. Action and MsgID are read from a text
// payload's envelope without decoding it (confctl.PeekBytes), and are empty
// when it has none; a text payload that is not valid UTF-8 goes to
// PayloadBase64 like every other payload.
func NewFrameRecord(f *store.Frame) FrameRecord {
	r := FrameRecord{
		Seq:     f.Seq,
		Time:    f.Time.UTC().Format(TimeLayout),
		Session: f.Session,
		Dir:     f.Dir.String(),
		Opcode:  f.Op.String(),
		Size:    len(f.Payload),
	}
	if f.Op == store.Text && utf8.Valid(f.Payload) {
		action, msgID := confctl.PeekBytes(f.Payload)
		r.Action, r.MsgID = string(action), string(msgID)
		s := string(f.Payload)
		r.Payload = &s
	} else {
		s := base64.StdEncoding.EncodeToString(f.Payload)
		r.PayloadBase64 = &s
	}
	if code, reason, ok := f.CloseStatus(); ok {
		r.CloseCode, r.CloseReason = int(code), reason
	}
	return r
}

// Frame returns the frame r describes: its seq, time, session, direction,
// opcode and payload, which is what the store's hash chain covers. It reads
// the time in any RFC 3339 form, dir and opcode as NewFrameRecord writes
// them (a name, or "dir(N)" and "opcode(N)" for a value without one), and
// exactly one of payload and payload_base64.
//
// The members derived from the payload (size, action, msg_id, close_code,
// close_reason) are not checked: a reader that trusts them checks them
// itself. The error names the member at fault and wraps no sentinel, so
// that each reader wraps it with its own.
func (r *FrameRecord) Frame() (store.Frame, error) {
	f := store.Frame{Seq: r.Seq, Session: r.Session}
	var err error
	if f.Time, err = time.Parse(time.RFC3339Nano, r.Time); err != nil {
		return f, fmt.Errorf("time %q: %w", r.Time, err)
	}
	dir, ok := parseEnum(r.Dir, "dir", dirNames)
	if !ok {
		return f, fmt.Errorf("dir %q: want in or out", r.Dir)
	}
	f.Dir = store.Direction(dir)
	op, ok := parseEnum(r.Opcode, "opcode", opcodeNames)
	if !ok {
		return f, fmt.Errorf("opcode %q: want text, binary or close", r.Opcode)
	}
	f.Op = store.Opcode(op)
	switch {
	case r.Payload != nil && r.PayloadBase64 != nil:
		return f, errors.New("both payload and payload_base64 (a frame has one of them)")
	case r.Payload != nil:
		f.Payload = []byte(*r.Payload)
	case r.PayloadBase64 != nil:
		if f.Payload, err = base64.StdEncoding.DecodeString(*r.PayloadBase64); err != nil {
			return f, fmt.Errorf("payload_base64: %w", err)
		}
	default:
		return f, errors.New("no payload or payload_base64")
	}
	return f, nil
}

// Names of directions and opcodes, as store's String methods write them.
var (
	dirNames    = map[string]uint8{"in": uint8(store.In), "out": uint8(store.Out)}
	opcodeNames = map[string]uint8{"text": uint8(store.Text), "binary": uint8(store.Binary), "close": uint8(store.Close)}
)

// parseEnum reads a direction or opcode as store's String methods write
// it: one of names, or kind+"(N)" for a value without a name.
func parseEnum(s, kind string, names map[string]uint8) (uint8, bool) {
	if v, ok := names[s]; ok {
		return v, true
	}
	if inner, ok := strings.CutPrefix(s, kind+"("); ok {
		if inner, ok = strings.CutSuffix(inner, ")"); ok {
			if v, err := strconv.ParseUint(inner, 10, 8); err == nil {
				return uint8(v), true
			}
		}
	}
	return 0, false
}

// MaxFrameRecordLine is the length, in bytes and without its newline, that
// no JSON Lines line export writes exceeds for a frame of at most
// maxPayload bytes; a reader can refuse a longer line unread. A text
// payload is written with every control character as a six-byte \u00XX
// escape, and the envelope's action and msgID, which are parts of the
// payload, are written beside it escaped alike: twelve bytes a payload
// byte at most. A close frame's base64 and reason take less. The rest of
// the record (names, numbers, time) fits in 512 bytes.
func MaxFrameRecordLine(maxPayload int64) int64 {
	return 12*maxPayload + 512
}
