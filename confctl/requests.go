package confctl

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// HeartBeatSequence returns the sequence for a HeartBeat sent at t: the
// epoch-millisecond timestamp left-padded with zeros to 30 characters, as
// in the official example ("000000000000000001611993655770").
func HeartBeatSequence(t time.Time) string {
	return fmt.Sprintf("%030d", t.UnixMilli())
}

// request is the envelope of a frame without a data member.
type request struct {
	Action   string `json:"action"`
	Sequence string `json:"sequence"`
}

// NewHeartBeat returns the frame {"action":"HeartBeat","sequence":seq}.
// See HeartBeatSequence.
func NewHeartBeat(seq string) []byte {
	return marshal(request{Action: ActionHeartBeat, Sequence: seq})
}

// NewHeartBeatReply returns the server's echo of a HeartBeat with sequence
// seq, which has the same shape as the request.
func NewHeartBeatReply(seq string) []byte {
	return NewHeartBeat(seq)
}

// subscribeData is the body of a Subscribe request.
type subscribeData struct {
	ConferenceID  string   `json:"conferenceID"`
	SubscribeType []string `json:"subscribeType"`
	ConfToken     string   `json:"confToken"`
}

// NewSubscribe returns a Subscribe frame. As in the official examples, its
// data member is a JSON string holding {conferenceID, subscribeType,
// confToken}, and confToken is sent as "Basic " + base64(confToken). Empty
// types means DefaultSubscribeTypes.
//
// The returned frame contains the token: never log it unredacted.
func NewSubscribe(seq, conferenceID string, types []string, confToken Secret) []byte {
	if len(types) == 0 {
		types = DefaultSubscribeTypes()
	}
	data := marshal(subscribeData{
		ConferenceID:  conferenceID,
		SubscribeType: types,
		ConfToken:     "Basic " + base64.StdEncoding.EncodeToString([]byte(confToken.Reveal())),
	})
	return marshal(struct {
		Action   string `json:"action"`
		Sequence string `json:"sequence"`
		Data     string `json:"data"`
	}{ActionSubscribe, seq, string(data)})
}

// replyData is the data object of a Subscribe or ConfControl reply.
type replyData struct {
	ReturnCode int    `json:"returnCode"`
	ReturnDesc string `json:"returnDesc"`
}

// NewReply returns the server's reply to a Subscribe or ConfControl request:
// {"action":action,"sequence":seq,"data":{"returnCode":..,"returnDesc":..}}.
// Use 0 and "SUCCESS" for success.
func NewReply(action, seq string, returnCode int, returnDesc string) []byte {
	return marshal(struct {
		Action   string    `json:"action"`
		Sequence string    `json:"sequence"`
		Data     replyData `json:"data"`
	}{action, seq, replyData{returnCode, returnDesc}})
}

// marshal encodes v compactly without HTML escaping. v is always one of the
// fixed types above, so encoding cannot fail.
func marshal(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	// Encode cannot fail: v holds only strings, ints and string slices.
	_ = enc.Encode(v)
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// SubscribeRequest is the body of a Subscribe request as the server sees it.
//
// ConfToken holds the token as sent, usually "Basic <base64>"; pass it to
// ParseConfToken for the bare token. String, GoString and LogValue redact
// it, so a SubscribeRequest may be printed or logged.
type SubscribeRequest struct {
	// ConferenceID is the meeting ID; the official examples omit it.
	ConferenceID string
	// SubscribeType lists the notification kinds asked for.
	SubscribeType []string
	// ConfToken is the meeting-control token as sent.
	ConfToken string
}

// String implements fmt.Stringer with ConfToken redacted.
func (r SubscribeRequest) String() string {
	return fmt.Sprintf("{ConferenceID:%s SubscribeType:%v ConfToken:%s}",
		r.ConferenceID, r.SubscribeType, redactedIfSet(r.ConfToken))
}

// GoString implements fmt.GoStringer with ConfToken redacted.
func (r SubscribeRequest) GoString() string {
	return fmt.Sprintf("confctl.SubscribeRequest{ConferenceID:%q, SubscribeType:%#v, ConfToken:%q}",
		r.ConferenceID, r.SubscribeType, redactedIfSet(r.ConfToken))
}

// LogValue implements slog.LogValuer with ConfToken redacted.
func (r SubscribeRequest) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("conferenceID", r.ConferenceID),
		slog.Any("subscribeType", r.SubscribeType),
		slog.String("confToken", redactedIfSet(r.ConfToken)),
	)
}

func redactedIfSet(s string) string {
	if s == "" {
		return ""
	}
	return redacted
}

// ParseSubscribe decodes the data member of a Subscribe request, given
// either as a JSON object or as a JSON string holding one (as clients send
// it). Members are read leniently, like DecodeEnvelope; missing members are
// left empty. It returns an error wrapping ErrInvalidSubscribe when data is
// neither.
func ParseSubscribe(data json.RawMessage) (SubscribeRequest, error) {
	obj, ok := objectBytes(data)
	if !ok {
		return SubscribeRequest{}, fmt.Errorf("parse subscribe: %w", ErrInvalidSubscribe)
	}
	var raw struct {
		ConferenceID  json.RawMessage `json:"conferenceID"`
		SubscribeType json.RawMessage `json:"subscribeType"`
		ConfToken     json.RawMessage `json:"confToken"`
	}
	if err := json.Unmarshal(obj, &raw); err != nil {
		// Unreachable: obj is a valid object and all fields are raw.
		return SubscribeRequest{}, fmt.Errorf("parse subscribe: %w", ErrInvalidSubscribe)
	}
	var r SubscribeRequest
	r.ConferenceID, _ = lenientString(raw.ConferenceID)
	r.SubscribeType = lenientStrings(raw.SubscribeType)
	r.ConfToken, _ = lenientString(raw.ConfToken)
	return r, nil
}

// ParseConfToken returns the bare token from a confToken value. If v is
// "Basic " (any case) followed by valid standard base64, it returns the
// decoded text; otherwise it returns v unchanged. A value without the
// prefix is never base64-decoded.
func ParseConfToken(v string) string {
	const prefix = "Basic "
	if len(v) <= len(prefix) || !strings.EqualFold(v[:len(prefix)], prefix) {
		return v
	}
	dec, err := base64.StdEncoding.DecodeString(strings.TrimSpace(v[len(prefix):]))
	if err != nil || len(dec) == 0 {
		return v
	}
	return string(dec)
}
