package confctl

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
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
// texts with a marker "[redacted:<8 hex digits>]": a hash of the secret
// keyed with a random key of this process, which lets two sessions'
// tokens be told apart without storing anything a guess could be checked
// against. The same secret gets the same marker throughout a process, in
// every Redactor.
//
// The zero value is ready to use. A Redactor is safe for concurrent use.
// Every method except Add may be called on a nil *Redactor, which has no
// registered secrets (RedactURL and Err still hide token parameters).
type Redactor struct {
	mu       sync.RWMutex
	seen     map[string]bool
	patterns []pattern // longest first
	// forms are what Redact looks for in frames, longest first; first
	// holds their first bytes. A frame without a '%' and an escape that
	// may hide a character of a secret holds one only if it holds one of
	// detect as it is.
	forms  []frameForm
	first  [256]bool
	detect [][]byte
	quotes bool // a secret holds '"'
}

// pattern is one byte sequence to replace and the marker to replace it with.
type pattern struct {
	text   []byte
	str    string // text as a string, for RedactString
	marker []byte
}

// markerKey keys the hash in markers. It is random, made once per process
// and never stored: a marker tells two secrets apart within one recording,
// but a stored marker cannot be tested against guesses, as a plain hash of
// a six-digit password could be in a second.
var markerKey = sync.OnceValue(func() []byte {
	k := make([]byte, 32)
	rand.Read(k) // never fails on the platforms Go supports
	return k
})

// marker returns the replacement for secret s: "[redacted:" and the first
// 8 hex digits of HMAC-SHA256(markerKey, s), then "]".
func marker(s string) string {
	m := hmac.New(sha256.New, markerKey())
	m.Write([]byte(s))
	return "[redacted:" + hex.EncodeToString(m.Sum(nil)[:4]) + "]"
}

// Add registers a secret. Besides s itself, its standard base64 encoding,
// "Basic " followed by that encoding, and the query-escaped forms of all
// three are replaced (Redact finds more forms, see there). Values shorter
// than 4 bytes are ignored, as are secrets already registered.
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
		r.patterns = append(r.patterns, pattern{[]byte(t), t, m})
		if q := url.QueryEscape(t); q != t {
			r.patterns = append(r.patterns, pattern{[]byte(q), q, m})
		}
	}
	sort.SliceStable(r.patterns, func(i, j int) bool {
		return len(r.patterns[i].text) > len(r.patterns[j].text)
	})
	for _, f := range secretForms(s, m) {
		r.forms = append(r.forms, f)
		r.first[f.text[0]] = true
	}
	slices.SortStableFunc(r.forms, func(a, b frameForm) int { return len(b.text) - len(a.text) })
	r.quotes = r.quotes || strings.Contains(s, `"`)
	for _, d := range detectTexts(s) {
		r.addDetect([]byte(d))
	}
}

// addDetect adds d to the detect texts unless one of them occurs in it,
// and drops those in which d occurs.
func (r *Redactor) addDetect(d []byte) {
	for _, e := range r.detect {
		if bytes.Contains(d, e) {
			return
		}
	}
	r.detect = slices.DeleteFunc(r.detect, func(e []byte) bool { return bytes.Contains(e, d) })
	r.detect = append(r.detect, d)
}

// Redact returns the frame b with every registered secret replaced by its
// marker, and with the meeting passcodes (the "pwd" members of the objects
// under a "pwds" member, as in ConfBasicInfoNotify) replaced by
// "[redacted]" whatever they hold, also on a nil *Redactor.
//
// A b that is a JSON text is redacted on its structure: a string (or key)
// whose decoded text holds a secret has the bytes that spell it replaced,
// wherever they are JSON-escaped; a string that decodes to JSON is
// redacted the same way; a number whose text holds a secret becomes the
// marker as a string. Everything else stays as it is, byte for byte. A b
// that is not JSON is searched as it is, with JSON and URL escapes read
// where they stand. A secret is found as it is, in base64 (standard or
// URL-safe, padded or not), after "Basic ", and with any of its characters
// JSON-escaped or URL-escaped. A secret shorter than 16 bytes counts only
// as a whole token: not inside a longer run of ASCII letters and digits (a
// password 178030 is not in the time 1780300740000).
//
// When nothing is replaced it returns b itself, not a copy; otherwise it
// returns a new slice and leaves b unchanged. A frame that can hold no
// secret is told by a few byte searches, without looking at its structure.
func (r *Redactor) Redact(b []byte) []byte {
	if r == nil {
		if !mayHoldPasscode(b) {
			return b
		}
		return redactFrame(b, nil, nil, nil)
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	if !r.mayHold(b) {
		return b
	}
	return redactFrame(b, r.forms, &r.first, r.detect)
}

// mayHold reports whether b may hold a registered secret or a passcode.
func (r *Redactor) mayHold(b []byte) bool {
	if len(r.forms) == 0 {
		return mayHoldPasscode(b)
	}
	if bytes.Contains(b, []byte(`pwds`)) || hidingEscape(b, r.quotes) || bytes.IndexByte(b, '%') >= 0 {
		return true
	}
	for _, d := range r.detect {
		if bytes.Contains(b, d) {
			return true
		}
	}
	return false
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

// RedactString returns s with every registered secret replaced by its
// marker, for texts that are not frames (a close reason, an error, a URL):
// a secret is found anywhere, also inside a longer run of letters and
// digits, in every form Redact finds (as it is, in base64, after "Basic ",
// with any of its characters JSON-escaped or URL-escaped). Passcodes are
// left alone.
func (r *Redactor) RedactString(s string) string {
	if r == nil {
		return s
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	if len(r.forms) == 0 {
		return s
	}
	forms := make([]frameForm, len(r.forms))
	for i, f := range r.forms {
		f.anywhere = true
		forms[i] = f
	}
	b := []byte(s)
	var out []byte
	last := 0
	findSecrets(b, forms, &r.first, func(start, end int, m []byte) {
		out = append(out, redactPatterns(b[last:start], r.patterns)...)
		out = append(out, m...)
		last = end
	})
	if out == nil {
		return string(redactPatterns(b, r.patterns))
	}
	return string(append(out, redactPatterns(b[last:], r.patterns)...))
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
