package export

import (
	"bufio"
	"strconv"

	"github.com/confrec/confrec/interchange"
	"github.com/confrec/confrec/store"
)

// frameCSVHeader names the CSV columns of Frames.
var frameCSVHeader = []string{"seq", "time", "session", "dir", "opcode", "action", "msg_id", "size", "payload", "payload_base64", "close_code", "close_reason"}

// csvEncoder writes Frames as CSV with a header row.
type csvEncoder struct{}

func (csvEncoder) begin(w *bufio.Writer) error {
	_, err := w.Write(appendCSVRecord(nil, frameCSVHeader))
	return err
}

// newAppender encodes rows with appendCSVRecord straight into b.
func (csvEncoder) newAppender() recordAppender {
	row := make([]string, len(frameCSVHeader))
	return func(b []byte, f *store.Frame, _ frameInfo) ([]byte, error) {
		rec := interchange.NewFrameRecord(f)
		r := &rec
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
		return appendCSVRecord(b, row), nil
	}
}

func (csvEncoder) write(w *bufio.Writer, out []byte, _ int) error {
	_, err := w.Write(out)
	return err
}

func (csvEncoder) end(*bufio.Writer, int) error { return nil }
