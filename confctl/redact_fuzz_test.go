package confctl_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/confrec/confrec/confctl"
)

// secretRunes are what the fuzzed secrets are made of: letters, digits,
// every character Gson escapes, the ones JSON and URLs escape, and
// non-ASCII ones, one outside the BMP.
var secretRunes = []rune("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ=&<>'/\"\\%+?#.:- é😀")

// fuzzSecret returns a random secret: short (whole tokens only) or long.
// Each of its forms holds a digit (the filler around it never spells one),
// and it holds a letter, so that it is never inside a number.
func fuzzSecret(rng *rand.Rand) string {
	for {
		n := 4 + rng.IntN(8)
		if rng.IntN(3) == 0 {
			n = 16 + rng.IntN(24)
		}
		rs := make([]rune, n)
		for i := range rs {
			rs[i] = secretRunes[rng.IntN(len(secretRunes))]
		}
		rs[rng.IntN(n)] = rune('0' + rng.IntN(10))
		rs[rng.IntN(n)] = rune('a' + rng.IntN(26))
		s := string(rs)
		digit := func(t string) bool { return strings.ContainsAny(t, "0123456789") }
		hasLetter := strings.ContainsFunc(s, func(r rune) bool { return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' })
		if digit(s) && hasLetter && digit(base64.StdEncoding.EncodeToString([]byte(s))) &&
			digit(base64.URLEncoding.EncodeToString([]byte(s))) {
			return s
		}
	}
}

// plainForm returns s as a frame may carry it before JSON escaping: as it
// is, base64'd, after "Basic ", or URL-escaped.
func plainForm(rng *rand.Rand, s string) string {
	b := []byte(s)
	switch rng.IntN(9) {
	case 0:
		return base64.StdEncoding.EncodeToString(b)
	case 1:
		return base64.URLEncoding.EncodeToString(b)
	case 2:
		return base64.RawStdEncoding.EncodeToString(b)
	case 3:
		return "Basic " + base64.StdEncoding.EncodeToString(b)
	case 4:
		return url.QueryEscape(s)
	case 5:
		return url.QueryEscape("Basic " + base64.StdEncoding.EncodeToString(b))
	case 6: // some characters %-escaped, in either case
		var o strings.Builder
		for _, r := range s {
			if rng.IntN(2) == 0 {
				for _, c := range []byte(string(r)) {
					fmt.Fprintf(&o, []string{"%%%02X", "%%%02x"}[rng.IntN(2)], c)
				}
			} else {
				o.WriteRune(r)
			}
		}
		return o.String()
	}
	return s
}

// jsonChars escapes p for the content of a JSON string, each character
// at random as it is (where JSON allows), \uXXXX in either case, or a short
// escape; as Gson does (= & < > ' as \u00XX) when gson is set. raw allows
// '"' and '\' as they are (text that is not JSON).
func jsonChars(rng *rand.Rand, p string, gson, raw bool) string {
	var o strings.Builder
	u := func(r rune) {
		f := []string{`\u%04x`, `\u%04X`}[rng.IntN(2)]
		if r > 0xffff {
			r1, r2 := utf16.EncodeRune(r)
			fmt.Fprintf(&o, f+f, r1, r2)
			return
		}
		fmt.Fprintf(&o, f, r)
	}
	for i, r := range p {
		if r == utf8.RuneError && !strings.HasPrefix(p[i:], "\uFFFD") {
			o.WriteByte(p[i]) // not UTF-8: as it is
			continue
		}
		must := r == '"' || r == '\\' || r < 0x20
		switch {
		case gson && strings.ContainsRune("=&<>'", r):
			u(r)
		case r == '/' && rng.IntN(2) == 0:
			o.WriteString(`\/`)
		case (r == '"' || r == '\\') && (!raw || rng.IntN(2) == 0):
			o.WriteByte('\\')
			o.WriteRune(r)
		case must && !raw || rng.IntN(4) == 0:
			u(r)
		default:
			o.WriteRune(r)
		}
	}
	return o.String()
}

// fillerRunes make up the text around secrets: no digit, so that it never
// spells one, raw or escaped.
const fillerWords = "abc xyz q=r&s <p> it's a/b %zz + \\n \\t \\\" \\\\ \\/ \\uabcd \\ufffd é"

// filler returns random text for a JSON string's content, already escaped.
func filler(rng *rand.Rand) string {
	words := strings.Fields(fillerWords)
	var o strings.Builder
	for range rng.IntN(4) {
		o.WriteString(words[rng.IntN(len(words))])
		if rng.IntN(2) == 0 {
			o.WriteByte(' ')
		}
	}
	return o.String()
}

// noDigits maps the digits of b to letters that are no hex digits: then no
// reading of b spells a digit.
func noDigits(b []byte) []byte {
	out := bytes.Clone(b)
	for i, c := range out {
		if '0' <= c && c <= '9' {
			out[i] = 'g' + (c - '0')
		}
	}
	return out
}

// fuzzGen builds frames that embed secrets.
type fuzzGen struct {
	rng     *rand.Rand
	secrets []string
	plain   []string // each embedded secret, as its string decodes
	escaped []string // each embedded secret, as its bytes are in the frame
	n       int
}

// embed returns a secret in a random form, escaped for a JSON string's
// content (or for text that is not JSON when raw), between spaces.
func (g *fuzzGen) embed(raw bool) string {
	s := g.secrets[g.rng.IntN(len(g.secrets))]
	p := plainForm(g.rng, s)
	e := jsonChars(g.rng, p, g.rng.IntN(3) == 0, raw)
	g.plain = append(g.plain, p)
	g.escaped = append(g.escaped, e)
	return " " + e + " "
}

// value writes a random JSON value; strings may embed secrets, and may be
// JSON texts themselves.
func (g *fuzzGen) value(o *strings.Builder, depth int) {
	switch k := g.rng.IntN(8); {
	case depth < 4 && k == 0:
		o.WriteByte('{')
		for i := range 1 + g.rng.IntN(4) {
			if i > 0 {
				o.WriteByte(',')
			}
			g.n++
			fmt.Fprintf(o, `"_k_%d":`, g.n%1000)
			g.value(o, depth+1)
		}
		if g.rng.IntN(4) == 0 {
			fmt.Fprintf(o, `,"pwds":[{"role":"chair","pwd":"%s"}]`, filler(g.rng))
		}
		o.WriteByte('}')
	case depth < 4 && k == 1:
		o.WriteString("[ ")
		for i := range 1 + g.rng.IntN(4) {
			if i > 0 {
				o.WriteString(" , ")
			}
			g.value(o, depth+1)
		}
		o.WriteString("]")
	case depth < 3 && k == 2: // double-encoded
		var in strings.Builder
		in.WriteString(`{"_k_0":`)
		g.value(&in, depth+1)
		in.WriteString(`}`)
		b, _ := json.Marshal(in.String())
		o.Write(b)
	case k == 3:
		// A long number: no secret can be in it.
		fmt.Fprintf(o, "%d%016d", 1+g.rng.IntN(9), g.rng.Int64N(1e16))
	case k == 4:
		o.WriteString([]string{"true", "false", "null"}[g.rng.IntN(3)])
	default:
		o.WriteByte('"')
		o.WriteString(filler(g.rng))
		if g.rng.IntN(2) == 0 {
			o.WriteString(g.embed(false))
		}
		o.WriteString(filler(g.rng))
		o.WriteByte('"')
	}
}

// shape is a parsed JSON value with its strings left out, except
// passcodes: what redaction must keep.
func shape(v any, key string, pwds bool) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, x := range v {
			m[k] = shape(x, k, pwds && k == "pwd" || k == "pwds")
		}
		return m
	case []any:
		a := make([]any, len(v))
		for i, x := range v {
			a[i] = shape(x, key, pwds && key == "pwds")
		}
		return a
	case string:
		if key == "pwd" && pwds {
			return "passcode"
		}
		return "string"
	}
	return v
}

