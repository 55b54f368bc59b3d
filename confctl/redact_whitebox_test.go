package confctl

import (
	"bytes"
	"encoding/base64"
	"math/rand/v2"
	"net/url"
	"testing"
)

// FuzzRedactDetect checks Redact, which first looks for a few byte strings
// and walks only a frame that may hold a secret, against redactFrame,
// which walks every frame: the same output for any text, with the secrets
// in every form Add registers spliced in anywhere.
func FuzzRedactDetect(f *testing.F) {
	// Later secrets overlap earlier ones: one is an earlier one's base64,
	// one lies inside an earlier one, one holds an earlier one.
	secrets := []string{"stb7e1c09a4d2f3b8e6a5c0d9f1e2a3b4", "804122", "a b+c/d?", "Zm9v", "tok==",
		"ODA0MTIy", "c0d9f1e2a3b4", "xx804122xx"}
	var r Redactor
	var forms []string
	for _, s := range secrets {
		r.Add(s)
		b64 := base64.StdEncoding.EncodeToString([]byte(s))
		for _, t := range []string{s, b64, "Basic " + b64} {
			forms = append(forms, t, url.QueryEscape(t))
		}
	}
	f.Add([]byte(`{"action":"ConfBasicInfoNotify","pwds":[{"pwd":"804122"}]}`), uint64(1))
	f.Add([]byte("Authorization: Basic ODA0MTIy"), uint64(2))
	f.Add([]byte(""), uint64(3))
	f.Add([]byte("token stb7e1c09a4d2f3b8e6a5c0d9f1e2a3b4 end"), uint64(4))
	f.Fuzz(func(t *testing.T, text []byte, seed uint64) {
		rng := rand.New(rand.NewPCG(seed, 7))
		for range 4 {
			b := bytes.Clone(text)
			for range rng.IntN(3) {
				at := rng.IntN(len(b) + 1)
				form := forms[rng.IntN(len(forms))]
				if rng.IntN(2) == 0 { // a part of one: no match there
					form = form[:rng.IntN(len(form))]
				}
				b = append(b[:at:at], append([]byte(form), b[at:]...)...)
			}
			want := redactFrame(b, r.forms, &r.first, r.detect)
			if got := r.Redact(b); !bytes.Equal(got, want) {
				t.Fatalf("Redact(%q)\n = %q\nwant %q", b, got, want)
			}
		}
	})
}
