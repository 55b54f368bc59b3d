package confctl

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Envelope is the common header of a frame on the push channel, plus the raw
// "data" member. It covers all three frame families: client requests, server
// replies and server notifications (see IsReply and IsNotification).
//
// Kind-specific fields that some notifications carry at the top level
// (ConfBasicInfoNotify, ConfDynamicInfoNotify) are not part of Envelope;
// decode the whole frame again for those.
type Envelope struct {
	// Action names the frame kind, e.g. "ParticipantsNotify".
	Action string
	// Sequence is the request sequence, echoed in replies.
	Sequence string
	// MsgID is the unique id of a notification.
	MsgID string
	// ConfID is the meeting the notification belongs to.
	ConfID string
	// Type is the ConfControl sub-type, e.g. "REALTIMESUBTITLE".
	Type string
	// MsgMode is 0 for a full snapshot and 1 for an incremental update.
	// It is only meaningful when HasMsgMode is true.
	MsgMode int
	// HasMsgMode reports whether the frame carried a usable msgMode.
	HasMsgMode bool
	// Version is the generation time (epoch ms) of a full message, or
	// the ascending counter of an incremental one.
	Version int64
	// CreateTime is the generation time in epoch milliseconds.
	CreateTime int64
	// Data is the raw "data" member, nil if absent. It is a copy and does
	// not alias the decoded input. A JSON null is kept as "null".
	Data json.RawMessage
}

// rawEnvelope is what encoding/json fills in; each member is interpreted
// leniently afterwards.
type rawEnvelope struct {
	Action     json.RawMessage `json:"action"`
	Sequence   json.RawMessage `json:"sequence"`
	MsgID      json.RawMessage `json:"msgID"`
	ConfID     json.RawMessage `json:"confID"`
	Type       json.RawMessage `json:"type"`
	MsgMode    json.RawMessage `json:"msgMode"`
	Version    json.RawMessage `json:"version"`
	CreateTime json.RawMessage `json:"createTime"`
	Data       json.RawMessage `json:"data"`
}

// DecodeEnvelope decodes the header of one frame.
//
// It is tolerant: members with unexpected types are left at their zero
// value; version, createTime and msgMode are accepted as numbers or as
// strings holding numbers; action, sequence, msgID, confID and type are
// accepted as strings or as numbers (giving the number's text). Unknown
// members are ignored. Member names match case-insensitively and the last
// of duplicate members wins, as with encoding/json.
//
// It returns an error wrapping ErrNotJSONObject only when b is not a JSON
// object at all (including JSON nested deeper than encoding/json's limit
// of 10000 levels). It never panics.
func DecodeEnvelope(b []byte) (Envelope, error) {
	trimmed := bytes.TrimLeft(b, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return Envelope{}, fmt.Errorf("decode envelope: %w", ErrNotJSONObject)
	}
	var raw rawEnvelope
	if err := json.Unmarshal(b, &raw); err != nil {
		return Envelope{}, fmt.Errorf("decode envelope: %w: %w", ErrNotJSONObject, err)
	}
	var e Envelope
	e.Action, _ = lenientString(raw.Action)
	e.Sequence, _ = lenientString(raw.Sequence)
	e.MsgID, _ = lenientString(raw.MsgID)
	e.ConfID, _ = lenientString(raw.ConfID)
	e.Type, _ = lenientString(raw.Type)
	e.MsgMode, e.HasMsgMode = lenientInt(raw.MsgMode)
	e.Version, _ = lenientInt64(raw.Version)
	e.CreateTime, _ = lenientInt64(raw.CreateTime)
	if raw.Data != nil {
		e.Data = raw.Data
	}
	return e, nil
}

// IsNotification reports whether e looks like a server notification: it
// has a msgID or a msgMode.
func (e Envelope) IsNotification() bool {
	return e.MsgID != "" || e.HasMsgMode
}

// IsReply reports whether e looks like a reply to a client request (or the
// request itself): it has a sequence and no msgID.
func (e Envelope) IsReply() bool {
	return e.Sequence != "" && e.MsgID == ""
}

// DataObject returns Data as a JSON object. If Data is a JSON string, as in
// client requests that double-encode their body, the string is decoded and
// its content returned if that is a JSON object. It returns nil, false when
// Data is absent or holds anything else (an array, for instance).
func (e Envelope) DataObject() (json.RawMessage, bool) {
	return objectBytes(e.Data)
}

// DefaultMaxFrame is the largest message confrec accepts by default, in
// bytes: far above the notifications the service sends, low enough that a
// hostile server cannot make a recorder hold gigabytes. Recording and
// importing use the same bound, so that whatever was recorded imports.
const DefaultMaxFrame = 32 << 20
