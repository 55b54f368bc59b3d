package replay

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"

	"github.com/confrec/confrec/confctl"
)

// This file decodes the fields of a notification that the fold needs.
// decodeLenient defines the result: it reads every member with
// encoding/json as raw bytes and interprets each leniently (numbers sent
// as strings and back, odd members skipped). scanFrame (scan.go) gives the
// same result much faster for the frames the service actually sends, and
// hands everything else to decodeLenient. Either way the fold sees a
// wireFrame.

// wireFrame is what the fold reads of one notification: the header, the
// "data" list of every list kind and the top-level fields of
// ConfBasicInfoNotify. ConfDynamicInfoNotify's flat fields are read apart
// (decodeDynamic), since all of them are kept.
type wireFrame struct {
	Action     string
	MsgID      string
	MsgMode    int // -1 when absent or unusable
	Version    int64
	CreateTime int64
	// Data is nil when "data" is absent, null or not a list.
	Data []wireItem

	// ConfBasicInfoNotify members, raw; nil when absent or null.
	Title, Owner, StartTime, ScheduledStartTime json.RawMessage

	spare []wireItem // an array for Data, reused from frame to frame
}

// wireItem is one element of a notification's "data" list: the union of
// the members the fold reads of participants, waiting-room members,
// speakers, invite results and attendees.
type wireItem struct {
	PID            string
	Mode           int
	PinfoMap       map[string]string // nil when absent or not an object
	Name           string
	SpeakingVolume int
	CallNumber     string
	ResultCode     string
	ErrorCode      string // the tables' spelling of resultCode
	UserUUID       string
	ParticipantID  string
	Role           json.RawMessage // nil when absent or null
	Type           string
}

// errNotObject reports a frame that is not a JSON object.
var errNotObject = errors.New("not a JSON object")

// decodeFrame decodes b into w, which it resets first. The error says why
// a frame cannot be read at all (not a JSON object, malformed JSON).
func decodeFrame(b []byte, w *wireFrame) error {
	*w = wireFrame{MsgMode: -1, spare: w.spare}
	trimmed := bytes.TrimLeft(b, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return errNotObject
	}
	if scanFrame(b, w) {
		return nil
	}
	return decodeLenient(b, w)
}

// lenientFrame is wireFrame with every member kept raw.
type lenientFrame struct {
	Action             json.RawMessage `json:"action"`
	MsgID              json.RawMessage `json:"msgID"`
	MsgMode            json.RawMessage `json:"msgMode"`
	Version            json.RawMessage `json:"version"`
	CreateTime         json.RawMessage `json:"createTime"`
	Data               json.RawMessage `json:"data"`
	Title              json.RawMessage `json:"title"`
	Owner              json.RawMessage `json:"owner"`
	StartTime          json.RawMessage `json:"startTime"`
	ScheduledStartTime json.RawMessage `json:"scheduledStartTime"`
}

// lenientItem is wireItem with every member kept raw.
type lenientItem struct {
	PID            json.RawMessage `json:"pid"`
	Mode           json.RawMessage `json:"mode"`
	PinfoMap       json.RawMessage `json:"pinfoMap"`
	Name           json.RawMessage `json:"name"`
	SpeakingVolume json.RawMessage `json:"speakingVolume"`
	CallNumber     json.RawMessage `json:"callNumber"`
	ResultCode     json.RawMessage `json:"resultCode"`
	ErrorCode      json.RawMessage `json:"errorCode"`
	UserUUID       json.RawMessage `json:"userUUID"`
	ParticipantID  json.RawMessage `json:"participantID"`
	Role           json.RawMessage `json:"role"`
	Type           json.RawMessage `json:"type"`
}

