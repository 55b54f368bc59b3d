package export

import (
	"bytes"
	"testing"

	"github.com/confrec/confrec/interchange"
	"github.com/confrec/confrec/store"
)

// TestMaxFrameRecordLine: the lines of the frames that expand most stay
// within interchange.MaxFrameRecordLine of their payload's size.
func TestMaxFrameRecordLine(t *testing.T) {
	ctl := bytes.Repeat([]byte{0x01}, 1000)
	esc := bytes.Repeat([]byte(`\u0001`), 200)
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	tests := []struct {
		name string
		f    store.Frame
	}{
		{"control characters", store.Frame{Op: store.Text, Payload: ctl}},
		{"action and msgID of control characters", store.Frame{Op: store.Text,
			Payload: cat([]byte(`{"action":"`), ctl, []byte(`","msgID":"`), ctl, []byte(`"}`))}},
		{"escaped action and msgID", store.Frame{Op: store.Text,
			Payload: cat([]byte(`{"action":"`), esc, []byte(`","msgID":"`), esc, []byte(`"}`))}},
		{"binary", store.Frame{Op: store.Binary, Payload: ctl}},
		{"close with invalid reason", store.Frame{Op: store.Close, Payload: cat([]byte{0x0f, 0xa0}, bytes.Repeat([]byte{0xff}, 121))}},
		{"invalid UTF-8 text", store.Frame{Op: store.Text, Payload: bytes.Repeat([]byte{0xff}, 1000)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.f
			f.Seq, f.Session = 1<<64-1, 1<<32-1
			line := appendFrame(nil, &f, peekFrame(&f))
			if max := interchange.MaxFrameRecordLine(int64(len(f.Payload))); int64(len(line)) > max {
				t.Fatalf("line of %d bytes for a payload of %d; MaxFrameRecordLine says %d", len(line), len(f.Payload), max)
			}
		})
	}
}
