package confctl

import (
	"bytes"
	"encoding/base64"
	"unicode/utf16"
	"unicode/utf8"
)

// This file finds a registered secret in a text in any of the forms a frame
// may carry it: as it is, in standard or URL-safe base64 (padded or not),
// as "Basic " and base64, and with any of its characters JSON-escaped
// (\uXXXX in either case, \/ \" \\ and the other short escapes) or
// URL-escaped (%XX in either case, + for a space).
//
// A secret shorter than longSecret counts only where it stands as a whole
// token: a form that begins (ends) with a letter or digit must not follow
// (be followed by) a letter or digit, after decoding the escape next to it.
// So the password 178030 is not found in 1780300740000, and is found in
// "?pwd=178030&x" and in "178030".

// longSecret is the length from which a secret matches anywhere, also
// inside a longer run of letters and digits: tokens are long and random,
// so they do not occur in ordinary text by chance.
const longSecret = 16

// frameForm is one form of a secret to look for in a frame.
type frameForm struct {
	text     []byte
	marker   []byte
	anywhere bool // the secret is long: no whole-token rule
}

// secretForms returns the forms of secret s that frames are searched for:
// s, its base64 (standard and URL-safe, with and without padding) and
// "Basic " followed by its standard base64. Escaped forms are found by the
// matcher, not listed.
func secretForms(s string, m []byte) []frameForm {
	std := base64.StdEncoding.EncodeToString([]byte(s))
	texts := []string{s, "Basic " + std, std,
		base64.URLEncoding.EncodeToString([]byte(s)),
		base64.RawStdEncoding.EncodeToString([]byte(s)),
		base64.RawURLEncoding.EncodeToString([]byte(s))}
	var forms []frameForm
	for i, t := range texts {
		dup := false
		for _, u := range texts[:i] {
			dup = dup || u == t
		}
		if !dup {
			forms = append(forms, frameForm{text: []byte(t), marker: m, anywhere: len(s) >= longSecret})
		}
	}
	return forms
}

// detectTexts returns byte strings of which at least one occurs, as it is,
// in every text that holds s in a form matchAt finds without decoding a
// '\' or '%' escape: the longest piece of s between spaces (a space may be
// written '+') and the unpadded base64 of s, which every base64 form and
// "Basic " form holds.
func detectTexts(s string) []string {
	piece := ""
	for p := range bytes.SplitSeq([]byte(s), []byte(" ")) {
		if len(p) > len(piece) {
			piece = string(p)
		}
	}
	if piece == "" { // only spaces: a space or a '+'
		return []string{" ", "+"}
	}
	out := []string{piece, base64.RawStdEncoding.EncodeToString([]byte(s))}
	if u := base64.RawURLEncoding.EncodeToString([]byte(s)); u != out[1] {
		out = append(out, u)
	}
	return out
}