// decodeLenient fills w from b reading every scalar leniently (strings
// for numbers and back, booleans as "1"/"0") and skipping what cannot be
// used: list elements that are not objects, pinfoMap values that are not
// scalars.
func decodeLenient(b []byte, w *wireFrame) error {
	*w = wireFrame{MsgMode: -1, spare: w.spare}
	var lf lenientFrame
	if err := json.Unmarshal(b, &lf); err != nil {
		return err
	}
	w.Action, _ = lenientString(lf.Action)
	w.MsgID, _ = lenientString(lf.MsgID)
	if n, ok := lenientInt(lf.MsgMode); ok && n >= math.MinInt32 && n <= math.MaxInt32 {
		w.MsgMode = int(n)
	}
	w.Version, _ = lenientInt(lf.Version)
	w.CreateTime, _ = lenientInt(lf.CreateTime)
	w.Title, w.Owner = nullToNil(lf.Title), nullToNil(lf.Owner)
	w.StartTime, w.ScheduledStartTime = nullToNil(lf.StartTime), nullToNil(lf.ScheduledStartTime)

	data := bytes.TrimSpace(lf.Data)
	if len(data) == 0 || data[0] != '[' {
		return nil
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(data, &elems); err != nil {
		return nil
	}
	w.Data = make([]wireItem, 0, len(elems))
	for _, e := range elems {
		e = bytes.TrimSpace(e)
		if len(e) == 0 || e[0] != '{' {
			continue
		}
		var li lenientItem
		if json.Unmarshal(e, &li) != nil {
			continue
		}
		var it wireItem
		it.PID, _ = lenientString(li.PID)
		if n, ok := lenientInt(li.Mode); ok && n >= math.MinInt32 && n <= math.MaxInt32 {
			it.Mode = int(n)
		}
		it.PinfoMap = lenientMap(li.PinfoMap)
		it.Name, _ = lenientString(li.Name)
		if n, ok := lenientInt(li.SpeakingVolume); ok && n >= math.MinInt32 && n <= math.MaxInt32 {
			it.SpeakingVolume = int(n)
		}
		it.CallNumber, _ = lenientString(li.CallNumber)
		it.ResultCode, _ = lenientString(li.ResultCode)
		it.ErrorCode, _ = lenientString(li.ErrorCode)
		it.UserUUID, _ = lenientString(li.UserUUID)
		it.ParticipantID, _ = lenientString(li.ParticipantID)
		it.Role = nullToNil(li.Role)
		it.Type, _ = lenientString(li.Type)
		w.Data = append(w.Data, it)
	}
	return nil
}

// nullToNil returns nil for an absent or null member, raw otherwise.
func nullToNil(raw json.RawMessage) json.RawMessage {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || string(t) == "null" {
		return nil
	}
	return raw
}

// lenientMap reads a pinfoMap: an object whose scalar values become
// strings (see lenientString). Anything else gives nil.
func lenientMap(raw json.RawMessage) map[string]string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return nil
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		if s, ok := lenientString(v); ok {
			out[k] = s
		}
	}
	return out
}

// lenientString reads a scalar as text, as confctl.LenientString does, and
// also true and false as "1" and "0" (flags sent as booleans).
func lenientString(raw json.RawMessage) (string, bool) {
	switch string(bytes.TrimSpace(raw)) {
	case "true":
		return "1", true
	case "false":
		return "0", true
	}
	return confctl.LenientString(raw)
}

// lenientInt reads a scalar as an integer (see confctl.ParseInt).
func lenientInt(raw json.RawMessage) (int64, bool) {
	s, ok := lenientString(raw)
	if !ok {
		return 0, false
	}
	return confctl.ParseInt(s)
}

// flag reads a "0"/"1" attribute: true for a non-zero number or "true"
// (any case), false for anything else, absent included.
func flag(s string) bool {
	switch s {
	case "1":
		return true
	case "", "0":
		return false
	}
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, "true") {
		return true
	}
	f, err := strconv.ParseFloat(s, 64)
	return err == nil && f != 0 && !math.IsNaN(f)
}

// decodeDynamic returns the flat members of a ConfDynamicInfoNotify,
// raw, without the header members every notification has.
func decodeDynamic(b []byte) map[string]json.RawMessage {
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil {
		return nil
	}
	for _, k := range headerMembers {
		delete(m, k)
	}
	return m
}

// headerMembers are the members of every notification's header.
var headerMembers = []string{"action", "version", "createTime", "msgID", "msgMode", "confID"}
