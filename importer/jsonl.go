package importer

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/confrec/confrec/export"
	"github.com/confrec/confrec/store"
)

// JSONLOptions say where JSONL imports.
type JSONLOptions struct {
	// Meeting is the meeting ID to create; required (the frame JSON Lines
	// do not name their meeting).
	Meeting string
	// Name is the file's name for the LabelImported label ("jsonl:<Name>").
	Name string
}

// jsonlBatch is how many frames JSONL appends at a time.
const jsonlBatch = 512

// maxJSONLLine bounds one line of the file (a frame's payload in base64).
const maxJSONLLine = 64 << 20

// JSONL reads frames as `confrec export frames --format jsonl` writes them
// from r, checks them all, then reads r again from its start and stores them as the new meeting opts.Meeting. Sessions are
// recreated by number: session n begins at the first frame of session n
// and ends at its last (a number no frame carries becomes a session
// without frames, so the numbers match). Exporting the meeting again gives
// the bytes that were imported. A malformed file stores nothing.
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
	if err := readJSONL(r, func(store.Frame) error { return nil }); err != nil {
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
	err := readJSONL(r, func(f store.Frame) error {
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

// parseFrameRecord reads one export.FrameRecord line back into a frame.
func parseFrameRecord(b []byte) (store.Frame, error) {
	var r export.FrameRecord
	if err := json.Unmarshal(b, &r); err != nil {
		return store.Frame{}, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	f := store.Frame{Seq: r.Seq, Session: r.Session}
	var err error
	if f.Time, err = time.Parse(time.RFC3339Nano, r.Time); err != nil {
		return f, fmt.Errorf("%w: time %q: %v", ErrFormat, r.Time, err)
	}
	switch r.Dir {
	case "in":
		f.Dir = store.In
	case "out":
		f.Dir = store.Out
	default:
		return f, fmt.Errorf("%w: dir %q: want in or out", ErrFormat, r.Dir)
	}
	switch r.Opcode {
	case "text":
		f.Op = store.Text
	case "binary":
		f.Op = store.Binary
	case "close":
		f.Op = store.Close
	default:
		return f, fmt.Errorf("%w: opcode %q: want text, binary or close", ErrFormat, r.Opcode)
	}
	switch {
	case r.Payload != nil:
		f.Payload = []byte(*r.Payload)
	case r.PayloadBase64 != nil:
		if f.Payload, err = base64.StdEncoding.DecodeString(*r.PayloadBase64); err != nil {
			return f, fmt.Errorf("%w: payload_base64: %v", ErrFormat, err)
		}
	default:
		return f, fmt.Errorf("%w: no payload or payload_base64", ErrFormat)
	}
	if len(f.Payload) != r.Size {
		return f, fmt.Errorf("%w: payload of %d bytes, size says %d", ErrFormat, len(f.Payload), r.Size)
	}
	return f, nil
}

// readJSONL parses every frame of r in order, checks that seq runs 1, 2,
// 3, ..., and calls fn with each.
func readJSONL(r io.Reader, fn func(store.Frame) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, maxJSONLLine)
	line := 0
	var n uint64
	for sc.Scan() {
		line++
		if len(sc.Bytes()) == 0 {
			continue
		}
		f, err := parseFrameRecord(sc.Bytes())
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
	if err := sc.Err(); err != nil {
		return fmt.Errorf("line %d: %w", line+1, err)
	}
	if n == 0 {
		return ErrNoFrames
	}
	return nil
}
