package export

import (
	"bufio"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/confrec/confrec/confctl"
	"github.com/confrec/confrec/interchange"
	"github.com/confrec/confrec/store"
)

// Format names an output format.
type Format string

// Formats of Frames.
const (
	JSONL Format = "jsonl" // one JSON object per line, streamed
	JSON  Format = "json"  // one JSON array
	CSV   Format = "csv"   // RFC 4180 with a header row
)

// ErrFormat is returned when a Format is not one the export supports.
var ErrFormat = errors.New("unsupported format")

// ParseFormat checks a user-given format name against the allowed ones.
func ParseFormat(name string, allowed ...Format) (Format, error) {
	for _, f := range allowed {
		if string(f) == name {
			return f, nil
		}
	}
	names := make([]string, len(allowed))
	for i, f := range allowed {
		names[i] = string(f)
	}
	return "", fmt.Errorf("%w %q: use one of %v", ErrFormat, name, names)
}

// FramesOptions select and shape the frames Frames writes. A nil
// *FramesOptions means JSON Lines of all frames.
type FramesOptions struct {
	// Format defaults to JSONL.
	Format Format
	// From and To bound the frames' times (From inclusive, To exclusive);
	// zero means unbounded.
	From, To time.Time
	// Actions keeps only frames whose payload's action is one of these;
	// empty keeps all.
	Actions []string
	// Dir keeps only frames of this direction; zero keeps both.
	Dir store.Direction
	// Progress, when not nil, is called with each frame's Seq as it is read.
	Progress func(seq uint64)
	// Follow, when not nil, makes Frames go on with the frames committed
	// after it began, as a meeting is recorded: it is called each time the
	// frames committed so far are written and w flushed. It returns true to
	// read on (typically after waiting for the next commit), false to end
	// the export, or an error to end it with.
	Follow func() (bool, error)
}

// frameInfo is what an export reads from a frame's payload: whether it is
// exported as text, and the envelope's action and msgID (aliasing the
// payload; nil when absent).
type frameInfo struct {
	text          bool
	action, msgID []byte
}

// peekFrame reads f's frameInfo without decoding its payload.
func peekFrame(f *store.Frame) frameInfo {
	var fi frameInfo
	if f.Op == store.Text && utf8.Valid(f.Payload) {
		fi.text = true
		fi.action, fi.msgID = confctl.PeekBytes(f.Payload)
	}
	return fi
}

