package confctl

import (
	"bytes"
	"slices"

	"github.com/confrec/confrec/internal/jsonscan"
)

// This file redacts a frame on its structure. A frame that is a JSON text
// is walked value by value: every string (keys too) is decoded, and where
// its decoded text holds a secret (see redact_match.go) the secret's bytes,
// as received, are replaced by its marker; the rest of the string and of
// the frame stays as received. A string that decodes to JSON (a
// double-encoded "data") is walked in turn. A number holding a secret is
// replaced by the marker as a string. Meeting passcodes, the "pwd" members
// of the objects under a "pwds" member, are replaced whatever they hold.
// A frame that is not a JSON text is searched as it is, with escapes read
// where they stand, and its passcodes found by a lenient scan.

// passcodeMarker replaces a meeting passcode. It holds no hash: a passcode
// is a few digits, which a hash would give away.
const passcodeMarker = "[redacted]"

// maxRedactDepth bounds the nesting of the JSON walked; a deeper frame is
// searched as text.
const maxRedactDepth = 256

// maxRedactNest bounds how many strings within strings are decoded and
// walked as JSON.
const maxRedactNest = 8

// mayHoldPasscode reports whether b may hold a meeting passcode: it holds
// the key "pwds", or an escape that may spell it.
func mayHoldPasscode(b []byte) bool {
	return bytes.Contains(b, []byte(`pwds`)) || hidingEscape(b, false)
}

// hidingEscape reports whether b holds an escape that may hide a letter of
// a secret: any escape but \" (which stands for '"', and leaves the text
// around it as it is), or any at all when quotes is set.
func hidingEscape(b []byte, quotes bool) bool {
	for i := 0; ; {
		k := bytes.IndexByte(b[i:], '\\')
		if k < 0 {
			return false
		}
		i += k
		if quotes || i+1 >= len(b) || b[i+1] != '"' {
			return true
		}
		i += 2
	}
}

// redactFrame returns b with the secrets of forms (sorted longest first;
// first holds their first bytes) and the meeting passcodes replaced, or b
// itself when it holds none.
func redactFrame(b []byte, forms []frameForm, first *[256]bool, detect [][]byte) []byte {
	w := walker{forms: forms, first: first, detect: detect}
	if !w.document(b) {
		w.edits = w.edits[:0]
		w.text(b)
	}
	return applyEdits(b, w.edits)
}

// edit replaces b[start:end] with text.
type edit struct {
	start, end int
	text       []byte
}

// applyEdits returns b with edits (sorted, not overlapping) made, or b
// itself when there are none.
func applyEdits(b []byte, edits []edit) []byte {
	if len(edits) == 0 {
		return b
	}
	n := len(b)
	for _, e := range edits {
		n += len(e.text) - (e.end - e.start)
	}
	out := make([]byte, 0, n)
	last := 0
	for _, e := range edits {
		out = append(out, b[last:e.start]...)
		out = append(out, e.text...)
		last = e.end
	}
	return append(out, b[last:]...)
}

// place says where a value is, for the passcode rule.
type place uint8

const (
	inOther    place = iota
	inPwds           // the value of a "pwds" member
	inPwdsItem       // an object in that array
	inPwd            // the value of the "pwd" member of such an object
)

// walker collects the edits that redact one JSON text.
type walker struct {
	forms  []frameForm
	first  *[256]bool
	detect [][]byte // see Redactor.detect
	nest   int      // strings decoded to get here
	edits  []edit
	// hits are where the detect texts occur in the text, in order; a
	// string or number without an escape can hold a secret only if one
	// starts in it. hi is the first hit not before the value walked.
	hits []int
	hi   int
}

// findHits sets w.hits for the text b.
func (w *walker) findHits(b []byte) {
	for _, d := range w.detect {
		for at := 0; ; {
			k := bytes.Index(b[at:], d)
			if k < 0 {
				break
			}
			w.hits = append(w.hits, at+k)
			at += k + 1
		}
	}
	slices.Sort(w.hits)
}

