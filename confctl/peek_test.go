package confctl_test

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/confrec/confrec/confctl"
)

// peekCases are frames on both paths of Peek: the fast one and the
// fallback to DecodeEnvelope.
var peekCases = []struct {
	name, in, action, msgID string
}{
	{"plain", `{"action":"ParticipantsNotify","msgID":"m1","data":[{"pid":"1"}]}`, "ParticipantsNotify", "m1"},
	{"reordered", ` {"data":{"a":[1,2.5e3,-0,true,false,null]},"msgID":"m2","action":"X"} `, "X", "m2"},
	{"none", `{"data":[]}`, "", ""},
	{"empty object", `{}`, "", ""},
	{"number action", `{"action":12,"msgID":3.5}`, "12", "3.5"},
	{"null action", `{"action":null,"msgID":"m"}`, "", "m"},
	{"object action", `{"action":{"a":1},"msgID":["m"]}`, "", ""},
	{"escaped value", `{"action":"Heart\u0042eat","msgID":"a\"b"}`, "HeartBeat", `a"b`},
	{"escaped key", `{"\u0061ction":"HeartBeat"}`, "HeartBeat", ""},
	{"folded key", `{"ACTION":"HeartBeat","MsgId":"m"}`, "HeartBeat", "m"},
	{"duplicate", `{"action":"A","action":"B"}`, "B", ""},
	{"unicode value", `{"action":"é","msgID":"ü"}`, "é", "ü"},
	{"not an object", `["action"]`, "", ""},
	{"invalid", `{"action":"A",}`, "", ""},
	{"trailing", `{"action":"A"} x`, "", ""},
	{"truncated", `{"action":"A"`, "", ""},
	{"empty", ``, "", ""},
	{"deep", `{"action":"A","d":` + strings.Repeat("[", 300) + strings.Repeat("]", 300) + `}`, "A", ""},
}

func TestPeek(t *testing.T) {
	for _, tc := range peekCases {
		t.Run(tc.name, func(t *testing.T) {
			action, msgID := confctl.Peek([]byte(tc.in))
			if action != tc.action || msgID != tc.msgID {
				t.Errorf("Peek = %q, %q; want %q, %q", action, msgID, tc.action, tc.msgID)
			}
			ab, mb := confctl.PeekBytes([]byte(tc.in))
			if string(ab) != tc.action || string(mb) != tc.msgID {
				t.Errorf("PeekBytes = %q, %q; want %q, %q", ab, mb, tc.action, tc.msgID)
			}
		})
	}
}

func TestPeekAllocs(t *testing.T) {
	b := readSample(t, "ParticipantsNotify.full.json")
	if n := testing.AllocsPerRun(10, func() { confctl.PeekBytes(b) }); n != 0 {
		t.Errorf("PeekBytes allocates %v times per frame, want 0", n)
	}
}

// FuzzPeek checks that Peek and PeekBytes agree with DecodeEnvelope on every
// input. Seeds: every sample frame and the cases of TestPeek.
func FuzzPeek(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "samples", "*.json"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		f.Add(readSample(f, filepath.Base(name)))
	}
	for _, tc := range peekCases {
		f.Add([]byte(tc.in))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		e, _ := confctl.DecodeEnvelope(b)
		action, msgID := confctl.Peek(b)
		if action != e.Action || msgID != e.MsgID {
			t.Fatalf("Peek(%q) = %q, %q; DecodeEnvelope says %q, %q", b, action, msgID, e.Action, e.MsgID)
		}
		ab, mb := confctl.PeekBytes(b)
		if string(ab) != e.Action || string(mb) != e.MsgID {
			t.Fatalf("PeekBytes(%q) = %q, %q; DecodeEnvelope says %q, %q", b, ab, mb, e.Action, e.MsgID)
		}
	})
}

func BenchmarkPeek(b *testing.B) {
	// Compact, as frames are on the wire.
	var buf bytes.Buffer
	if err := json.Compact(&buf, readSample(b, "ParticipantsNotify.full.json")); err != nil {
		b.Fatal(err)
	}
	frame := buf.Bytes()
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		confctl.PeekBytes(frame)
	}
}