// Frames writes meeting's frames from db to w. JSON Lines and CSV stream as
// they go; JSON writes one array. w is written through a buffer that Frames
// flushes before it returns. Frames encodes on every CPU (GOMAXPROCS
// workers) and are written in order; Progress is called as frames are read.
func Frames(w io.Writer, db *store.DB, meeting string, opts *FramesOptions) error {
	var o FramesOptions
	if opts != nil {
		o = *opts
	}
	if o.Format == "" {
		o.Format = JSONL
	}
	enc, err := newFrameEncoder(o.Format)
	if err != nil {
		return err
	}
	c, err := db.Frames(meeting, &store.Query{From: o.From, To: o.To})
	if err != nil {
		return fmt.Errorf("export frames of %s: %w", meeting, err)
	}
	defer c.Close()
	bw := bufio.NewWriterSize(w, 64<<10)
	if err := enc.begin(bw); err != nil {
		return fmt.Errorf("export frames of %s: %w", meeting, err)
	}
	ff := &frameFilter{dir: o.Dir, actions: o.Actions}
	records := 0
	for {
		if records, err = encodeFrames(bw, c, enc, ff, o.Progress, records); err != nil {
			return fmt.Errorf("export frames of %s: %w", meeting, err)
		}
		if o.Follow == nil {
			break
		}
		if err := bw.Flush(); err != nil {
			return fmt.Errorf("export frames of %s: %w", meeting, err)
		}
		more, err := o.Follow()
		if err != nil {
			return fmt.Errorf("export frames of %s: %w", meeting, err)
		}
		if !more {
			break
		}
	}
	if err := enc.end(bw, records); err != nil {
		return fmt.Errorf("export frames of %s: %w", meeting, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("export frames of %s: %w", meeting, err)
	}
	return nil
}

// frameEncoder writes Frames' output in one format. Records are encoded
// by recordAppenders, one per worker, in batches that write joins.
type frameEncoder interface {
	begin(w *bufio.Writer) error
	newAppender() recordAppender
	// write writes a batch's records; before is the number written before.
	write(w *bufio.Writer, out []byte, before int) error
	end(w *bufio.Writer, records int) error
}

func newFrameEncoder(f Format) (frameEncoder, error) {
	switch f {
	case JSONL:
		return &jsonEncoder{}, nil
	case JSON:
		return &jsonEncoder{array: true}, nil
	case CSV:
		return csvEncoder{}, nil
	}
	return nil, fmt.Errorf("export frames: %w %q: use jsonl, json or csv", ErrFormat, f)
}

// appendFrameJSON appends r as one JSON object, fields in interchange.FrameRecord order.
func appendFrameJSON(b []byte, r *interchange.FrameRecord) []byte {
	b = append(b, `{"seq":`...)
	b = strconv.AppendUint(b, r.Seq, 10)
	b = append(b, `,"time":"`...)
	b = append(b, r.Time...)
	b = append(b, `","session":`...)
	b = strconv.AppendUint(b, uint64(r.Session), 10)
	b = append(b, `,"dir":"`...)
	b = append(b, r.Dir...)
	b = append(b, `","opcode":"`...)
	b = append(b, r.Opcode...)
	b = append(b, '"')
	if r.Action != "" {
		b = append(b, `,"action":`...)
		b = appendJSONString(b, r.Action)
	}
	if r.MsgID != "" {
		b = append(b, `,"msg_id":`...)
		b = appendJSONString(b, r.MsgID)
	}
	b = append(b, `,"size":`...)
	b = strconv.AppendInt(b, int64(r.Size), 10)
	if r.Payload != nil {
		b = append(b, `,"payload":`...)
		b = appendJSONString(b, *r.Payload)
	}
	if r.PayloadBase64 != nil {
		b = append(b, `,"payload_base64":"`...)
		b = append(b, *r.PayloadBase64...)
		b = append(b, '"')
	}
	if r.CloseCode != 0 {
		b = append(b, `,"close_code":`...)
		b = strconv.AppendInt(b, int64(r.CloseCode), 10)
		if r.CloseReason != "" {
			b = append(b, `,"close_reason":`...)
			b = appendJSONString(b, r.CloseReason)
		}
	}
	return append(b, '}')
}

// appendFrame appends f as one JSON object, exactly as appendFrameJSON
// would append its interchange.FrameRecord, without building one: nothing is allocated
// but for close frames.
func appendFrame(b []byte, f *store.Frame, fi frameInfo) []byte {
	b = append(b, `{"seq":`...)
	b = strconv.AppendUint(b, f.Seq, 10)
	b = append(b, `,"time":"`...)
	b = appendTime(b, f.Time)
	b = append(b, `","session":`...)
	b = strconv.AppendUint(b, uint64(f.Session), 10)
	b = append(b, `,"dir":"`...)
	b = append(b, f.Dir.String()...)
	b = append(b, `","opcode":"`...)
	b = append(b, f.Op.String()...)
	b = append(b, '"')
	if len(fi.action) > 0 {
		b = append(b, `,"action":`...)
		b = appendJSONBytes(b, fi.action)
	}
	if len(fi.msgID) > 0 {
		b = append(b, `,"msg_id":`...)
		b = appendJSONBytes(b, fi.msgID)
	}
	b = append(b, `,"size":`...)
	b = strconv.AppendInt(b, int64(len(f.Payload)), 10)
	if fi.text {
		b = append(b, `,"payload":`...)
		b = appendJSONBytes(b, f.Payload)
	} else {
		b = append(b, `,"payload_base64":"`...)
		b = base64.StdEncoding.AppendEncode(b, f.Payload)
		b = append(b, '"')
	}
	if code, reason, ok := f.CloseStatus(); ok && code != 0 {
		b = append(b, `,"close_code":`...)
		b = strconv.AppendInt(b, int64(code), 10)
		if reason != "" {
			b = append(b, `,"close_reason":`...)
			b = appendJSONString(b, reason)
		}
	}
	return append(b, '}')
}

// appendTime appends t in interchange.TimeLayout.
func appendTime(b []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.AppendFormat(b, interchange.TimeLayout)
	}
	hour, minute, sec := t.Clock()
	b = appendDigits(b, year, 4)
	b = append(b, '-')
	b = appendDigits(b, int(month), 2)
	b = append(b, '-')
	b = appendDigits(b, day, 2)
	b = append(b, 'T')
	b = appendDigits(b, hour, 2)
	b = append(b, ':')
	b = appendDigits(b, minute, 2)
	b = append(b, ':')
	b = appendDigits(b, sec, 2)
	b = append(b, '.')
	b = appendDigits(b, t.Nanosecond(), 9)
	return append(b, 'Z')
}