// hitIn reports whether a detect text starts in b[start:end]. Calls must
// come in the order of the values in the text.
func (w *walker) hitIn(start, end int) bool {
	for w.hi < len(w.hits) && w.hits[w.hi] < start {
		w.hi++
	}
	return w.hi < len(w.hits) && w.hits[w.hi] < end
}

// add appends an edit. One that overlaps the last is merged with it: the
// one that covers the other wins, else both texts replace both spans.
func (w *walker) add(start, end int, text []byte) {
	if n := len(w.edits); n > 0 && start < w.edits[n-1].end {
		l := &w.edits[n-1]
		switch {
		case end <= l.end:
		case start == l.start:
			l.end, l.text = end, text
		default:
			l.end = end
			l.text = append(slices.Clip(l.text), text...)
		}
		return
	}
	w.edits = append(w.edits, edit{start, end, text})
}

// document walks b as one JSON text and reports whether it is one.
func (w *walker) document(b []byte) bool {
	if len(w.forms) > 0 {
		w.findHits(b)
	}
	s := jsonscan.Scanner{B: b}
	if !w.value(&s, 0, inOther) {
		return false
	}
	s.WS()
	return s.I == len(b)
}

// value walks one value.
func (w *walker) value(s *jsonscan.Scanner, depth int, at place) bool {
	switch c := s.Next(); {
	case c == '"':
		start := s.I
		end, k, ok := scanString(s.B, start)
		if !ok {
			return false
		}
		s.I = end
		w.str(s.B, start, end, k, at)
		return true
	case c == '{':
		if depth >= maxRedactDepth {
			return false
		}
		s.I++
		if s.Next() == '}' {
			s.I++
			return true
		}
		item := at == inPwds || at == inPwdsItem
		for {
			if s.Next() != '"' {
				return false
			}
			ks := s.I
			ke, k, ok := scanString(s.B, ks)
			if !ok {
				return false
			}
			s.I = ke
			key := s.B[ks+1 : ke-1]
			w.str(s.B, ks, ke, k, inOther)
			if !s.Expect(':') {
				return false
			}
			child := inOther
			switch {
			case keyIs(key, k.esc, "pwds"):
				child = inPwds
			case item && keyIs(key, k.esc, "pwd"):
				child = inPwd
			}
			if !w.value(s, depth+1, child) {
				return false
			}
			switch s.Next() {
			case ',':
				s.I++
			case '}':
				s.I++
				return true
			default:
				return false
			}
		}
	case c == '[':
		if depth >= maxRedactDepth {
			return false
		}
		s.I++
		if s.Next() == ']' {
			s.I++
			return true
		}
		elem := inOther
		if at == inPwds {
			elem = inPwdsItem
		}
		for {
			if !w.value(s, depth+1, elem) {
				return false
			}
			switch s.Next() {
			case ',':
				s.I++
			case ']':
				s.I++
				return true
			default:
				return false
			}
		}
	case c == 't':
		return s.Literal("true")
	case c == 'f':
		return s.Literal("false")
	case c == 'n':
		return s.Literal("null")
	case c == '-' || '0' <= c && c <= '9':
		start := s.I
		if !s.Number() {
			return false
		}
		w.number(s.B, start, s.I, at)
		return true
	}
	return false
}

// strKind says what a string's raw content holds.
type strKind struct {
	esc bool // a '\\'
	pct bool // a '%'
}

// scanString reads the string that starts at b[i] (a '"'), checking it as
// jsonscan.Scanner.SkipString does, and returns the offset after it and
// what it holds.
func scanString(b []byte, i int) (end int, k strKind, ok bool) {
	for j := i + 1; j < len(b); j++ {
		c := b[j]
		if c >= 0x20 && c != '"' && c != '\\' && c != '%' {
			continue
		}
		switch c {
		case '"':
			return j + 1, k, true
		case '%':
			k.pct = true
		case '\\':
			k.esc = true
			if j+1 >= len(b) {
				return 0, k, false
			}
			switch b[j+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				j++
			case 'u':
				if hex4(b, j+2) < 0 {
					return 0, k, false
				}
				j += 5
			default:
				return 0, k, false
			}
		default: // a control character
			return 0, k, false
		}
	}
	return 0, k, false
}

