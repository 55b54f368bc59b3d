package confctl_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/confrec/confrec/confctl"
)

// FuzzDecodeEnvelope checks that DecodeEnvelope never panics, is
// deterministic, agrees with encoding/json on what a JSON object is and on
// a string action, and that re-encoding the decoded header round-trips.
// Seeds: every sample frame plus testdata/fuzz/FuzzDecodeEnvelope.
func FuzzDecodeEnvelope(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "samples", "*.json"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		f.Add(readSample(f, filepath.Base(name)))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := confctl.DecodeEnvelope(b)
		e2, err2 := confctl.DecodeEnvelope(b)
		if !reflect.DeepEqual(e, e2) || (err == nil) != (err2 == nil) {
			t.Fatalf("not deterministic: %+v, %v then %+v, %v", e, err, e2, err2)
		}
		// Exercise the accessors; they must not panic either.
		_, _ = e.DataObject()
		_, _ = e.IsReply(), e.IsNotification()

		isObject := json.Valid(b) && bytes.TrimLeft(b, " \t\r\n")[0] == '{'
		if !isObject {
			if !errors.Is(err, confctl.ErrNotJSONObject) {
				t.Fatalf("non-object %q: err = %v, want ErrNotJSONObject", b, err)
			}
			if !reflect.DeepEqual(e, confctl.Envelope{}) {
				t.Fatalf("non-object %q: got %+v, want zero Envelope", b, e)
			}
			return
		}
		if err != nil {
			t.Fatalf("valid object %q: %v", b, err)
		}

		var ref struct {
			Action json.RawMessage `json:"action"`
			Data   json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(b, &ref); err != nil {
			t.Fatalf("encoding/json rejects a valid object: %v", err)
		}
		var action string
		if len(ref.Action) > 0 && ref.Action[0] == '"' && json.Unmarshal(ref.Action, &action) == nil && e.Action != action {
			t.Fatalf("Action = %q, encoding/json says %q", e.Action, action)
		}
		if !bytes.Equal(e.Data, ref.Data) {
			t.Fatalf("Data = %q, encoding/json says %q", e.Data, ref.Data)
		}

		// Round trip: encode the decoded header canonically and decode again.
		again, err := confctl.DecodeEnvelope(encodeEnvelope(t, e))
		if err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		want := e
		if want.Data != nil {
			var buf bytes.Buffer
			if err := json.Compact(&buf, want.Data); err != nil {
				t.Fatalf("compact data: %v", err)
			}
			want.Data = buf.Bytes()
		}
		if !reflect.DeepEqual(again, want) {
			t.Fatalf("round trip:\n got %+v (data %q)\nwant %+v (data %q)", again, again.Data, want, want.Data)
		}
	})
}

// encodeEnvelope writes e as a canonical frame: strings as strings, numbers
// as numbers, and only the members e has.
func encodeEnvelope(t *testing.T, e confctl.Envelope) []byte {
	t.Helper()
	w := struct {
		Action     string          `json:"action,omitempty"`
		Sequence   string          `json:"sequence,omitempty"`
		MsgID      string          `json:"msgID,omitempty"`
		ConfID     string          `json:"confID,omitempty"`
		Type       string          `json:"type,omitempty"`
		MsgMode    *int            `json:"msgMode,omitempty"`
		Version    int64           `json:"version,omitempty"`
		CreateTime int64           `json:"createTime,omitempty"`
		Data       json.RawMessage `json:"data,omitempty"`
	}{e.Action, e.Sequence, e.MsgID, e.ConfID, e.Type, nil, e.Version, e.CreateTime, e.Data}
	if e.HasMsgMode {
		w.MsgMode = &e.MsgMode
	}
	// Without HTML escaping, so Data comes back exactly as json.Compact
	// writes it.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(w); err != nil {
		t.Fatalf("encode envelope: %v", err)
	}
	return buf.Bytes()
}
