package replay

import (
	"math"
	"strings"
	"unicode/utf8"

	"github.com/confrec/confrec/confctl"
	"github.com/confrec/confrec/internal/jsonscan"
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

// scanner is the jsonscan.Scanner with the readers of the members
// decodeLenient keeps.
type scanner struct {
	jsonscan.Scanner
}

// int32 is Integer limited to the range of int32, the range
// decodeLenient keeps for msgMode, mode and speakingVolume.
func (s *scanner) int32() (int, bool) {
	n, ok := s.Integer()
	if !ok || n < math.MinInt32 || n > math.MaxInt32 {
		return 0, false
	}
	return int(n), true
}

// raw reads one value and returns a copy of its bytes, nil for null (as
// json.RawMessage, then nullToNil, in decodeLenient).
func (s *scanner) raw() ([]byte, bool) {
	if s.Null() {
		return nil, true
	}
	start := s.I
	if !s.Skip(1) {
		return nil, false
	}
	return append([]byte(nil), s.B[start:s.I]...), true
}

// object calls member for each member of the object at s.I, with its key
// and the index of the key in keys (-1 when it is none of them); member
// must consume the value. It fails on invalid syntax, when member fails,
// when a key has escapes and, given keys, when a key is not ASCII or
// matches one of keys only without regard to case (encoding/json would
// take it), or when one of keys appears twice.
func (s *scanner) object(keys []string, member func(key []byte, k int) bool) bool {
	if s.Next() != '{' {
		return false
	}
	s.I++
	if s.Next() == '}' {
		s.I++
		return true
	}
	var seen uint32
	for {
		key, ok := s.String()
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
		if !s.Expect(':') || !member(key, k) {
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
	s := scanner{jsonscan.Scanner{B: b, MaxDepth: maxScanDepth}}
	ok := s.object(frameKeys, func(_ []byte, k int) bool {
		var ok bool
		switch k {
		case 0, 1: // action, msgID
			var v []byte
			if v, ok = s.String(); ok {
				if k == 0 {
					w.Action = internAction(v)
				} else {
					w.MsgID = string(v)
				}
			}
		case 2:
			w.MsgMode, ok = s.int32()
		case 3:
			w.Version, ok = s.Integer()
		case 4:
			w.CreateTime, ok = s.Integer()
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
			ok = s.Skip(1)
		}
		return ok
	})
	return ok && s.Next() == 0 && s.I == len(s.B)
}

// items reads the "data" member: a list of objects into w.Data (reusing
// its array), nil for anything else.
func (s *scanner) items(w *wireFrame) bool {
	if s.Next() != '[' {
		return s.Skip(1)
	}
	s.I++
	if w.spare == nil {
		w.spare = make([]wireItem, 0, 4)
	}
	w.Data = w.spare[:0] // not nil: the list is there
	if s.Next() == ']' {
		s.I++
		return true
	}
	for {
		w.Data = append(w.Data, wireItem{})
		if !s.item(&w.Data[len(w.Data)-1]) {
			return false
		}
		switch s.Next() {
		case ',':
			s.I++
		case ']':
			s.I++
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
			if s.Null() {
				return true
			}
			if v, ok = s.String(); !ok {
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
			if s.Null() {
				return true
			}
			it.Mode, ok = s.int32()
		case 4:
			if s.Null() {
				return true
			}
			it.SpeakingVolume, ok = s.int32()
		case 2:
			ok = s.pinfoMap(it)
		case 10:
			it.Role, ok = s.raw()
		default:
			ok = s.Skip(2)
		}
		return ok
	})
}

// pinfoMap reads a pinfoMap whose values are all strings.
func (s *scanner) pinfoMap(it *wireItem) bool {
	if s.Null() {
		return true
	}
	m := make(map[string]string, 4)
	ok := s.object(nil, func(key []byte, _ int) bool {
		v, ok := s.String()
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
