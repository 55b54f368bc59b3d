package standin_test

import (
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/confrec/confrec/replay/standin"
)

func TestReadScenarioBasic(t *testing.T) {
	s := readScenarioFile(t)
	if s.ConfID != "986512347" {
		t.Errorf("ConfID = %q", s.ConfID)
	}
	want := scenarioInFrames(t)
	if len(s.Steps) != len(want)+1 {
		t.Fatalf("%d steps, want %d frames and a close", len(s.Steps), len(want))
	}
	var prev time.Duration
	for i, w := range want {
		st := s.Steps[i]
		if st.Kind != standin.StepText || string(st.Payload) != string(w) {
			t.Fatalf("step %d = %v %s, want text %s", i, st.Kind, st.Payload, w)
		}
		if st.Offset < prev {
			t.Errorf("step %d offset %v goes back", i, st.Offset)
		}
		prev = st.Offset
	}
	if s.Steps[0].Offset != 240*time.Millisecond {
		t.Errorf("first offset = %v, want 240ms", s.Steps[0].Offset)
	}
	last := s.Steps[len(s.Steps)-1]
	if last.Kind != standin.StepClose || last.CloseCode != 1000 || last.CloseReason != "" || last.Offset != 603900*time.Millisecond {
		t.Errorf("last step = %+v, want close 1000 at 603.9s", last)
	}
}

func TestReadScenario(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name   string
		in     string
		confID string
		steps  []standin.Step
	}{
		{"exact_bytes_kept",
			`{"offset_ms":5,"dir":"in","frame":{ "action" : "X", "confID":"7",  "n":1.50 }}`,
			"7", []standin.Step{{Offset: 5 * ms, Kind: standin.StepText, Payload: []byte(`{ "action" : "X", "confID":"7",  "n":1.50 }`)}}},
		{"binary_and_raw",
			"{\"offset_ms\":1,\"dir\":\"in\",\"binary\":\"AAH/\"}\n{\"offset_ms\":2.5,\"dir\":\"in\",\"raw\":\"not json {\"}\n",
			"", []standin.Step{
				{Offset: ms, Kind: standin.StepBinary, Payload: []byte{0, 1, 0xff}},
				{Offset: 2500 * time.Microsecond, Kind: standin.StepText, Payload: []byte("not json {")}}},
		{"controls",
			`{"offset_ms":0,"dir":"out","frame":{"_control":"ws_open","url":"wss://h/x?confID=55&tmpToken=secret"}}
{"offset_ms":1,"dir":"in","frame":{"_control":"drop"}}
{"offset_ms":2,"dir":"in","frame":{"_control":"ws_close","code":4000,"reason":"end"}}
{"offset_ms":3,"dir":"in","frame":{"_control":"ws_close"}}
{"offset_ms":4,"dir":"out","frame":{"_control":"ws_close","code":1000}}`,
			"55", []standin.Step{
				{Offset: ms, Kind: standin.StepDrop},
				{Offset: 2 * ms, Kind: standin.StepClose, CloseCode: 4000, CloseReason: "end"},
				{Offset: 3 * ms, Kind: standin.StepClose}}},
		{"replies_skipped_out_ignored",
			`{"offset_ms":1,"dir":"in","frame":{"action":"Subscribe","sequence":"1","data":{"returnCode":0}}}
{"offset_ms":2,"dir":"in","frame":{"action":"HeartBeat","sequence":"2"}}
{"offset_ms":3,"dir":"in","frame":{"action":"ConfControl","sequence":"3","data":{"returnCode":0}}}
{"offset_ms":4,"dir":"out","frame":{"action":"HeartBeat","sequence":"4","confID":"9"}}
{"offset_ms":5,"dir":"in","frame":{"action":"N","confID":"10"}}`,
			"9", []standin.Step{{Offset: 5 * ms, Kind: standin.StepText, Payload: []byte(`{"action":"N","confID":"10"}`)}}},
		{"ws_open_wins_over_frame_confid",
			`{"offset_ms":1,"dir":"in","frame":{"action":"N","confID":"10"}}
{"offset_ms":0,"dir":"out","frame":{"_control":"ws_open","url":"wss://h/x?confID=11"}}`,
			"11", []standin.Step{{Offset: ms, Kind: standin.StepText, Payload: []byte(`{"action":"N","confID":"10"}`)}}},
		{"blank_lines_bom_crlf_extra_keys",
			"\xef\xbb\xbf\r\n{\"offset_ms\":1,\"dir\":\"in\",\"frame\":{\"a\":1},\"note\":\"x\"}\r\n   \n",
			"", []standin.Step{{Offset: ms, Kind: standin.StepText, Payload: []byte(`{"a":1}`)}}},
		{"empty", "", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := standin.ReadScenario(strings.NewReader(tt.in))
			if err != nil {
				t.Fatalf("ReadScenario: %v", err)
			}
			if s.ConfID != tt.confID {
				t.Errorf("ConfID = %q, want %q", s.ConfID, tt.confID)
			}
			if !reflect.DeepEqual(s.Steps, tt.steps) {
				t.Errorf("steps:\n got %+v\nwant %+v", s.Steps, tt.steps)
			}
		})
	}
}

