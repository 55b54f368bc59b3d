package confctl

import (
	"strings"

	"github.com/confrec/confrec/internal/jsonscan"
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
	s := jsonscan.Scanner{B: b, MaxDepth: maxPeekDepth}
	s.WS()
	if s.I >= len(b) || b[s.I] != '{' {
		return nil, nil, false
	}
	s.I++
	var seenAction, seenMsgID bool
	if s.Next() == '}' {
		s.I++
	} else {
		for {
			key, kok := s.Key()
			if !kok || s.Next() != ':' {
				return nil, nil, false
			}
			s.I++
			switch {
			case string(key) == "action":
				if seenAction {
					return nil, nil, false
				}
				seenAction = true
				if action, ok = member(&s); !ok {
					return nil, nil, false
				}
			case string(key) == "msgID":
				if seenMsgID {
					return nil, nil, false
				}
				seenMsgID = true
				if msgID, ok = member(&s); !ok {
					return nil, nil, false
				}
			case len(key) == len("action") && strings.EqualFold(string(key), "action"),
				len(key) == len("msgID") && strings.EqualFold(string(key), "msgID"):
				return nil, nil, false
			default:
				if !s.Skip(1) {
					return nil, nil, false
				}
			}
			c := s.Next()
			s.I++
			if c == '}' {
				break
			}
			if c != ',' {
				return nil, nil, false
			}
		}
	}
	s.WS()
	if s.I != len(b) {
		return nil, nil, false
	}
	return action, msgID, true
}

// member reads the value of action or msgID as DecodeEnvelope does: a
// string's content (without escapes, valid UTF-8), a number's text, nil for
// anything else.
func member(s *jsonscan.Scanner) ([]byte, bool) {
	switch c := s.Next(); {
	case c == '"':
		v, ok := s.String()
		if len(v) == 0 {
			v = nil
		}
		return v, ok
	case c == '-' || '0' <= c && c <= '9':
		start := s.I
		if !s.Number() {
			return nil, false
		}
		return s.B[start:s.I], true
	}
	return nil, s.Skip(1)
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
