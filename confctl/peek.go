package confctl

import (
	"strings"
	"unicode/utf8"
)

// This file is the fast path for reading a frame's action and msgID: a
// scanner that checks the frame is a valid JSON object and picks the two
// top-level members from its bytes without allocating. On anything unusual
// (escapes or invalid UTF-8 in the values, keys that would match only
// without regard to case, non-ASCII or escaped keys, duplicate members,
// deep nesting) it falls back to DecodeEnvelope, which defines the result:
// Peek and PeekBytes always agree with DecodeEnvelope (FuzzPeek checks
// this).

// maxPeekDepth bounds the nesting the scanner skips; deeper frames go to
// DecodeEnvelope.
const maxPeekDepth = 256

// Peek returns the action and msgID of the frame b as DecodeEnvelope reads
// them, "" for a member that is absent or unusable and for a b that is not
// a JSON object. It allocates nothing for the actions this package names
// and one string for a msgID.
func Peek(b []byte) (action, msgID string) {
	a, m, ok := peek(b)
	if !ok {
		e, _ := DecodeEnvelope(b)
		return e.Action, e.MsgID
	}
	if len(m) > 0 {
		msgID = string(m)
	}
	return internAction(a), msgID
}

// PeekBytes is Peek returning the values as byte slices. On the common path
// they alias b (the caller must not modify them); nil means "".
func PeekBytes(b []byte) (action, msgID []byte) {
	a, m, ok := peek(b)
	if !ok {
		e, _ := DecodeEnvelope(b)
		if e.Action != "" {
			a = []byte(e.Action)
		}
		if e.MsgID != "" {
			m = []byte(e.MsgID)
		}
		return a, m
	}
	return a, m
}

// peek is the fast path. ok is false when b needs DecodeEnvelope to decide.
func peek(b []byte) (action, msgID []byte, ok bool) {
	s := peekScanner{b: b}
	s.ws()
	if s.i >= len(b) || b[s.i] != '{' {
		return nil, nil, false
	}
	s.i++
	var seenAction, seenMsgID bool
	if s.next() == '}' {
		s.i++
	} else {
		for {
			key, kok := s.key()
			if !kok || s.next() != ':' {
				return nil, nil, false
			}
			s.i++
			switch {
			case string(key) == "action":
				if seenAction {
					return nil, nil, false
				}
				seenAction = true
				if action, ok = s.member(); !ok {
					return nil, nil, false
				}
			case string(key) == "msgID":
				if seenMsgID {
					return nil, nil, false
				}
				seenMsgID = true
				if msgID, ok = s.member(); !ok {
					return nil, nil, false
				}
			case len(key) == len("action") && strings.EqualFold(string(key), "action"),
				len(key) == len("msgID") && strings.EqualFold(string(key), "msgID"):
				return nil, nil, false
			default:
				if !s.skip(1) {
					return nil, nil, false
				}
			}
			c := s.next()
			s.i++
			if c == '}' {
				break
			}
			if c != ',' {
				return nil, nil, false
			}
		}
	}
	s.ws()
	if s.i != len(b) {
		return nil, nil, false
	}
	return action, msgID, true
}

// peekScanner reads a JSON text, checking its syntax as it goes.
type peekScanner struct {
	b []byte
	i int
}

// ws skips white space.
func (s *peekScanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\r', '\n':
			s.i++
		default:
			return
		}
	}
}

