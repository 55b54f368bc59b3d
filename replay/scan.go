package replay

import (
	"math"
	"strings"
	"unicode/utf8"

	"github.com/confrec/confrec/confctl"
)

// This file is the fast path of decodeFrame: a scanner that checks a
// frame is valid JSON and reads the members the fold needs straight from
// its bytes, without reflection and with few allocations. It handles the
// shapes the service sends (plain strings, integers, lists of objects). On
// anything else (invalid JSON, escapes in kept strings, numbers where
// strings are expected, keys differing only in case, duplicate members,
// deep nesting, ...) it gives up and decodeFrame uses decodeLenient, which
// defines the result: when scanFrame succeeds, it fills w exactly as
// decodeLenient would (FuzzScanFrame checks this).

// maxScanDepth bounds the nesting the scanner skips; deeper frames go to
// decodeLenient (and encoding/json's own limit).
const maxScanDepth = 512

// scanner reads a JSON text, checking its syntax as it goes.
type scanner struct {
	b []byte
	i int
}

// ws skips white space.
func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\r', '\n':
			s.i++
		default:
			return
		}
	}
}

// peek returns the next byte after white space (0 at the end).
func (s *scanner) peek() byte {
	s.ws()
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// expect consumes c, the next byte after white space.
func (s *scanner) expect(c byte) bool {
	if s.peek() != c {
		return false
	}
	s.i++
	return true
}

// str reads a string and returns its content. ok is false for strings
// with escapes or invalid UTF-8 (which encoding/json would change), left
// to decodeLenient, and for invalid ones.
func (s *scanner) str() (v []byte, ok bool) {
	if s.peek() != '"' {
		return nil, false
	}
	start := s.i + 1
	ascii := true
	for j := start; j < len(s.b); j++ {
		switch c := s.b[j]; {
		case c == '"':
			s.i = j + 1
			v = s.b[start:j]
			return v, ascii || utf8.Valid(v)
		case c == '\\' || c < 0x20:
			return nil, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return nil, false
}

// skipStr skips a string, escapes included.
func (s *scanner) skipStr() bool {
	if s.peek() != '"' {
		return false
	}
	for j := s.i + 1; j < len(s.b); j++ {
		switch c := s.b[j]; {
		case c == '"':
			s.i = j + 1
			return true
		case c < 0x20:
			return false
		case c == '\\':
			j++
			if j >= len(s.b) {
				return false
			}
			switch s.b[j] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if j+4 >= len(s.b) {
					return false
				}
				for _, h := range s.b[j+1 : j+5] {
					if !('0' <= h && h <= '9' || 'a' <= h && h <= 'f' || 'A' <= h && h <= 'F') {
						return false
					}
				}
				j += 4
			default:
				return false
			}
		}
	}
	return false
}

// digits skips a run of digits and reports how many there were.
func (s *scanner) digits() int {
	n := 0
	for s.i < len(s.b) && '0' <= s.b[s.i] && s.b[s.i] <= '9' {
		s.i++
		n++
	}
	return n
}

// skipNumber skips a number.
func (s *scanner) skipNumber() bool {
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == '-' {
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

// integer reads a number that is an integer in int64 range (no fraction,
// no exponent).
func (s *scanner) integer() (int64, bool) {
	s.ws()
	start := s.i
	if !s.skipNumber() {
		return 0, false
	}
	t := s.b[start:s.i]
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

// int32 is integer limited to the range of int32, the range
// decodeLenient keeps for msgMode, mode and speakingVolume.
func (s *scanner) int32() (int, bool) {
	n, ok := s.integer()
	if !ok || n < math.MinInt32 || n > math.MaxInt32 {
		return 0, false
	}
	return int(n), true
}

// literal consumes word.
func (s *scanner) literal(word string) bool {
	if s.peek() == 0 || len(s.b)-s.i < len(word) || string(s.b[s.i:s.i+len(word)]) != word {
		return false
	}
	s.i += len(word)
	return true
}

// null reports whether the next value is null, and consumes it if so.
func (s *scanner) null() bool {
	return s.peek() == 'n' && s.literal("null")
}

// skip skips one value, checking it.
func (s *scanner) skip(depth int) bool {
	switch c := s.peek(); {
	case c == '"':
		return s.skipStr()
	case c == '{':
		if depth >= maxScanDepth {
			return false
		}
		return s.object(nil, func([]byte, int) bool { return s.skip(depth + 1) })
	case c == '[':
		if depth >= maxScanDepth {
			return false
		}
		s.i++
		if s.peek() == ']' {
			s.i++
			return true
		}
		for {
			if !s.skip(depth + 1) {
				return false
			}
			switch s.peek() {
			case ',':
				s.i++
			case ']':
				s.i++
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
		return s.skipNumber()
	}
	return false
}

// raw reads one value and returns a copy of its bytes, nil for null (as
// json.RawMessage, then nullToNil, in decodeLenient).
func (s *scanner) raw() ([]byte, bool) {
	if s.null() {
		return nil, true
	}
	start := s.i
	if !s.skip(1) {
		return nil, false
	}
	return append([]byte(nil), s.b[start:s.i]...), true
}

// object calls member for each member of the object at s.i, with its key
// and the index of the key in keys (-1 when it is none of them); member
// must consume the value. It fails on invalid syntax, when member fails,
// when a key has escapes and, given keys, when a key is not ASCII or
// matches one of keys only without regard to case (encoding/json would
// take it), or when one of keys appears twice.
func (s *scanner) object(keys []string, member func(key []byte, k int) bool) bool {
	if s.peek() != '{' {
		return false
	}
	s.i++
	if s.peek() == '}' {
		s.i++
		return true
	}
	var seen uint32
	for {
		key, ok := s.str()
		if !ok {
			return false
		}
		k := -1
		for j, want := range keys {
			if string(key) == want {
				k = j
				break
			}
		}
		if k < 0 && keys != nil && !plainKey(key, keys) {
			return false
		}
		if k >= 0 {
			if seen&(1<<k) != 0 {
				return false
			}
			seen |= 1 << k
		}
		if !s.expect(':') || !member(key, k) {
			return false
		}
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			return true
		default:
			return false
		}
	}
}

// plainKey reports whether key is ASCII and equal to none of keys without
// regard to case.
func plainKey(key []byte, keys []string) bool {
	for _, c := range key {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	for _, want := range keys {
		if len(key) == len(want) && strings.EqualFold(string(key), want) {
			return false
		}
	}
	return true
}

// Members read, in the order of their bits in object's seen set.
var (
	frameKeys = []string{"action", "msgID", "msgMode", "version", "createTime", "data",
		"title", "owner", "startTime", "scheduledStartTime"}
	itemKeys = []string{"pid", "mode", "pinfoMap", "name", "speakingVolume", "callNumber",
		"resultCode", "errorCode", "userUUID", "participantID", "role", "type"}
)

// scanFrame fills w (reset by the caller) from b, valid JSON. It reports
// false when b holds something it leaves to decodeLenient.
func scanFrame(b []byte, w *wireFrame) bool {
	s := scanner{b: b}
	ok := s.object(frameKeys, func(_ []byte, k int) bool {
		var ok bool
		switch k {
		case 0, 1: // action, msgID
			var v []byte
			if v, ok = s.str(); ok {
				if k == 0 {
					w.Action = internAction(v)
				} else {
					w.MsgID = string(v)
				}
			}
		case 2:
			w.MsgMode, ok = s.int32()
		case 3:
			w.Version, ok = s.integer()
		case 4:
			w.CreateTime, ok = s.integer()
		case 5:
			ok = s.items(w)
		case 6:
			w.Title, ok = s.raw()
		case 7:
			w.Owner, ok = s.raw()
		case 8:
			w.StartTime, ok = s.raw()
		case 9:
			w.ScheduledStartTime, ok = s.raw()
		default:
			ok = s.skip(1)
		}
		return ok
	})
	return ok && s.peek() == 0 && s.i == len(s.b)
}

// items reads the "data" member: a list of objects into w.Data (reusing
// its array), nil for anything else.
func (s *scanner) items(w *wireFrame) bool {
	if s.peek() != '[' {
		return s.skip(1)
	}
	s.i++
	if w.spare == nil {
		w.spare = make([]wireItem, 0, 4)
	}
	w.Data = w.spare[:0] // not nil: the list is there
	if s.peek() == ']' {
		s.i++
		return true
	}
	for {
		w.Data = append(w.Data, wireItem{})
		if !s.item(&w.Data[len(w.Data)-1]) {
			return false
		}
		switch s.peek() {
		case ',':
			s.i++
		case ']':
			s.i++
			w.spare = w.Data
			return true
		default:
			return false
		}
	}
}

// item reads one element of "data".
func (s *scanner) item(it *wireItem) bool {
	return s.object(itemKeys, func(_ []byte, k int) bool {
		var ok bool
		var v []byte
		switch k {
		case 0, 3, 5, 6, 7, 8, 9, 11: // the strings
			if s.null() {
				return true
			}
			if v, ok = s.str(); !ok {
				return false
			}
			str := string(v)
			switch k {
			case 0:
				it.PID = str
			case 3:
				it.Name = str
			case 5:
				it.CallNumber = str
			case 6:
				it.ResultCode = str
			case 7:
				it.ErrorCode = str
			case 8:
				it.UserUUID = str
			case 9:
				it.ParticipantID = str
			case 11:
				it.Type = str
			}
		case 1:
			if s.null() {
				return true
			}
			it.Mode, ok = s.int32()
		case 4:
			if s.null() {
				return true
			}
			it.SpeakingVolume, ok = s.int32()
		case 2:
			ok = s.pinfoMap(it)
		case 10:
			it.Role, ok = s.raw()
		default:
			ok = s.skip(2)
		}
		return ok
	})
}

// pinfoMap reads a pinfoMap whose values are all strings.
func (s *scanner) pinfoMap(it *wireItem) bool {
	if s.null() {
		return true
	}
	m := make(map[string]string, 4)
	ok := s.object(nil, func(key []byte, _ int) bool {
		v, ok := s.str()
		if ok {
			m[internKey(key)] = internValue(v)
		}
		return ok
	})
	it.PinfoMap = m
	return ok
}

// internAction returns action as a string, without allocating for the
// known actions.
func internAction(b []byte) string {
	switch string(b) {
	case confctl.ActionParticipants:
		return confctl.ActionParticipants
	case confctl.ActionSpeakerChange:
		return confctl.ActionSpeakerChange
	case confctl.ActionNetCondition:
		return confctl.ActionNetCondition
	case confctl.ActionHeartBeat:
		return confctl.ActionHeartBeat
	case confctl.ActionConfDynamicInfo:
		return confctl.ActionConfDynamicInfo
	case confctl.ActionInviteResult:
		return confctl.ActionInviteResult
	case confctl.ActionWaitingList:
		return confctl.ActionWaitingList
	case confctl.ActionAttendees:
		return confctl.ActionAttendees
	case confctl.ActionConfBasicInfo:
		return confctl.ActionConfBasicInfo
	case confctl.ActionRealTimeSubtitle:
		return confctl.ActionRealTimeSubtitle
	}
	return string(b)
}

// internKey returns a pinfoMap key as a string, without allocating for the
// frequent ones.
func internKey(b []byte) string {
	switch string(b) {
	case "MUTE":
		return "MUTE"
	case "HAND":
		return "HAND"
	case "CAMERASTATE":
		return "CAMERASTATE"
	case "SHARE":
		return "SHARE"
	case "ROLE":
		return "ROLE"
	case "STATE":
		return "STATE"
	case "IS_COHOST":
		return "IS_COHOST"
	case "NAME":
		return "NAME"
	case "TEL":
		return "TEL"
	}
	return string(b)
}

// internValue returns a pinfoMap value as a string, without allocating
// for "0" and "1".
func internValue(b []byte) string {
	switch string(b) {
	case "0":
		return "0"
	case "1":
		return "1"
	}
	return string(b)
}