// appendDigits appends n, which is not negative, as exactly width digits.
func appendDigits(b []byte, n, width int) []byte {
	var d [9]byte
	for i := width - 1; i >= 0; i-- {
		d[i] = byte('0' + n%10)
		n /= 10
	}
	return append(b, d[:width]...)
}

// jsonSafe marks the ASCII bytes a JSON string holds as they are.
var jsonSafe = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	for c := 0x80; c < 0x100; c++ {
		t[c] = true
	}
	return t
}()

// appendJSONBytes appends s, valid UTF-8, as a JSON string with the escapes
// appendJSONString writes.
//
// It writes into room made for the worst case of quotes and backslashes
// (two bytes each) byte by byte: JSON payloads have a quote every few
// bytes, and appending each run between them cost more than the copy. A
// control character, which takes six bytes, sends the rest of s to
// appendEscapedRuns.
func appendJSONBytes(b, s []byte) []byte {
	n := len(b)
	b = slices.Grow(b, 2*len(s)+2)
	dst := b[n : n+2*len(s)+2]
	dst[0] = '"'
	j := 1
	for i, c := range s {
		switch {
		case jsonSafe[c]:
			dst[j] = c
			j++
		case c == '"' || c == '\\':
			dst[j], dst[j+1] = '\\', c
			j += 2
		default:
			return append(appendEscapedRuns(b[:n+j], s[i:]), '"')
		}
	}
	dst[j] = '"'
	return b[:n+j+1]
}

// appendEscapedRuns appends s, valid UTF-8, escaped as appendJSONBytes
// does, without the quotes.
func appendEscapedRuns(b, s []byte) []byte {
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if jsonSafe[c] {
			continue
		}
		b = appendEscape(append(b, s[start:i]...), c)
		start = i + 1
	}
	return append(b, s[start:]...)
}

const hexDigits = "0123456789abcdef"

// appendEscape appends the JSON escape of c, a quote, a backslash or a
// control character.
func appendEscape(b []byte, c byte) []byte {
	switch c {
	case '"', '\\':
		return append(b, '\\', c)
	case '\n':
		return append(b, '\\', 'n')
	case '\r':
		return append(b, '\\', 'r')
	case '\t':
		return append(b, '\\', 't')
	}
	return append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
}

// appendJSONString appends s as a JSON string. s must be valid UTF-8 (it is
// written as is, apart from the escapes JSON requires); invalid bytes become
// U+FFFD, as encoding/json does.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = appendEscape(append(b, s[start:i]...), c)
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
