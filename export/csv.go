package export

import (
	"bufio"
	"encoding/csv"
	"strconv"

	"github.com/confrec/confrec/store"
)

// frameCSVHeader names the CSV columns of Frames.
var frameCSVHeader = []string{"seq", "time", "session", "dir", "opcode", "action", "msg_id", "size", "payload", "payload_base64", "close_code", "close_reason"}

// csvEncoder writes RFC 4180 CSV (CRLF line ends) with a header row.
type csvEncoder struct {
	w   *csv.Writer
	row []string
}

func (e *csvEncoder) begin(w *bufio.Writer) error {
	e.w = newCSVWriter(w)
	e.row = make([]string, len(frameCSVHeader))
	return e.w.Write(frameCSVHeader)
}

func (e *csvEncoder) record(_ *bufio.Writer, f *store.Frame, fi frameInfo) error {
	rec := newFrameRecord(f, fi)
	r := &rec
	row := e.row
	row[0] = strconv.FormatUint(r.Seq, 10)
	row[1] = r.Time
	row[2] = strconv.FormatUint(uint64(r.Session), 10)
	row[3] = r.Dir
	row[4] = r.Opcode
	row[5] = r.Action
	row[6] = r.MsgID
	row[7] = strconv.Itoa(r.Size)
	row[8], row[9] = "", ""
	if r.Payload != nil {
		row[8] = *r.Payload
	}
	if r.PayloadBase64 != nil {
		row[9] = *r.PayloadBase64
	}
	row[10], row[11] = "", r.CloseReason
	if r.CloseCode != 0 {
		row[10] = strconv.Itoa(r.CloseCode)
	}
	return e.w.Write(row)
}

func (e *csvEncoder) end(*bufio.Writer) error {
	e.w.Flush()
	return e.w.Error()
}