// isAlnum reports whether c is an ASCII letter or digit.
func isAlnum(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// hexVal returns the value of a hex digit, or -1.
func hexVal(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// hex4 returns the value of four hex digits at t[i:], or -1.
func hex4(t []byte, i int) int {
	if i+4 > len(t) {
		return -1
	}
	v := 0
	for _, c := range t[i : i+4] {
		h := hexVal(c)
		if h < 0 {
			return -1
		}
		v = v<<4 | h
	}
	return v
}

// jsonEscape decodes the JSON escape at t[j] (a '\'): the UTF-8 bytes it
// stands for, in buf, and its length in t; w is 0 when t[j:] is no valid
// escape. A surrogate pair is decoded as one character and a lone
// surrogate as U+FFFD, as encoding/json does.
func jsonEscape(t []byte, j int, buf *[4]byte) (u []byte, w int) {
	if j+1 >= len(t) {
		return nil, 0
	}
	var c byte
	switch t[j+1] {
	case '"', '\\', '/':
		c = t[j+1]
	case 'b':
		c = '\b'
	case 'f':
		c = '\f'
	case 'n':
		c = '\n'
	case 'r':
		c = '\r'
	case 't':
		c = '\t'
	case 'u':
		r := hex4(t, j+2)
		if r < 0 {
			return nil, 0
		}
		w = 6
		if utf16.IsSurrogate(rune(r)) {
			r2 := -1
			if j+7 < len(t) && t[j+6] == '\\' && t[j+7] == 'u' {
				r2 = hex4(t, j+8)
			}
			if d := utf16.DecodeRune(rune(r), rune(r2)); d != utf8.RuneError {
				r, w = int(d), 12
			} else {
				r = utf8.RuneError
			}
		}
		n := utf8.EncodeRune(buf[:], rune(r))
		return buf[:n], w
	default:
		return nil, 0
	}
	buf[0] = c
	return buf[:1], 2
}

// unit reads the character at t[j]: a JSON escape, or the byte as it is
// (w is 1 then).
func unit(t []byte, j int, buf *[4]byte) (u []byte, w int) {
	if t[j] == '\\' {
		if u, w := jsonEscape(t, j, buf); w > 0 {
			return u, w
		}
	}
	buf[0] = t[j]
	return buf[:1], 1
}

// hexUnit reads a hex digit at t[j], as it is or JSON-escaped.
func hexUnit(t []byte, j int) (v, w int) {
	if j >= len(t) {
		return -1, 0
	}
	var buf [4]byte
	u, w := unit(t, j, &buf)
	if len(u) != 1 {
		return -1, 0
	}
	return hexVal(u[0]), w
}

// pctAfter reads the two hex digits of a URL escape at t[j], each as it is
// or JSON-escaped: the byte they stand for and their length in t.
func pctAfter(t []byte, j int) (byte, int, bool) {
	h, w1 := hexUnit(t, j)
	if h < 0 {
		return 0, 0, false
	}
	l, w2 := hexUnit(t, j+w1)
	if l < 0 {
		return 0, 0, false
	}
	return byte(h<<4 | l), w1 + w2, true
}

// escapeStarts reports whether the '\' at t[p] starts an escape: it follows
// an even number of backslashes.
func escapeStarts(t []byte, p int) bool {
	n := 0
	for p-n-1 >= 0 && t[p-n-1] == '\\' {
		n++
	}
	return n%2 == 0
}

// prevAlnum reports whether the character that ends at t[i] is an ASCII
// letter or digit, reading a JSON or URL escape that ends there.
func prevAlnum(t []byte, i int) bool {
	if i == 0 {
		return false
	}
	if i >= 3 {
		// %XX, its '%' as it is or as \u0025.
		pct := -1
		switch {
		case t[i-3] == '%':
			pct = i - 3
		case i >= 8 && t[i-8] == '\\' && t[i-7] == 'u' && hex4(t, i-6) == '%' && escapeStarts(t, i-8):
			pct = i - 8
		}
		if h, l := hexVal(t[i-2]), hexVal(t[i-1]); pct >= 0 && h >= 0 && l >= 0 {
			return isAlnum(byte(h<<4 | l))
		}
	}
	if i >= 6 && t[i-6] == '\\' && t[i-5] == 'u' && escapeStarts(t, i-6) {
		if v := hex4(t, i-4); v >= 0 {
			return v < utf8.RuneSelf && isAlnum(byte(v))
		}
	}
	if i >= 2 && t[i-2] == '\\' && escapeStarts(t, i-2) {
		switch t[i-1] {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			return false
		}
	}
	return isAlnum(t[i-1])
}

// nextAlnum reports whether the character that starts at t[j] is an ASCII
// letter or digit, reading a JSON or URL escape that starts there.
func nextAlnum(t []byte, j int) bool {
	if j >= len(t) {
		return false
	}
	var buf [4]byte
	u, w := unit(t, j, &buf)
	if len(u) == 1 && u[0] == '%' {
		if v, _, ok := pctAfter(t, j+w); ok {
			return isAlnum(v)
		}
	}
	return isAlnum(u[0])
}

// matchBudget bounds the alternatives matchAt tries for a secret that
// holds '\' or '%', which a text may hold as they are or escaped.
const matchBudget = 256

// matchAt returns the end of form f in t when f starts at t[i], each of
// its characters as it is, JSON-escaped, or URL-escaped (the characters of
// a URL escape may be JSON-escaped in turn), or -1.
func matchAt(t []byte, i int, f []byte) int {
	budget := matchBudget
	return matchFrom(t, i, f, 0, &budget)
}

func matchFrom(t []byte, j int, f []byte, k int, budget *int) int {
	var buf [4]byte
	for k < len(f) {
		if j >= len(t) {
			return -1
		}
		u, w := unit(t, j, &buf)
		if len(u) == 1 && u[0] == '%' {
			if v, w2, ok := pctAfter(t, j+w); ok && v == f[k] {
				if f[k] != '%' {
					j, k = j+w+w2, k+1
					continue
				}
				// f holds a '%': t may hold it escaped or as it is.
				if *budget--; *budget < 0 {
					return -1
				}
				if e := matchFrom(t, j+w+w2, f, k+1, budget); e >= 0 {
					return e
				}
			}
		}
		if len(u) == 1 && u[0] == '+' && f[k] == ' ' {
			j, k = j+w, k+1
			continue
		}
		if bytes.HasPrefix(f[k:], u) {
			if w == 1 || f[k] != '\\' {
				j, k = j+w, k+len(u)
				continue
			}
			// f holds a '\': t may hold it escaped or as it is.
			if *budget--; *budget < 0 {
				return -1
			}
			if e := matchFrom(t, j+w, f, k+len(u), budget); e >= 0 {
				return e
			}
		}
		if w == 1 || t[j] != f[k] {
			return -1
		}
		j, k = j+1, k+1 // a '\' as it is
	}
	return j
}

// wholeToken reports whether the match t[i:end] of form f may be redacted:
// the secret is long, or the match is not part of a longer run of letters
// and digits.
func wholeToken(t []byte, i, end int, f *frameForm) bool {
	if f.anywhere {
		return true
	}
	if isAlnum(f.text[0]) && prevAlnum(t, i) {
		return false
	}
	return !isAlnum(f.text[len(f.text)-1]) || !nextAlnum(t, end)
}

// mayEscape reports whether t holds a byte that may begin an escaped
// character: then forms must be matched character by character.
func mayEscape(t []byte) bool {
	return bytes.IndexByte(t, '\\') >= 0 || bytes.IndexByte(t, '%') >= 0 || bytes.IndexByte(t, '+') >= 0
}

// findSecrets calls found for every match of a form in t, left to right,
// not overlapping; at one place the longest form is tried first. forms
// must be sorted longest first, and first must hold the first byte of
// every form.
func findSecrets(t []byte, forms []frameForm, first *[256]bool, found func(start, end int, marker []byte)) {
	if !mayEscape(t) {
		findPlain(t, forms, found)
		return
	}
	for i := 0; i < len(t); {
		c := t[i]
		if !first[c] && c != '\\' && c != '%' && c != '+' {
			i++
			continue
		}
		end := -1
		for fi := range forms {
			f := &forms[fi]
			if e := matchAt(t, i, f.text); e > i && wholeToken(t, i, e, f) {
				end = e
				found(i, e, f.marker)
				break
			}
		}
		if end < 0 {
			i++
		} else {
			i = end
		}
	}
}

// findPlain is findSecrets for a t without escapes: each form is looked
// for with bytes.Index.
func findPlain(t []byte, forms []frameForm, found func(start, end int, marker []byte)) {
	var nextBuf [24]int
	next := nextBuf[:0]
	if len(forms) > len(nextBuf) {
		next = make([]int, 0, len(forms))
	}
	for range forms {
		next = append(next, -2) // not looked for yet
	}
	for pos := 0; pos < len(t); {
		at := -1
		for fi := range forms {
			if next[fi] == -1 {
				continue
			}
			if next[fi] < pos {
				next[fi] = -1
				if k := bytes.Index(t[pos:], forms[fi].text); k >= 0 {
					next[fi] = pos + k
				}
			}
			if n := next[fi]; n >= 0 && (at < 0 || n < at) {
				at = n
			}
		}
		if at < 0 {
			return
		}
		end := -1
		for fi := range forms {
			f := &forms[fi]
			if next[fi] == at && wholeToken(t, at, at+len(f.text), f) {
				end = at + len(f.text)
				found(at, end, f.marker)
				break
			}
		}
		if end < 0 {
			pos = at + 1
		} else {
			pos = end
		}
	}
}
