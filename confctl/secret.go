package confctl

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"log/slog"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
)

// redacted is what a Secret prints as.
const redacted = "[redacted]"

// Secret is a credential: a host password, a meeting-control token or a
// WebSocket token. Every way of printing, logging or marshalling it gives
// "[redacted]"; Reveal is the only way to get the value back.
type Secret string

// String implements fmt.Stringer; it returns "[redacted]".
func (s Secret) String() string { return redacted }

// GoString implements fmt.GoStringer (the %#v verb); it returns "[redacted]".
func (s Secret) GoString() string { return redacted }

// LogValue implements slog.LogValuer; it returns "[redacted]".
func (s Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalJSON implements json.Marshaler; it returns the JSON string
// "[redacted]".
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// MarshalText implements encoding.TextMarshaler; it returns "[redacted]".
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// Reveal returns the secret's value. Call it only where the value is put on
// the wire (an HTTP header, a Subscribe frame, a connect URL).
func (s Secret) Reveal() string { return string(s) }

// minSecretLen is the shortest value Redactor.Add accepts; shorter values
// would match ordinary text.
const minSecretLen = 4

// sensitiveParams are query parameters whose values RedactURL always
// replaces, whether or not they were registered with Add.
var sensitiveParams = [...]string{"tmpToken", "token", "confToken", "webSocketToken"}

// Redactor replaces registered secrets in bytes, strings, URLs and error
// texts with a marker "[redacted:<first 8 hex digits of sha256(secret)>]".
// The hash lets two sessions be told apart without storing the secret.
//
// The zero value is ready to use. A Redactor is safe for concurrent use.
// Every method except Add may be called on a nil *Redactor, which has no
// registered secrets (RedactURL and Err still hide token parameters).
type Redactor struct {
	mu       sync.RWMutex
	seen     map[string]bool
	patterns []pattern // longest first
	// detect are the patterns that hold no other pattern (such as a
	// secret's base64 without "Basic "), which suffice to find whether
	// and about where a frame holds one; lead is the most bytes a pattern
	// can start before the first detect match in it.
	detect [][]byte
	lead   int
}

// pattern is one byte sequence to replace and the marker to replace it with.
type pattern struct {
	text   []byte
	str    string // text as a string, for RedactString
	marker []byte
}

// marker returns the replacement for secret s.
func marker(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "[redacted:" + hex.EncodeToString(sum[:4]) + "]"
}

// Add registers a secret. Besides s itself, its standard base64 encoding,
// "Basic " followed by that encoding, and the query-escaped forms of all
// three are replaced. Values shorter than 4 bytes are ignored, as are
// secrets already registered.
func (r *Redactor) Add(s string) {
	if len(s) < minSecretLen {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.seen[s] {
		return
	}
	if r.seen == nil {
		r.seen = make(map[string]bool)
	}
	r.seen[s] = true
	m := []byte(marker(s))
	b64 := base64.StdEncoding.EncodeToString([]byte(s))
	for _, t := range []string{s, b64, "Basic " + b64} {
		r.addPattern(pattern{[]byte(t), t, m})
		if q := url.QueryEscape(t); q != t {
			r.addPattern(pattern{[]byte(q), q, m})
		}
	}
	sort.SliceStable(r.patterns, func(i, j int) bool {
		return len(r.patterns[i].text) > len(r.patterns[j].text)
	})
}

// addPattern adds p to the patterns and keeps detect and lead: p is a
// detect pattern unless it holds a shorter pattern or repeats one, and a
// detect pattern that holds p no longer is one. It costs one comparison
// with each pattern, not with each pair.
func (r *Redactor) addPattern(p pattern) {
	minimal := true
	for _, q := range r.patterns {
		switch {
		case bytes.Equal(q.text, p.text):
			minimal = false // the same text: it finds the same places
		case len(q.text) < len(p.text) && bytes.Contains(p.text, q.text):
			minimal = false
			r.lead = max(r.lead, len(p.text)-len(q.text))
		case len(q.text) > len(p.text) && bytes.Contains(q.text, p.text):
			r.lead = max(r.lead, len(q.text)-len(p.text))
			r.detect = slices.DeleteFunc(r.detect, func(d []byte) bool { return bytes.Equal(d, q.text) })
		}
	}
	r.patterns = append(r.patterns, p)
	if minimal {
		r.detect = append(r.detect, p.text)
	}
}

// Redact returns b with every occurrence of a registered secret replaced by
// its marker. When nothing matches it returns b itself, not a copy;
// otherwise it returns a new slice and leaves b unchanged.
func (r *Redactor) Redact(b []byte) []byte {
	if r == nil {
		return b
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	first := -1
	for _, d := range r.detect {
		if i := bytes.Index(b, d); i >= 0 && (first < 0 || i < first) {
			first = i
		}
	}
	if first < 0 {
		return b
	}
	// No pattern starts before first-lead: it would hold a detect match
	// before first.
	return redactFrom(b, r.patterns, max(0, first-r.lead))
}

// redactPatterns replaces patterns (longest first) in a single left-to-right
// pass, so text inside an inserted marker is never matched again.
func redactPatterns(b []byte, patterns []pattern) []byte {
	first := -1
	for _, p := range patterns {
		if i := bytes.Index(b, p.text); i >= 0 && (first < 0 || i < first) {
			first = i
		}
	}
	if first < 0 {
		return b
	}
	return redactFrom(b, patterns, first)
}

// redactFrom is redactPatterns once no pattern can start before first.
func redactFrom(b []byte, patterns []pattern, first int) []byte {
	out := make([]byte, 0, len(b)+32)
	out = append(out, b[:first]...)
	for i := first; i < len(b); {
		matched := false
		for _, p := range patterns {
			if bytes.HasPrefix(b[i:], p.text) {
				out = append(out, p.marker...)
				i += len(p.text)
				matched = true
				break
			}
		}
		if !matched {
			out = append(out, b[i])
			i++
		}
	}
	return out
}

// RedactString is Redact for strings.
func (r *Redactor) RedactString(s string) string {
	if r == nil {
		return s
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, p := range r.patterns {
		if strings.Contains(s, p.str) {
			return string(redactPatterns([]byte(s), r.patterns))
		}
	}
	return s
}

// RedactURL returns u with registered secrets replaced, and with the values
// of the query parameters tmpToken, token, confToken and webSocketToken
// replaced by a marker whatever they hold (the marker hashes the unescaped
// value). u need not parse as a URL: the parameters are found anywhere in
// the text after a '?' or '&', so RedactURL also suits error messages that
// quote a URL.
func (r *Redactor) RedactURL(u string) string {
	return redactParams(r.RedactString(u))
}

// redactParams replaces the values of sensitiveParams found after '?' or '&'.
// A value ends at '&', '#', a quote, whitespace or the end of s.
func redactParams(s string) string {
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); i++ {
		if s[i] != '?' && s[i] != '&' {
			continue
		}
		name, ok := paramAt(s, i+1)
		if !ok {
			continue
		}
		start := i + 1 + len(name) + 1
		end := start
		for end < len(s) && !strings.ContainsRune("&#\"' \t\r\n", rune(s[end])) {
			end++
		}
		v := s[start:end]
		if v == "" || (strings.HasPrefix(v, "[redacted:") && strings.HasSuffix(v, "]")) {
			continue
		}
		if uv, err := url.QueryUnescape(v); err == nil {
			v = uv
		}
		b.WriteString(s[last:start])
		b.WriteString(marker(v))
		last = end
		i = end - 1
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// paramAt reports which sensitive parameter, followed by '=', starts at s[i:].
// Names match case-insensitively.
func paramAt(s string, i int) (string, bool) {
	for _, name := range sensitiveParams {
		if len(s)-i > len(name) && s[i+len(name)] == '=' && strings.EqualFold(s[i:i+len(name)], name) {
			return s[i : i+len(name)], true
		}
	}
	return "", false
}

// Err returns err wrapped so that its Error text is passed through
// RedactURL. errors.Is and errors.As still see err through Unwrap (beware
// that printing an error found with errors.As is not redacted). Err(nil)
// returns nil.
func (r *Redactor) Err(err error) error {
	if err == nil {
		return nil
	}
	return &redactedError{r: r, err: err}
}

// redactedError redacts the text of the error it wraps.
type redactedError struct {
	r   *Redactor
	err error
}

func (e *redactedError) Error() string { return e.r.RedactURL(e.err.Error()) }
func (e *redactedError) Unwrap() error { return e.err }
