package export

import (
	"bufio"

	"github.com/confrec/confrec/store"
)

// jsonEncoder writes JSON Lines, or one JSON array when array is set.
type jsonEncoder struct {
	array bool
	n     int
}

func (e *jsonEncoder) begin(w *bufio.Writer) error {
	if e.array {
		_, err := w.WriteString("[")
		return err
	}
	return nil
}

// record writes f. It appends to w's free buffer space, so a frame that fits
// is written without a copy.
func (e *jsonEncoder) record(w *bufio.Writer, f *store.Frame, fi frameInfo) error {
	b := w.AvailableBuffer()
	if e.array {
		if e.n > 0 {
			b = append(b, ',')
		}
		b = append(b, '\n')
	}
	b = appendFrame(b, f, fi)
	if !e.array {
		b = append(b, '\n')
	}
	e.n++
	_, err := w.Write(b)
	return err
}

func (e *jsonEncoder) end(w *bufio.Writer) error {
	if !e.array {
		return nil
	}
	if e.n > 0 {
		_, err := w.WriteString("\n]\n")
		return err
	}
	_, err := w.WriteString("]\n")
	return err
}