// keyIs reports whether the raw content of a key (esc: with escapes)
// decodes to name.
func keyIs(raw []byte, esc bool, name string) bool {
	if !esc {
		return string(raw) == name
	}
	return len(raw) <= 6*len(name) && string(unquote(raw)) == name
}

// unquote decodes the content of a valid JSON string. Bytes that are not
// escapes are kept as they are, invalid UTF-8 included.
func unquote(raw []byte) []byte {
	out := make([]byte, 0, len(raw))
	var buf [4]byte
	for j := 0; j < len(raw); {
		if raw[j] != '\\' {
			k := bytes.IndexByte(raw[j:], '\\')
			if k < 0 {
				k = len(raw) - j
			}
			out = append(out, raw[j:j+k]...)
			j += k
			continue
		}
		u, n := jsonEscape(raw, j, &buf)
		if n == 0 { // not reached for a valid string
			out = append(out, raw[j])
			j++
			continue
		}
		out = append(out, u...)
		j += n
	}
	return out
}

// textMayHold reports whether the decoded text t of a string may hold a
// secret: it holds a detect text, or an escape.
func (w *walker) textMayHold(t []byte) bool {
	if bytes.IndexByte(t, '%') >= 0 || bytes.IndexByte(t, '\\') >= 0 {
		return true
	}
	for _, d := range w.detect {
		if bytes.Contains(t, d) {
			return true
		}
	}
	return false
}

// mayStartJSON reports whether the raw content of a string may decode to
// an object or an array: it starts, after white space, with '{', '[' or
// an escape.
func mayStartJSON(raw []byte) bool {
	s := jsonscan.Scanner{B: raw}
	c := s.Next()
	return c == '{' || c == '[' || c == '\\'
}

// looksJSON reports whether t starts, after white space, an object or
// an array.
func looksJSON(t []byte) bool {
	s := jsonscan.Scanner{B: t}
	c := s.Next()
	return c == '{' || c == '['
}

// str redacts the string b[start:end] (quotes included), which holds k.
func (w *walker) str(b []byte, start, end int, k strKind, at place) {
	raw := b[start+1 : end-1]
	if at == inPwd {
		if len(raw) > 0 && string(raw) != passcodeMarker {
			w.add(start+1, end-1, []byte(passcodeMarker))
		}
		return
	}
	if !k.esc {
		// The text is the raw content; it cannot be JSON holding
		// strings, and holds a secret only around a detect text or a
		// URL escape.
		if len(w.forms) > 0 && (k.pct || w.hitIn(start+1, end-1)) {
			findSecrets(raw, w.forms, w.first, func(s, e int, m []byte) { w.add(start+1+s, start+1+e, m) })
		}
		return
	}
	if len(w.forms) == 0 && !mayStartJSON(raw) {
		return // only a JSON text can hold passcodes
	}
	text := unquote(raw)
	if !mayHoldPasscode(text) && (len(w.forms) == 0 || !w.textMayHold(text)) {
		return
	}
	if w.nest < maxRedactNest && looksJSON(text) {
		sub := walker{forms: w.forms, first: w.first, detect: w.detect, nest: w.nest + 1}
		if sub.document(text) {
			w.lift(raw, start+1, sub.edits)
			return
		}
	}
	if len(w.forms) == 0 {
		return
	}
	var found []edit
	findSecrets(text, w.forms, w.first, func(s, e int, m []byte) { found = append(found, edit{s, e, m}) })
	w.lift(raw, start+1, found)
}

