package confctl

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Enterprise webhook events (Callback.Event).
const (
	EventVerify   = "meeting.verify"
	EventStarted  = "meeting.started"
	EventEnd      = "meeting.end"
	EventConclude = "meeting.conclude"
)

// ErrBadCallback is matched by every error of ParseCallback and
// Callback.Check.
var ErrBadCallback = errors.New("not a valid webhook callback")

// Callback is one enterprise webhook callback, as the service POSTs it:
// {"appID","timestamp" (ms),"nonce","signature","eventInfo"{event,
// timestamp, payload{meetingInfo{meetingID,…}}}}.
type Callback struct {
	AppID     string
	Timestamp int64 // Unix milliseconds
	Nonce     string
	Signature string
	// EventInfo is the text the signature covers: the eventInfo object's
	// bytes as sent, or the value of eventInfo when it is a JSON string.
	EventInfo []byte

	// Event is eventInfo.event; MeetingID eventInfo.payload.meetingInfo.meetingID.
	Event     string
	MeetingID string
}

// CallbackSignature returns the signature of a callback:
// HexEncode(HMAC-SHA256(appKey, appID + timestamp + nonce + eventInfo)).
func CallbackSignature(appKey Secret, appID string, timestamp int64, nonce string, eventInfo []byte) string {
	m := hmac.New(sha256.New, []byte(appKey.Reveal()))
	m.Write([]byte(appID + strconv.FormatInt(timestamp, 10) + nonce))
	m.Write(eventInfo)
	return hex.EncodeToString(m.Sum(nil))
}

// NewCallback returns the body of a signed callback of event for meeting
// meetingID at time at: for stand-ins and tests.
func NewCallback(appKey Secret, appID, nonce, event, meetingID string, at time.Time) []byte {
	info, _ := json.Marshal(map[string]any{ // strings and numbers: never fails
		"event":     event,
		"timestamp": at.UnixMilli(),
		"payload":   map[string]any{"meetingInfo": map[string]string{"meetingID": meetingID}},
	})
	ts := at.UnixMilli()
	b, _ := json.Marshal(struct {
		AppID     string          `json:"appID"`
		Timestamp int64           `json:"timestamp"`
		Nonce     string          `json:"nonce"`
		Signature string          `json:"signature"`
		EventInfo json.RawMessage `json:"eventInfo"`
	}{appID, ts, nonce, CallbackSignature(appKey, appID, ts, nonce, info), info})
	return b
}

// ParseCallback reads a callback's body tolerantly (numbers as strings,
// eventInfo as an object or a string holding one). It checks no signature:
// see Check. Its errors match ErrBadCallback and never quote the body.
func ParseCallback(body []byte) (Callback, error) {
	var raw struct {
		AppID     json.RawMessage `json:"appID"`
		Timestamp json.RawMessage `json:"timestamp"`
		Nonce     json.RawMessage `json:"nonce"`
		Signature json.RawMessage `json:"signature"`
		EventInfo json.RawMessage `json:"eventInfo"`
	}
	if decodeObject(body, &raw) != nil {
		return Callback{}, fmt.Errorf("%w: body is not a JSON object", ErrBadCallback)
	}
	var c Callback
	c.AppID, _ = lenientString(raw.AppID)
	c.Timestamp, _ = lenientInt64(raw.Timestamp)
	c.Nonce, _ = lenientString(raw.Nonce)
	c.Signature, _ = lenientString(raw.Signature)
	info := bytes.TrimSpace(raw.EventInfo)
	if s, ok := lenientString(info); ok && len(info) > 0 && info[0] == '"' {
		info = []byte(s)
	}
	c.EventInfo = info
	var ev struct {
		Event   json.RawMessage `json:"event"`
		Payload json.RawMessage `json:"payload"`
	}
	if b, ok := objectBytes(info); !ok || json.Unmarshal(b, &ev) != nil {
		return Callback{}, fmt.Errorf("%w: eventInfo is not a JSON object", ErrBadCallback)
	}
	var payload struct {
		MeetingInfo struct {
			MeetingID json.RawMessage `json:"meetingID"`
		} `json:"meetingInfo"`
	}
	_ = json.Unmarshal(ev.Payload, &payload) // another shape: no meeting
	c.Event, _ = lenientString(ev.Event)
	c.MeetingID, _ = lenientString(payload.MeetingInfo.MeetingID)
	if c.Signature == "" || c.Nonce == "" || c.Timestamp == 0 || c.Event == "" {
		return Callback{}, fmt.Errorf("%w: signature, nonce, timestamp or event missing", ErrBadCallback)
	}
	return c, nil
}

// Check verifies the callback's signature with appKey and that it was sent
// within maxAge of now (either way: a clock ahead is no fresher). A nonce
// seen before is the caller's to refuse. Errors match ErrBadCallback.
func (c *Callback) Check(appKey Secret, appID string, now time.Time, maxAge time.Duration) error {
	if appID != "" && c.AppID != appID {
		return fmt.Errorf("%w: another App ID", ErrBadCallback)
	}
	want := CallbackSignature(appKey, c.AppID, c.Timestamp, c.Nonce, c.EventInfo)
	if !hmac.Equal([]byte(want), []byte(c.Signature)) {
		return fmt.Errorf("%w: signature does not match the App Key", ErrBadCallback)
	}
	if age := now.Sub(time.UnixMilli(c.Timestamp)); age > maxAge || age < -maxAge {
		return fmt.Errorf("%w: timestamp %s is more than %s from now", ErrBadCallback,
			time.UnixMilli(c.Timestamp).UTC().Format(time.RFC3339), maxAge)
	}
	return nil
}
