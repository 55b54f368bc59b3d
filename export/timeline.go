package export

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/confrec/confrec/replay"
)

// EventTimeLayout is the layout of times in timeline and attendance exports:
// RFC 3339 in UTC with milliseconds.
const EventTimeLayout = "2006-01-02T15:04:05.000Z07:00"

// fmtEventTime formats t for a timeline or attendance export ("" for zero).
func fmtEventTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(EventTimeLayout)
}

// timelineCSVHeader names the CSV columns of a timeline.
var timelineCSVHeader = []string{"time", "received", "seq", "kind", "action", "pid", "name", "call_number", "old", "new", "detail"}

// timelineRecord is one exported event.
type timelineRecord struct {
	Time       string `json:"time"`
	Received   string `json:"received"`
	Seq        uint64 `json:"seq"`
	Kind       string `json:"kind"`
	Action     string `json:"action,omitempty"`
	PID        string `json:"pid,omitempty"`
	Name       string `json:"name,omitempty"`
	CallNumber string `json:"call_number,omitempty"`
	Old        string `json:"old,omitempty"`
	New        string `json:"new,omitempty"`
	Detail     string `json:"detail,omitempty"`
}

// TimelineWriter writes derived events (a meeting's timeline) as CSV, JSON
// or JSON Lines, one record per event, as they come. Call Close after the
// last event: it ends the JSON array and flushes. Like csv.Writer it
// buffers; the error of a write may show only at Close.
type TimelineWriter struct {
	format Format
	bw     *bufio.Writer
	line   []byte // a CSV record
	enc    *json.Encoder
	n      int
	err    error
}

// NewTimelineWriter returns a TimelineWriter of format (CSV, JSON or JSONL) on w.
func NewTimelineWriter(w io.Writer, format Format) (*TimelineWriter, error) {
	t := &TimelineWriter{format: format, bw: bufio.NewWriterSize(w, 64<<10)}
	switch format {
	case CSV:
		t.line = appendCSVRecord(t.line, timelineCSVHeader)
		_, t.err = t.bw.Write(t.line)
	case JSON, JSONL:
		t.enc = json.NewEncoder(t.bw)
		t.enc.SetEscapeHTML(false)
		if format == JSON {
			_, t.err = t.bw.WriteString("[")
		}
	default:
		return nil, fmt.Errorf("export timeline: %w %q: use csv, json or jsonl", ErrFormat, format)
	}
	return t, nil
}

// Write writes one event.
func (t *TimelineWriter) Write(ev *replay.Event) error {
	if t.err != nil {
		return t.err
	}
	r := timelineRecord{
		Time: fmtEventTime(ev.Time), Received: fmtEventTime(ev.Received), Seq: ev.Seq, Kind: string(ev.Kind),
		Action: ev.Action, PID: ev.PID, Name: ev.Name, CallNumber: ev.CallNumber, Old: ev.Old, New: ev.New, Detail: ev.Detail,
	}
	switch t.format {
	case CSV:
		t.line = appendCSVRecord(t.line[:0], []string{r.Time, r.Received, strconv.FormatUint(r.Seq, 10), r.Kind, r.Action, r.PID, r.Name, r.CallNumber, r.Old, r.New, r.Detail})
		_, t.err = t.bw.Write(t.line)
	case JSON:
		if t.n > 0 {
			_, t.err = t.bw.WriteString(",")
		}
		if t.err == nil {
			_, t.err = t.bw.WriteString("\n")
		}
		if t.err == nil {
			t.err = t.enc.Encode(&r) // ends in a newline, harmless inside the array
		}
	case JSONL:
		t.err = t.enc.Encode(&r)
	}
	t.n++
	return t.err
}

// Flush writes what is buffered to the underlying writer, so that a reader
// following a meeting sees every event written so far.
func (t *TimelineWriter) Flush() error {
	if t.err == nil {
		t.err = t.bw.Flush()
	}
	return t.err
}

// Close ends the output and flushes it. It does not close the underlying writer.
func (t *TimelineWriter) Close() error {
	if t.err != nil {
		return t.err
	}
	if t.format == JSON {
		_, t.err = t.bw.WriteString("]\n")
	}
	if t.err == nil {
		t.err = t.bw.Flush()
	}
	return t.err
}
