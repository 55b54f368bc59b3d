package importer

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// FuzzCheckMembers: checkMembers never panics, and an object it passes
// names each member of a FrameRecord at most once and as it is spelled,
// as a decoder that reads the keys one by one sees them.
func FuzzCheckMembers(f *testing.F) {
	f.Add([]byte(`{"seq":1,"time":"2025-03-18T02:00:00Z","session":1,"dir":"in","opcode":"text","size":2,"payload":"{}"}`))
	f.Add([]byte(`{"payload":"a","payload":"b"}`))
	f.Add([]byte(`{ "PAYLOAD" : "a" , "pay\u006coad":1}`))
	f.Add([]byte(`{"\u212aey":1,"ſeq":2}`))
	f.Add([]byte(`[{"payload":1}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		err := checkMembers(b, frameRecordNames)
		if err != nil || !json.Valid(b) {
			return
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		if tok, _ := dec.Token(); tok != json.Delim('{') {
			return
		}
		seen := map[string]bool{}
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				t.Fatal(err)
			}
			key := tok.(string)
			for _, name := range frameRecordNames {
				if strings.EqualFold(key, name) && key != name {
					t.Fatalf("%q passed with the member %q, another spelling of %q", b, key, name)
				}
			}
			if seen[key] {
				for _, name := range frameRecordNames {
					if key == name {
						t.Fatalf("%q passed with the member %q twice", b, key)
					}
				}
			}
			seen[key] = true
			var v json.RawMessage
			if err := dec.Decode(&v); err != nil {
				t.Fatal(err)
			}
		}
	})
}
