package export

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Every CSV export writes its records with appendCSVRecord: RFC 4180, a
// header row, CRLF after each record. A cell is quoted when it holds a
// comma, a quote, CR or LF (or starts with a space); inside quotes every
// byte is kept as it is, line breaks included, and a quote is doubled.
// Invalid UTF-8 becomes U+FFFD, one per bad byte, as in the JSON exports.
// A cell that a spreadsheet would run as a formula is prefixed with '; see
// appendCSVCell.

// csvRecordEnd ends every CSV record.
const csvRecordEnd = "\r\n"

// appendCSVRecord appends cells as one CSV record.
func appendCSVRecord(b []byte, cells []string) []byte {
	for i, c := range cells {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendCSVCell(b, c)
	}
	return append(b, csvRecordEnd...)
}

// appendCSVCell appends s as one CSV cell. A cell whose value starts with
// = + - @ TAB, CR or NUL is prefixed with ' unless it is a plain decimal number
// (isPlainNumber), and so is one that starts with ' itself: a reader gets
// the exact value back by removing one leading ' from any cell that has
// one.
func appendCSVCell(b []byte, s string) []byte {
	if !utf8.ValidString(s) {
		s = validUTF8(s)
	}
	quote := csvNeedsQuotes(s)
	if quote {
		b = append(b, '"')
	}
	if csvNeedsPrefix(s) {
		b = append(b, '\'')
	}
	if !quote {
		return append(b, s...)
	}
	for {
		i := strings.IndexByte(s, '"')
		if i < 0 {
			break
		}
		b = append(b, s[:i+1]...)
		b = append(b, '"')
		s = s[i+1:]
	}
	b = append(b, s...)
	return append(b, '"')
}

// csvNeedsQuotes says whether s must be quoted: it holds a comma, a quote,
// CR or LF, or starts with a space (which some readers trim).
func csvNeedsQuotes(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ',', '"', '\r', '\n':
			return true
		}
	}
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsSpace(r)
}

// csvNeedsPrefix says whether the cell of s starts with ': s starts with '
// or with a character that makes a spreadsheet read a formula (OWASP's
// list: = + - @ TAB CR, and NUL, which ASVS adds) and is not a plain number.
func csvNeedsPrefix(s string) bool {
	if s == "" {
		return false
	}
	switch s[0] {
	case '\'', '=', '@', '\t', '\r', 0:
		return true
	case '+', '-':
		return !isPlainNumber(s)
	}
	return false
}

// isPlainNumber says whether s is a plain decimal number: an optional sign,
// digits, optionally a point and digits, optionally e or E, a sign and
// digits ("-5", "+3", "-1.5e3"; not "-", "1.", ".5", "0x1F" or "-1-2").
func isPlainNumber(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := func() bool {
		start := i
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
		return i > start
	}
	if !digits() {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if !digits() {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if !digits() {
			return false
		}
	}
	return i == len(s)
}

// validUTF8 replaces each byte of s that is not part of valid UTF-8 with
// U+FFFD, as encoding/json does.
func validUTF8(s string) string {
	b := make([]byte, 0, len(s)+8)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b = utf8.AppendRune(b, utf8.RuneError)
		} else {
			b = append(b, s[i:i+n]...)
		}
		i += n
	}
	return string(b)
}
