package export

import (
	"bufio"

	"github.com/confrec/confrec/store"
)

// jsonEncoder writes JSON Lines, or one JSON array when array is set.
type jsonEncoder struct {
	array bool
}

func (e *jsonEncoder) begin(w *bufio.Writer) error {
	if e.array {
		_, err := w.WriteString("[")
		return err
	}
	return nil
}

// newAppender appends a frame's line, or for an array ",\n" and the
// frame's object: write drops the comma before the first.
func (e *jsonEncoder) newAppender() recordAppender {
	if e.array {
		return func(b []byte, f *store.Frame, fi frameInfo) ([]byte, error) {
			return appendFrame(append(b, ",\n"...), f, fi), nil
		}
	}
	return func(b []byte, f *store.Frame, fi frameInfo) ([]byte, error) {
		return append(appendFrame(b, f, fi), '\n'), nil
	}
}

func (e *jsonEncoder) write(w *bufio.Writer, out []byte, before int) error {
	if e.array && before == 0 {
		out = out[1:]
	}
	_, err := w.Write(out)
	return err
}

func (e *jsonEncoder) end(w *bufio.Writer, records int) error {
	if !e.array {
		return nil
	}
	if records > 0 {
		_, err := w.WriteString("\n]\n")
		return err
	}
	_, err := w.WriteString("]\n")
	return err
}

// MaxJSONLLine is the length, in bytes and without its newline, that no
// line Frames writes in JSON Lines exceeds for a frame of at most
// maxPayload bytes. A text payload is written with every control character
// as a six-byte \u00XX escape, and the envelope's action and msgID, which
// are parts of the payload, are written beside it escaped alike: twelve
// bytes a payload byte at most. A close frame's base64 and reason take
// less. The rest of the record (names, numbers, time) fits in 512 bytes.
func MaxJSONLLine(maxPayload int64) int64 {
	return 12*maxPayload + 512
}
