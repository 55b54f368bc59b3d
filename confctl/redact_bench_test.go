package confctl_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/confrec/confrec/confctl"
)

// BenchmarkRedactFrame is Redact on the frames a recording meets, compacted
// as on the wire, with the secrets a recorder holds (a password, a control
// token and its bare form): a frame without a secret, ConfBasicInfoNotify
// with its passcodes, a request with double-encoded data (escapes) and the
// same request when its token is one of the secrets.
func BenchmarkRedactFrame(b *testing.B) {
	var r, withSample confctl.Redactor
	for _, s := range []string{"host-pw-7391-secret", "Basic dG9rLTlmOGU3ZDZjNWI0YTNmMmUxZDBjOWI4YTdmNmU1ZDRj", "tok-9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c"} {
		r.Add(s)
		withSample.Add(s)
	}
	withSample.Add("stb7e1c09a4d2f3b8e6a5c0d9f1e2a3b4c5d6e7f8a9b0c1d2e3") // the samples' token
	for _, tt := range []struct {
		name, sample string
		r            *confctl.Redactor
	}{
		{"no_secret", "ParticipantsNotify.full.json", &r},
		{"passcodes", "ConfBasicInfoNotify.json", &r},
		{"escapes_no_secret", "Subscribe.request.json", &r},
		{"escaped_secret", "Subscribe.request.json", &withSample},
	} {
		var buf bytes.Buffer
		if err := json.Compact(&buf, readSample(b, tt.sample)); err != nil {
			b.Fatal(err)
		}
		frame := buf.Bytes()
		b.Run(tt.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(frame)))
			for b.Loop() {
				tt.r.Redact(frame)
			}
		})
	}
}
