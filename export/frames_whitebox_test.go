package export

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/confrec/confrec/interchange"
	"github.com/confrec/confrec/store"
)

// TestAppendFrameMatchesRecord checks that the JSON fast path writes exactly
// what encoding a FrameRecord writes, for every kind of frame.
func TestAppendFrameMatchesRecord(t *testing.T) {
	samples, err := filepath.Glob(filepath.Join("..", "confctl", "testdata", "samples", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2025, 3, 18, 2, 0, 0, 123456789, time.FixedZone("CST", 8*3600))
	frames := []store.Frame{
		{Seq: 1, Time: t0, Session: 1, Dir: store.Out, Op: store.Text, Payload: []byte(`{"action":"Subscribe","sequence":"1","data":"{}"}`)},
		{Seq: 2, Time: t0, Dir: store.In, Op: store.Text, Payload: []byte("{\"action\":\"A\\u0042\",\"msgID\":\"\\\"x\\\"\",\"t\":\"周会 <Q1> & \\n\x01\x7f\"}")},
		{Seq: 3, Time: t0, Dir: store.In, Op: store.Text, Payload: []byte("{not json")},
		{Seq: 4, Time: t0, Dir: store.In, Op: store.Text, Payload: []byte("bad utf8 \xff\xfe end")},
		{Seq: 5, Time: t0, Dir: store.In, Op: store.Binary, Payload: []byte{0, 1, 2, 0xff, '\n'}},
		{Seq: 6, Time: t0, Dir: store.In, Op: store.Text, Payload: []byte{}},
		{Seq: 7, Time: t0, Dir: store.In, Op: store.Close, Payload: store.ClosePayload(1000, "meeting \"ended\"")},
		{Seq: 8, Time: t0, Dir: store.In, Op: store.Close, Payload: store.ClosePayload(1001, "")},
		{Seq: 9, Time: t0, Dir: store.In, Op: store.Close},
		{Seq: 10, Time: time.Date(12000, 1, 1, 0, 0, 0, 1, time.UTC), Dir: 9, Op: 9, Payload: []byte("x")},
		{Seq: 11, Time: time.Time{}, Dir: store.In, Op: store.Text, Payload: []byte(`{"action":["x"],"msgID":12}`)},
	}
	for i, name := range samples {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		frames = append(frames, store.Frame{Seq: uint64(100 + i), Time: t0.Add(time.Duration(i)), Dir: store.In, Op: store.Text, Payload: b})
	}
	for _, f := range frames {
		rec := interchange.NewFrameRecord(&f)
		want := appendFrameJSON(nil, &rec)
		got := appendFrame(nil, &f, peekFrame(&f))
		if !bytes.Equal(got, want) {
			t.Errorf("frame %d:\n got %s\nwant %s", f.Seq, got, want)
		}
		// What is written is the interchange format, member for member.
		var back interchange.FrameRecord
		dec := json.NewDecoder(bytes.NewReader(got))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&back); err != nil {
			t.Errorf("frame %d: %s does not decode as an interchange.FrameRecord: %v", f.Seq, got, err)
			continue
		}
		if !reflect.DeepEqual(back, rec) && utf8.ValidString(rec.Action) && utf8.ValidString(rec.MsgID) {
			t.Errorf("frame %d: decodes to %+v, want %+v", f.Seq, back, rec)
		}
	}
}

// FuzzJSONEscape checks appendJSONBytes, the payloads' escaper, against
// appendJSONString (which writes what encoding/json does) for valid UTF-8,
// after a prefix already in the buffer, and that the JSON decodes back to
// the same bytes.
func FuzzJSONEscape(f *testing.F) {
	f.Add("pre", []byte(`{"action":"HeartBeat","data":"a\\b"}`))
	f.Add("", []byte("ctl \x00\x01\x1f\x7f \"q\" \\ \n\r\t end"))
	f.Add("x", []byte("周会 <Q1> & \u2028"))
	f.Add("", []byte{})
	f.Fuzz(func(t *testing.T, prefix string, s []byte) {
		if !utf8.Valid(s) {
			return
		}
		got := appendJSONBytes([]byte(prefix), s)
		want := appendJSONString([]byte(prefix), string(s))
		if !bytes.Equal(got, want) {
			t.Fatalf("appendJSONBytes(%q)\n = %q\nwant %q", s, got, want)
		}
		var back string
		if err := json.Unmarshal(got[len(prefix):], &back); err != nil || back != string(s) {
			t.Fatalf("%q decodes to %q, %v", got, back, err)
		}
	})
}
