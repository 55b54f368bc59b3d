package jsonscan

import (
	"math"
	"unicode/utf8"
)

// DefaultMaxDepth is the nesting Skip allows when Scanner.MaxDepth is
// zero.
const DefaultMaxDepth = 256

// Scanner reads the JSON text B from offset I, checking its syntax as it
// goes. The zero value with B set reads B from its start. Methods that
// fail leave I somewhere inside the piece they refused: after a false, the
// caller should give up on B.
type Scanner struct {
	// B is the text. The Scanner never modifies it.
	B []byte
	// I is the offset of the next byte to read.
	I int
	// MaxDepth bounds the nesting of the objects and arrays Skip steps
	// over: Skip refuses an object or array at depth >= MaxDepth. Zero
	// means DefaultMaxDepth.
	MaxDepth int
}

// WS skips white space.
func (s *Scanner) WS() {
	for s.I < len(s.B) {
		switch s.B[s.I] {
		case ' ', '\t', '\r', '\n':
			s.I++
		default:
			return
		}
	}
}

// Next skips white space and returns the next byte, 0 at the end. It does
// not consume the byte.
func (s *Scanner) Next() byte {
	s.WS()
	if s.I < len(s.B) {
		return s.B[s.I]
	}
	return 0
}

// Expect skips white space and consumes c if it is the next byte.
func (s *Scanner) Expect(c byte) bool {
	if s.Next() != c {
		return false
	}
	s.I++
	return true
}

// Key reads an object key made of ASCII characters without escapes and
// returns its content. It refuses other keys, whose matching against
// names encoding/json does differently (it unescapes them and folds some
// non-ASCII letters).
func (s *Scanner) Key() ([]byte, bool) {
	if s.Next() != '"' {
		return nil, false
	}
	start := s.I + 1
	for j := start; j < len(s.B); j++ {
		switch c := s.B[j]; {
		case c == '"':
			s.I = j + 1
			return s.B[start:j], true
		case c == '\\' || c < 0x20 || c >= utf8.RuneSelf:
			return nil, false
		}
	}
	return nil, false
}

// String reads a string and returns its content (empty, not nil, for "").
// It refuses strings with escapes or invalid UTF-8, which encoding/json
// would change, as well as invalid ones.
func (s *Scanner) String() ([]byte, bool) {
	if s.Next() != '"' {
		return nil, false
	}
	start := s.I + 1
	ascii := true
	for j := start; j < len(s.B); j++ {
		switch c := s.B[j]; {
		case c == '"':
			s.I = j + 1
			v := s.B[start:j]
			return v, ascii || utf8.Valid(v)
		case c == '\\' || c < 0x20:
			return nil, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return nil, false
}

// SkipString skips a string, escapes included, checking them.
func (s *Scanner) SkipString() bool {
	if s.Next() != '"' {
		return false
	}
	b := s.B
	for j := s.I + 1; j < len(b); j++ {
		c := b[j]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		switch c {
		case '"':
			s.I = j + 1
			return true
		case '\\':
			j++
			if j >= len(b) {
				return false
			}
			switch b[j] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if j+4 >= len(b) {
					return false
				}
				for _, h := range b[j+1 : j+5] {
					if !('0' <= h && h <= '9' || 'a' <= h && h <= 'f' || 'A' <= h && h <= 'F') {
						return false
					}
				}
				j += 4
			default:
				return false
			}
		default: // a control character
			return false
		}
	}
	return false
}

// digits skips a run of digits and returns how many there were.
func (s *Scanner) digits() int {
	n := 0
	for s.I < len(s.B) && '0' <= s.B[s.I] && s.B[s.I] <= '9' {
		s.I++
		n++
	}
	return n
}

// Number skips a number starting at I (no white space before it).
func (s *Scanner) Number() bool {
	if s.I < len(s.B) && s.B[s.I] == '-' {
		s.I++
	}
	first := s.I
	n := s.digits()
	if n == 0 || (n > 1 && s.B[first] == '0') {
		return false
	}
	if s.I < len(s.B) && s.B[s.I] == '.' {
		s.I++
		if s.digits() == 0 {
			return false
		}
	}
	if s.I < len(s.B) && (s.B[s.I] == 'e' || s.B[s.I] == 'E') {
		s.I++
		if s.I < len(s.B) && (s.B[s.I] == '+' || s.B[s.I] == '-') {
			s.I++
		}
		if s.digits() == 0 {
			return false
		}
	}
	return true
}

// Integer skips white space and reads a number that is an integer in the
// range of int64, without fraction or exponent. It refuses other numbers.
func (s *Scanner) Integer() (int64, bool) {
	s.WS()
	start := s.I
	if !s.Number() {
		return 0, false
	}
	t := s.B[start:s.I]
	neg := t[0] == '-'
	if neg {
		t = t[1:]
	}
	if len(t) > 19 {
		return 0, false
	}
	var n uint64
	for _, c := range t {
		if c < '0' || c > '9' { // a fraction or an exponent
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	switch {
	case neg && n <= 1<<63:
		return -int64(n), true
	case !neg && n <= math.MaxInt64:
		return int64(n), true
	}
	return 0, false
}

// Literal consumes word (true, false or null) starting at I (no white
// space before it).
func (s *Scanner) Literal(word string) bool {
	if len(s.B)-s.I < len(word) || string(s.B[s.I:s.I+len(word)]) != word {
		return false
	}
	s.I += len(word)
	return true
}

// Null skips white space and reports whether the next value is null,
// consuming it if so.
func (s *Scanner) Null() bool {
	return s.Next() == 'n' && s.Literal("null")
}

// Skip skips white space and one value, checking it. depth is the nesting
// of that value (1 for a member of the top-level object); Skip refuses
// objects and arrays at depth MaxDepth or deeper.
func (s *Scanner) Skip(depth int) bool {
	switch c := s.Next(); {
	case c == '"':
		return s.SkipString()
	case c == '{':
		if depth >= s.maxDepth() {
			return false
		}
		s.I++
		if s.Next() == '}' {
			s.I++
			return true
		}
		for {
			if !s.SkipString() || s.Next() != ':' {
				return false
			}
			s.I++
			if !s.Skip(depth + 1) {
				return false
			}
			c := s.Next()
			s.I++
			switch c {
			case ',':
			case '}':
				return true
			default:
				return false
			}
		}
	case c == '[':
		if depth >= s.maxDepth() {
			return false
		}
		s.I++
		if s.Next() == ']' {
			s.I++
			return true
		}
		for {
			if !s.Skip(depth + 1) {
				return false
			}
			c := s.Next()
			s.I++
			switch c {
			case ',':
			case ']':
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
		return s.Number()
	}
	return false
}

// maxDepth returns MaxDepth or its default.
func (s *Scanner) maxDepth() int {
	if s.MaxDepth == 0 {
		return DefaultMaxDepth
	}
	return s.MaxDepth
}
