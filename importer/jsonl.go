package importer

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/confrec/confrec/confctl"
	"github.com/confrec/confrec/interchange"
	"github.com/confrec/confrec/store"
)

// JSONLOptions say where JSONL imports.
type JSONLOptions struct {
	// Meeting is the meeting ID to create; required (the frame JSON Lines
	// do not name their meeting).
	Meeting string
	// Name is the file's name for the LabelImported label ("jsonl:<Name>").
	Name string
	// MaxFrame is the largest frame the file may hold, in bytes: a line
	// longer than export frames writes for such a frame is refused.
	// Defaults to confctl.DefaultMaxFrame, the largest frame record
	// accepts by default.
	MaxFrame int64
}

// jsonlBatch is how many frames JSONL appends at a time.
const jsonlBatch = 512

// JSONL reads frames as `confrec export frames --format jsonl` writes them
// from r, checks them all, then reads r again from its start and stores them as the new meeting opts.Meeting. Sessions are
// recreated by number: session n begins at the first frame of session n
// and ends at its last (a number no frame carries becomes a session
// without frames, so the numbers match). Exporting the meeting again gives
// the bytes that were imported, but for meeting passcodes, which are
// redacted as record redacts them. A malformed file stores nothing; a line
// naming a member twice, or in another spelling than export frames writes,
// is malformed.
func JSONL(ctx context.Context, db *store.DB, r io.ReadSeeker, opts *JSONLOptions) (Result, error) {
	var o JSONLOptions
	if opts != nil {
		o = *opts
	}
	res := Result{Meeting: o.Meeting}
	if o.Meeting == "" {
		return res, fmt.Errorf("import jsonl: %w", ErrNoMeetingID)
	}
	if err := checkNew(db, o.Meeting); err != nil {
		return res, fmt.Errorf("import jsonl: %w", err)
	}
	if o.MaxFrame <= 0 {
		o.MaxFrame = confctl.DefaultMaxFrame
	}
	if err := readJSONL(r, o.MaxFrame, func(store.Frame) error { return nil }); err != nil {
		return res, fmt.Errorf("import jsonl: %w", err)
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return res, fmt.Errorf("import jsonl: %w", err)
	}
	var sessions []time.Time // index n-1 is session n's last frame time
	batch := make([]store.Frame, 0, jsonlBatch)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := db.Append(ctx, o.Meeting, batch...)
		batch = batch[:0]
		return err
	}
	err := readJSONL(r, o.MaxFrame, func(f store.Frame) error {
		for uint32(len(sessions)) < f.Session {
			// Begin the sessions up to this one, in number order; the
			// store numbers them as they begin.
			if err := flush(); err != nil {
				return err
			}
			if _, err := db.BeginSession(ctx, o.Meeting, store.Session{Start: f.Time, Attrs: map[string]string{"imported": "jsonl"}}); err != nil {
				return err
			}
			sessions = append(sessions, f.Time)
		}
		if f.Session > 0 {
			sessions[f.Session-1] = f.Time
		}
		batch = append(batch, f)
		res.Frames++
		if len(batch) == jsonlBatch {
			return flush()
		}
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("import jsonl: %w", err)
	}
	if err := flush(); err != nil {
		return res, fmt.Errorf("import jsonl: %w", err)
	}
	for i, end := range sessions {
		if err := db.EndSession(ctx, o.Meeting, uint32(i+1), end, store.SessionEnd{Reason: "imported"}); err != nil {
			return res, fmt.Errorf("import jsonl: %w", err)
		}
	}
	res.Sessions = len(sessions)
	if err := db.SetLabel(o.Meeting, LabelImported, "jsonl:"+o.Name); err != nil {
		return res, fmt.Errorf("import jsonl: %w", err)
	}
	if err := db.Flush(ctx); err != nil {
		return res, fmt.Errorf("import jsonl: %w", err)
	}
	return res, nil
}