// decodedStrings calls fn with every string in v, and in the JSON texts
// strings hold.
func decodedStrings(v any, fn func(string)) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			fn(k)
			decodedStrings(x, fn)
		}
	case []any:
		for _, x := range v {
			decodedStrings(x, fn)
		}
	case string:
		fn(v)
		var in any
		if t := strings.TrimSpace(v); strings.HasPrefix(t, "{") && json.Unmarshal([]byte(v), &in) == nil {
			decodedStrings(in, fn)
		}
	}
}

// passcodes calls fn with the value of every "pwd" member of an object
// under a "pwds" member of v.
func passcodes(v any, under bool, fn func(string)) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if s, ok := x.(string); ok && under && k == "pwd" {
				fn(s)
			}
			passcodes(x, k == "pwds", fn)
		}
	case []any:
		for _, x := range v {
			passcodes(x, under, fn)
		}
	}
}

func parseJSON(t *testing.T, b []byte) any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, b)
	}
	return v
}

// FuzzRedactStructural checks Redact on frames built around the fuzzed
// bytes: secrets embedded in any encoding in JSON frames and in text do
// not survive in it, JSON stays JSON with the same members and numbers,
// and a frame that holds no secret comes back as it is.
func FuzzRedactStructural(f *testing.F) {
	f.Add([]byte(`{"action":"ConfBasicInfoNotify","createTime":1742263178030}`), uint64(1))
	f.Add([]byte("Authorization: Basic \\u0038%30 \\\\"), uint64(2))
	f.Add([]byte(""), uint64(3))
	f.Add([]byte(`["a\u00e9","\/"]`), uint64(4))
	f.Fuzz(func(t *testing.T, data []byte, seed uint64) {
		rng := rand.New(rand.NewPCG(seed, 0x5eed))
		g := &fuzzGen{rng: rng}
		var r confctl.Redactor
		for range 1 + rng.IntN(3) {
			s := fuzzSecret(rng)
			g.secrets = append(g.secrets, s)
			r.Add(s)
		}

		// (i) Text that is not JSON: the fuzzed bytes, with secrets put in.
		text := noDigits(data)
		for range 1 + rng.IntN(3) {
			at := rng.IntN(len(text) + 1)
			text = append(text[:at:at], append([]byte(g.embed(true)), text[at:]...)...)
		}
		if json.Valid(text) {
			// Fuzzed quotes around the secrets made a JSON string, whose
			// escapes mean what JSON says (case ii): keep this text.
			text = append([]byte("text: "), text...)
		}
		out := r.Redact(text)
		str := r.RedactString(string(text)) // a close reason, an error
		for _, e := range g.escaped {
			if bytes.Contains(out, []byte(e)) {
				t.Fatalf("secrets %q: %q survives in\n%q\nfrom %q", g.secrets, e, out, text)
			}
			if strings.Contains(str, e) {
				t.Fatalf("secrets %q: %q survives RedactString in\n%q\nfrom %q", g.secrets, e, str, text)
			}
		}

		// (i) and (iii) A JSON frame.
		g.plain, g.escaped = nil, nil
		var o strings.Builder
		o.WriteString(`{"action":"X","data":`)
		g.value(&o, 0)
		o.WriteString(`,"s":"`)
		o.WriteString(g.embed(false))
		o.WriteString(`"}`)
		frame := []byte(o.String())
		in := parseJSON(t, frame)
		out = r.Redact(frame)
		got := parseJSON(t, out)
		if !reflect.DeepEqual(shape(got, "", false), shape(in, "", false)) {
			t.Fatalf("members or numbers changed:\n%s\n%s", frame, out)
		}
		passcodes(got, false, func(p string) {
			if p != "" && p != "[redacted]" {
				t.Fatalf("passcode %q kept in\n%s", p, out)
			}
		})
		decodedStrings(got, func(s string) {
			for _, p := range g.plain {
				if strings.Contains(s, p) {
					t.Fatalf("secrets %q: %q survives in %q of\n%s\nfrom\n%s", g.secrets, p, s, out, frame)
				}
			}
		})

		// (ii) Frames without a secret: a short secret of digits is in
		// every number and time, always inside a longer run of digits.
		var nr confctl.Redactor
		pw := strconv.Itoa(1000 + rng.IntN(1e6))
		nr.Add(pw)
		run := func(escape bool) string {
			var b strings.Builder
			before := rng.IntN(4)
			for range before {
				b.WriteByte(byte('1' + rng.IntN(9)))
			}
			b.WriteString(pw)
			for range 1 + rng.IntN(4) - min(before, 1) {
				b.WriteByte(byte('0' + rng.IntN(10)))
			}
			s := b.String()
			if escape && rng.IntN(3) == 0 { // a digit \u-escaped
				i := rng.IntN(len(s))
				s = s[:i] + fmt.Sprintf(`\u%04x`, s[i]) + s[i+1:]
			}
			return s
		}
		o.Reset()
		name, _ := json.Marshal(string(noDigits(data)))
		fmt.Fprintf(&o, `{"action":"ConfDynamicInfoNotify","createTime":%s,"version":%s,"startTime":"%s",`, run(false), run(false), run(true))
		fmt.Fprintf(&o, `"ADDTIME":"2025-03-18 %s.%s","name":"%s %s","pwd":"%s","list":[%s, %s]}`,
			run(true), run(true), filler(rng), run(true), run(true), run(false), name)
		clean := []byte(o.String())
		if !json.Valid(clean) {
			t.Fatalf("generated invalid JSON: %s", clean)
		}
		for _, b := range [][]byte{clean, clean[:len(clean)-1]} {
			if got := nr.Redact(b); &got[0] != &b[0] {
				t.Fatalf("a frame without a secret (password %s) changed:\n%s\n%s", pw, b, got)
			}
		}
	})
}