// lift adds edits made to the decoded text of the string content raw,
// which starts at b[base]: each covers the escapes its text came from, and
// its replacement is escaped for a JSON string.
func (w *walker) lift(raw []byte, base int, inner []edit) {
	var buf [4]byte
	j, d := 0, 0 // a unit (a byte or an escape) of raw and where its text starts
	rs := -1     // where the current edit starts in raw
	for ei := 0; ei < len(inner) && j < len(raw); {
		wr, n := 1, 1
		if raw[j] == '\\' {
			if u, ew := jsonEscape(raw, j, &buf); ew > 0 {
				wr, n = ew, len(u)
			}
		}
		e := &inner[ei]
		if rs < 0 && d+n > e.start {
			rs = j
		}
		if rs >= 0 && d+n >= e.end {
			w.add(base+rs, base+j+wr, escapeJSON(e.text))
			rs = -1
			ei++
			continue // the next edit may start in this unit
		}
		j, d = j+wr, d+n
	}
}

// escapeJSON returns t escaped for the content of a JSON string; t itself
// when it needs no escape.
func escapeJSON(t []byte) []byte {
	need := false
	for _, c := range t {
		need = need || c == '"' || c == '\\' || c < 0x20
	}
	if !need {
		return t
	}
	const hex = "0123456789abcdef"
	out := make([]byte, 0, len(t)+8)
	for _, c := range t {
		switch {
		case c == '"' || c == '\\':
			out = append(out, '\\', c)
		case c < 0x20:
			out = append(out, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
		default:
			out = append(out, c)
		}
	}
	return out
}

// number redacts the number b[start:end]: a passcode, or a number whose
// text holds a secret as a whole token, becomes the marker as a string.
func (w *walker) number(b []byte, start, end int, at place) {
	if at == inPwd {
		w.add(start, end, []byte(`"`+passcodeMarker+`"`))
		return
	}
	if len(w.forms) == 0 || !w.hitIn(start, end) {
		return
	}
	var m []byte
	findPlain(b[start:end], w.forms, func(_, _ int, marker []byte) {
		if m == nil {
			m = marker
		}
	})
	if m != nil {
		w.add(start, end, append(append([]byte{'"'}, m...), '"'))
	}
}

// text redacts b, which is not a JSON text: every form of every secret,
// with escapes read where they stand, and the passcodes a lenient scan
// finds.
func (w *walker) text(b []byte) {
	if len(w.forms) > 0 {
		findSecrets(b, w.forms, w.first, func(s, e int, m []byte) { w.add(s, e, m) })
	}
	n := len(w.edits)
	textPasscodes(b, func(s, e int, m []byte) { w.edits = append(w.edits, edit{s, e, m}) })
	if len(w.edits) == n {
		return
	}
	all := w.edits
	slices.SortStableFunc(all, func(a, b edit) int { return a.start - b.start })
	w.edits = nil
	for _, e := range all {
		w.add(e.start, e.end, e.text)
	}
}

// textPasscodes calls found for the value of every "pwd" member that
// follows a "pwds" key in b, a text that may be cut short or otherwise not
// JSON: a string's content (up to its closing quote or the end of b) or a
// number.
func textPasscodes(b []byte, found func(start, end int, marker []byte)) {
	i := bytes.Index(b, []byte(`"pwds"`))
	if i < 0 {
		return
	}
	for {
		k := bytes.Index(b[i:], []byte(`"pwd"`))
		if k < 0 {
			return
		}
		s := jsonscan.Scanner{B: b, I: i + k + len(`"pwd"`)}
		i = s.I
		if !s.Expect(':') {
			continue
		}
		switch c := s.Next(); {
		case c == '"':
			start := s.I + 1
			end := start
			for end < len(b) && b[end] != '"' {
				if b[end] == '\\' {
					end++
				}
				end++
			}
			end = min(end, len(b))
			if end > start && string(b[start:end]) != passcodeMarker {
				found(start, end, []byte(passcodeMarker))
			}
			i = end
		case c == '-' || '0' <= c && c <= '9':
			start := s.I
			for s.I < len(b) && bytes.IndexByte([]byte("+-.eE0123456789"), b[s.I]) >= 0 {
				s.I++
			}
			found(start, s.I, []byte(`"`+passcodeMarker+`"`))
			i = s.I
		}
	}
}
