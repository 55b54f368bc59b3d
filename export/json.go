package export

import "bufio"

// jsonEncoder writes JSON Lines, or one JSON array when array is set.
type jsonEncoder struct {
	array bool
	n     int
	buf   []byte
}

func (e *jsonEncoder) begin(w *bufio.Writer) error {
	if e.array {
		_, err := w.WriteString("[")
		return err
	}
	return nil
}

func (e *jsonEncoder) record(w *bufio.Writer, r *FrameRecord) error {
	e.buf = e.buf[:0]
	if e.array {
		if e.n > 0 {
			e.buf = append(e.buf, ',')
		}
		e.buf = append(e.buf, '\n')
	}
	e.buf = appendFrameJSON(e.buf, r)
	if !e.array {
		e.buf = append(e.buf, '\n')
	}
	e.n++
	_, err := w.Write(e.buf)
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