func TestReadScenarioErrors(t *testing.T) {
	good := `{"offset_ms":1,"dir":"in","frame":{"a":1}}` + "\n"
	tests := []struct {
		name string
		in   string
		line int
	}{
		{"not_json", "nope", 1},
		{"trailing_garbage", `{"offset_ms":1,"dir":"in","frame":{}} x`, 1},
		{"missing_offset", good + `{"dir":"in","frame":{}}`, 2},
		{"negative_offset", `{"offset_ms":-1,"dir":"in","frame":{}}`, 1},
		{"huge_offset", `{"offset_ms":1e300,"dir":"in","frame":{}}`, 1},
		{"offset_string", `{"offset_ms":"1","dir":"in","frame":{}}`, 1},
		{"missing_dir", `{"offset_ms":1,"frame":{}}`, 1},
		{"bad_dir", `{"offset_ms":1,"dir":"up","frame":{}}`, 1},
		{"no_payload", `{"offset_ms":1,"dir":"in"}`, 1},
		{"two_payloads", `{"offset_ms":1,"dir":"in","frame":{},"raw":"x"}`, 1},
		{"frame_array", `{"offset_ms":1,"dir":"in","frame":[1]}`, 1},
		{"frame_null", `{"offset_ms":1,"dir":"in","frame":null}`, 1},
		{"frame_string", `{"offset_ms":1,"dir":"in","frame":"{}"}`, 1},
		{"bad_base64", good + good + `{"offset_ms":1,"dir":"in","binary":"!!"}`, 3},
		{"unknown_control", `{"offset_ms":1,"dir":"in","frame":{"_control":"ws_reset"}}`, 1},
		{"control_not_string", `{"offset_ms":1,"dir":"in","frame":{"_control":1}}`, 1},
		{"close_code_unsendable", `{"offset_ms":1,"dir":"in","frame":{"_control":"ws_close","code":1006}}`, 1},
		{"close_code_type", `{"offset_ms":1,"dir":"in","frame":{"_control":"ws_close","code":"1000"}}`, 1},
		{"close_reason_too_long", `{"offset_ms":1,"dir":"in","frame":{"_control":"ws_close","code":1000,"reason":"` + strings.Repeat("r", 124) + `"}}`, 1},
		{"close_reason_without_code", `{"offset_ms":1,"dir":"in","frame":{"_control":"ws_close","reason":"r"}}`, 1},
		{"open_bad_url", `{"offset_ms":0,"dir":"out","frame":{"_control":"ws_open","url":"::%zz"}}`, 1},
		{"open_url_type", `{"offset_ms":0,"dir":"out","frame":{"_control":"ws_open","url":5}}`, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := standin.ReadScenario(strings.NewReader(tt.in))
			var se *standin.ScenarioError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v, want *ScenarioError", err)
			}
			if se.Line != tt.line {
				t.Errorf("line = %d, want %d (%v)", se.Line, tt.line, err)
			}
			if !strings.HasPrefix(err.Error(), "scenario line ") || errors.Unwrap(err) == nil {
				t.Errorf("error text %q", err)
			}
		})
	}
}

// failingReader fails after its data.
type failingReader struct{ r io.Reader }

var errDisk = errors.New("disk on fire")

func (f *failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, errDisk
	}
	return n, err
}

func TestReadScenarioReadError(t *testing.T) {
	in := `{"offset_ms":1,"dir":"in","frame":{}}` + "\n"
	_, err := standin.ReadScenario(&failingReader{strings.NewReader(in)})
	var se *standin.ScenarioError
	if !errors.Is(err, errDisk) || !errors.As(err, &se) || se.Line != 2 {
		t.Errorf("err = %v, want disk error at line 2", err)
	}
}

func FuzzReadScenario(f *testing.F) {
	f.Add([]byte(`{"offset_ms":1,"dir":"in","frame":{"action":"N","confID":"1"}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := standin.ReadScenario(strings.NewReader(string(b)))
		if err != nil {
			var se *standin.ScenarioError
			if !errors.As(err, &se) || se.Line < 1 {
				t.Fatalf("error %v is not a *ScenarioError with a line", err)
			}
			return
		}
		for i, st := range s.Steps {
			if st.Kind < standin.StepText || st.Kind > standin.StepDrop || st.Offset < 0 {
				t.Fatalf("step %d = %+v", i, st)
			}
			if st.Kind == standin.StepClose && len(st.CloseReason) > 123 {
				t.Fatalf("step %d close reason too long", i)
			}
		}
	})
}