// parseFrameRecord reads one interchange.FrameRecord line back into a
// frame. Beyond what FrameRecord.Frame reads, it refuses a direction or
// opcode other than the three an export names, and a size that is not the
// payload's.
func parseFrameRecord(b []byte) (store.Frame, error) {
	if err := checkMembers(b, frameRecordNames); err != nil {
		return store.Frame{}, fmt.Errorf("%w: %w", ErrFormat, err)
	}
	var r interchange.FrameRecord
	if err := json.Unmarshal(b, &r); err != nil {
		return store.Frame{}, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	f, err := r.Frame()
	if err != nil {
		return f, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	if f.Dir != store.In && f.Dir != store.Out || r.Dir != f.Dir.String() {
		return f, fmt.Errorf("%w: dir %q: want in or out", ErrFormat, r.Dir)
	}
	if f.Op != store.Text && f.Op != store.Binary && f.Op != store.Close || r.Opcode != f.Op.String() {
		return f, fmt.Errorf("%w: opcode %q: want text, binary or close", ErrFormat, r.Opcode)
	}
	if len(f.Payload) != r.Size {
		return f, fmt.Errorf("%w: payload of %d bytes, size says %d", ErrFormat, len(f.Payload), r.Size)
	}
	// Meeting passcodes are stored by no import (a file written by
	// another tool may hold them); a nil Redactor replaces them only.
	f.Payload = (*confctl.Redactor)(nil).Redact(f.Payload)
	return f, nil
}

// readJSONL parses every frame of r in order, checks that seq runs 1, 2,
// 3, ..., and calls fn with each. A line may be as long as export frames
// writes for a frame of maxFrame bytes.
func readJSONL(r io.Reader, maxFrame int64, fn func(store.Frame) error) error {
	lr := lineReader{r: bufio.NewReaderSize(r, 64<<10), max: interchange.MaxFrameRecordLine(maxFrame)}
	line := 0
	var n uint64
	for {
		b, err := lr.next()
		if err == io.EOF {
			break
		}
		line++
		var long *longLineError
		if errors.As(err, &long) {
			return fmt.Errorf("line %d is %d bytes, longer than the largest line export frames writes (%d bytes, for frames of up to %d bytes): %w: %w",
				line, long.n, lr.max, maxFrame, ErrLineTooLong, ErrFormat)
		}
		if err != nil {
			return fmt.Errorf("line %d: %w", line, err)
		}
		if len(b) == 0 {
			continue
		}
		f, err := parseFrameRecord(b)
		if err != nil {
			return fmt.Errorf("line %d: %w", line, err)
		}
		if f.Seq != n+1 {
			return fmt.Errorf("line %d: seq %d where %d was due: %w", line, f.Seq, n+1, ErrSequence)
		}
		n++
		if err := fn(f); err != nil {
			return err
		}
	}
	if n == 0 {
		return ErrNoFrames
	}
	return nil
}

// lineReader reads lines of any length up to max bytes, reusing one
// buffer as long as the longest line read.
type lineReader struct {
	r   *bufio.Reader
	max int64
	buf []byte
}

// longLineError says a line is n bytes, more than lineReader.max.
type longLineError struct{ n int64 }

func (e *longLineError) Error() string { return fmt.Sprintf("line of %d bytes", e.n) }

// next returns the next line without its "\n" or "\r\n", valid until the
// next call, or io.EOF after the last. A line longer than max is read to
// its end without being kept, and reported as a *longLineError.
func (l *lineReader) next() ([]byte, error) {
	l.buf = l.buf[:0]
	var n int64
	var cr bool // the bytes read so far end in "\r"
	for {
		chunk, err := l.r.ReadSlice('\n')
		n += int64(len(chunk))
		if n <= l.max+2 { // room for the "\r\n"
			l.buf = append(l.buf, chunk...)
		}
		if k := len(chunk); k > 0 && chunk[k-1] == '\n' {
			n--
			if (k > 1 && chunk[k-2] == '\r') || (k == 1 && cr) {
				n--
			}
			break
		} else if k > 0 {
			cr = chunk[k-1] == '\r'
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF && n == 0 {
			return nil, io.EOF
		}
		if err != nil && err != io.EOF {
			return nil, err
		}
		break
	}
	if n > l.max {
		return nil, &longLineError{n: n}
	}
	return l.buf[:n], nil
}
