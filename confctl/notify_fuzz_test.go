package confctl_test

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/confrec/confrec/confctl"
)

// addSamples seeds f with every sample frame.
func addSamples(f *testing.F) {
	f.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "samples", "*.json"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		f.Add(readSample(f, filepath.Base(name)))
	}
}

// refNotify is the members read by the reference decoders below.
type refNotify struct {
	Title json.RawMessage `json:"title"`
	State json.RawMessage `json:"state"`
	Data  json.RawMessage `json:"data"`
}

// refText reads a JSON string's value or a JSON number's text with
// encoding/json alone (null decodes to "" as a string).
func refText(raw json.RawMessage) (string, bool) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, true
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String(), true
	}
	return "", false
}

// FuzzBasicInfoTitle checks BasicInfoTitle against a reference built on
// encoding/json alone: the top-level title, else the title of data (an
// object, or a string holding one). Seeds: every sample frame plus
// testdata/fuzz/FuzzBasicInfoTitle.
func FuzzBasicInfoTitle(f *testing.F) {
	addSamples(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		got, ok := confctl.BasicInfoTitle(b)
		want, wantOK := func() (string, bool) {
			var r refNotify
			if json.Unmarshal(b, &r) != nil {
				return "", false
			}
			if s, ok := refText(r.Title); ok {
				return s, true
			}
			data := r.Data
			var inner string
			if json.Unmarshal(data, &inner) == nil {
				data = json.RawMessage(strings.TrimSpace(inner))
			}
			if len(data) == 0 || data[0] != '{' {
				return "", false
			}
			var d refNotify
			if json.Unmarshal(data, &d) != nil {
				return "", false
			}
			if s, ok := refText(d.Title); ok {
				return s, true
			}
			// As in BasicInfoTitle, an unusable title in data keeps
			// the top-level member, which was unusable too.
			return "", false
		}()
		if got != want || ok != wantOK {
			t.Fatalf("BasicInfoTitle(%q) = %q, %v; encoding/json says %q, %v", b, got, ok, want, wantOK)
		}
	})
}

// FuzzDynamicInfoDestroyed checks DynamicInfoDestroyed against a full
// decode with encoding/json, so that its byte scan never misses a
// Destroyed state. Seeds: every sample frame plus
// testdata/fuzz/FuzzDynamicInfoDestroyed.
func FuzzDynamicInfoDestroyed(f *testing.F) {
	addSamples(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		var r refNotify
		want := false
		if json.Unmarshal(b, &r) == nil {
			var s string
			want = json.Unmarshal(r.State, &s) == nil && strings.EqualFold(s, "Destroyed")
		}
		if got := confctl.DynamicInfoDestroyed(b); got != want {
			t.Fatalf("DynamicInfoDestroyed(%q) = %v, encoding/json says %v", b, got, want)
		}
	})
}
