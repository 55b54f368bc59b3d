package confctl

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file holds the tolerant interpretation of single JSON values shared by
// the envelope, request and token decoders. The documentation and the live
// service disagree on types (numbers sent as strings and back), so every
// scalar is read leniently and anything unusable becomes the zero value.

// lenientString is LenientString; the short name reads better in this package.
func lenientString(raw json.RawMessage) (string, bool) { return LenientString(raw) }

// LenientString interprets one JSON value as text, as the service's values
// need (numbers and strings swap places between the documentation and the
// wire): the value of a JSON string, or the literal text of a JSON number.
// Anything else yields "", false.
func LenientString(raw json.RawMessage) (string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "", false
	}
	switch c := raw[0]; {
	case c == '"':
		// Fast path: no escapes and valid UTF-8 means the bytes between
		// the quotes are the value, exactly as encoding/json would give.
		if len(raw) >= 2 && raw[len(raw)-1] == '"' {
			inner := raw[1 : len(raw)-1]
			if bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
				return string(inner), true
			}
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", false
		}
		return s, true
	case c == '-' || ('0' <= c && c <= '9'):
		if !json.Valid(raw) {
			return "", false
		}
		return string(raw), true
	}
	return "", false
}

// lenientInt64 interprets raw as an integer: a JSON number, or a JSON string
// holding one ("1742263200240"). Fractions are truncated; values that are
// out of range, non-finite or not numbers yield 0, false.
func lenientInt64(raw json.RawMessage) (int64, bool) {
	s, ok := lenientString(raw)
	if !ok {
		return 0, false
	}
	return ParseInt(s)
}

// ParseInt reads text from the service as an integer: decimal digits, or a
// number with a fraction or exponent (truncated). Surrounding space is
// ignored. Out-of-range values and non-numbers yield 0, false.
func ParseInt(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || f < math.MinInt64 || f >= math.MaxInt64 {
		return 0, false
	}
	return int64(f), true
}

// lenientInt is lenientInt64 limited to the range of int.
func lenientInt(raw json.RawMessage) (int, bool) {
	n, ok := lenientInt64(raw)
	if !ok || n < math.MinInt || n > math.MaxInt {
		return 0, false
	}
	return int(n), true
}

// lenientStrings interprets raw as a list of strings: a JSON array whose
// elements are read with lenientString (others are skipped), or a single
// string or number as a one-element list.
func lenientStrings(raw json.RawMessage) []string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil
	}
	if raw[0] != '[' {
		if s, ok := lenientString(raw); ok {
			return []string{s}
		}
		return nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		if s, ok := lenientString(it); ok {
			out = append(out, s)
		}
	}
	return out
}

// objectBytes returns raw as a JSON object: raw itself if it is one, or the
// decoded content of a JSON string if that content is a valid JSON object
// (requests double-encode their data this way).
func objectBytes(raw json.RawMessage) (json.RawMessage, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, false
	}
	switch raw[0] {
	case '{':
		if !json.Valid(raw) {
			return nil, false
		}
		return raw, true
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, false
		}
		inner := bytes.TrimSpace([]byte(s))
		if len(inner) == 0 || inner[0] != '{' || !json.Valid(inner) {
			return nil, false
		}
		return inner, true
	}
	return nil, false
}