// next returns the next byte after white space, 0 at the end.
func (s *peekScanner) next() byte {
	s.ws()
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// key reads an object key: ASCII, no escapes (others are left to
// DecodeEnvelope, as encoding/json folds some non-ASCII letters).
func (s *peekScanner) key() ([]byte, bool) {
	if s.next() != '"' {
		return nil, false
	}
	start := s.i + 1
	for j := start; j < len(s.b); j++ {
		switch c := s.b[j]; {
		case c == '"':
			s.i = j + 1
			return s.b[start:j], true
		case c == '\\' || c < 0x20 || c >= utf8.RuneSelf:
			return nil, false
		}
	}
	return nil, false
}

// member reads the value of action or msgID as DecodeEnvelope does: a
// string's content (without escapes, valid UTF-8), a number's text, nil for
// anything else.
func (s *peekScanner) member() ([]byte, bool) {
	switch c := s.next(); {
	case c == '"':
		start := s.i + 1
		ascii := true
		for j := start; j < len(s.b); j++ {
			switch c := s.b[j]; {
			case c == '"':
				s.i = j + 1
				v := s.b[start:j]
				if !ascii && !utf8.Valid(v) {
					return nil, false
				}
				if len(v) == 0 {
					v = nil
				}
				return v, true
			case c == '\\' || c < 0x20:
				return nil, false
			case c >= utf8.RuneSelf:
				ascii = false
			}
		}
		return nil, false
	case c == '-' || '0' <= c && c <= '9':
		start := s.i
		if !s.number() {
			return nil, false
		}
		return s.b[start:s.i], true
	}
	return nil, s.skip(1)
}

// skip skips one value, checking it.
func (s *peekScanner) skip(depth int) bool {
	switch c := s.next(); {
	case c == '"':
		return s.str()
	case c == '{':
		if depth >= maxPeekDepth {
			return false
		}
		s.i++
		if s.next() == '}' {
			s.i++
			return true
		}
		for {
			if s.next() != '"' || !s.str() || s.next() != ':' {
				return false
			}
			s.i++
			if !s.skip(depth + 1) {
				return false
			}
			c := s.next()
			s.i++
			switch c {
			case ',':
			case '}':
				return true
			default:
				return false
			}
		}
	case c == '[':
		if depth >= maxPeekDepth {
			return false
		}
		s.i++
		if s.next() == ']' {
			s.i++
			return true
		}
		for {
			if !s.skip(depth + 1) {
				return false
			}
			c := s.next()
			s.i++
			switch c {
			case ',':
			case ']':
				return true
			default:
				return false
			}
		}
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	case c == '-' || '0' <= c && c <= '9':
		return s.number()
	}
	return false
}

// str skips a string at s.i, escapes included, checking them.
func (s *peekScanner) str() bool {
	b := s.b
	for j := s.i + 1; j < len(b); j++ {
		c := b[j]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		switch c {
		case '"':
			s.i = j + 1
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
func (s *peekScanner) digits() int {
	n := 0
	for s.i < len(s.b) && '0' <= s.b[s.i] && s.b[s.i] <= '9' {
		s.i++
		n++
	}
	return n
}

// number skips a number at s.i.
func (s *peekScanner) number() bool {
	if s.b[s.i] == '-' {
		s.i++
	}
	first := s.i
	n := s.digits()
	if n == 0 || (n > 1 && s.b[first] == '0') {
		return false
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if s.digits() == 0 {
			return false
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if s.digits() == 0 {
			return false
		}
	}
	return true
}

// literal consumes word at s.i.
func (s *peekScanner) literal(word string) bool {
	if len(s.b)-s.i < len(word) || string(s.b[s.i:s.i+len(word)]) != word {
		return false
	}
	s.i += len(word)
	return true
}

// internAction returns action as a string, without allocating for the
// actions this package names.
func internAction(b []byte) string {
	switch string(b) {
	case "":
		return ""
	case ActionParticipants:
		return ActionParticipants
	case ActionSpeakerChange:
		return ActionSpeakerChange
	case ActionNetCondition:
		return ActionNetCondition
	case ActionHeartBeat:
		return ActionHeartBeat
	case ActionConfDynamicInfo:
		return ActionConfDynamicInfo
	case ActionConfBasicInfo:
		return ActionConfBasicInfo
	case ActionInviteResult:
		return ActionInviteResult
	case ActionWaitingList:
		return ActionWaitingList
	case ActionAttendees:
		return ActionAttendees
	case ActionRealTimeSubtitle:
		return ActionRealTimeSubtitle
	case ActionSubscribe:
		return ActionSubscribe
	case ActionConfControl:
		return ActionConfControl
	case ActionInterpreterGroup:
		return ActionInterpreterGroup
	case ActionCustomMultiPic:
		return ActionCustomMultiPic
	case ActionNetworkQuality:
		return ActionNetworkQuality
	}
	return string(b)
}
