package confctl

import (
	"errors"
	"strconv"
	"strings"
)

// Errors from decoding frames.
var (
	// ErrNotJSONObject is returned by DecodeEnvelope when the payload is not
	// a JSON object at all: empty input, invalid JSON, a JSON array, string,
	// number or null, or JSON nested deeper than encoding/json accepts.
	ErrNotJSONObject = errors.New("frame is not a JSON object")

	// ErrInvalidSubscribe is returned by ParseSubscribe when the request's
	// data is neither a JSON object nor a JSON string holding one.
	ErrInvalidSubscribe = errors.New("subscribe data is not a JSON object")
)

// Errors from the REST token client.
var (
	// ErrMissingConferenceID is returned by Client.ConfToken and
	// Client.WSToken when the conference ID is empty; the request is not sent.
	ErrMissingConferenceID = errors.New("conference ID is empty")

	// ErrInvalidResponse is returned when a REST call succeeds at the HTTP
	// level but its body cannot be decoded or lacks the token it should hold.
	ErrInvalidResponse = errors.New("invalid token response")

	// ErrMeetingNotRunning is returned (as an *APIError; match it with
	// errors.Is) when the service says the meeting has not started or has
	// ended: HTTP 400, 404 or 410 from CreateConfToken (the documented
	// "not running" answer, which is also used for bad parameters), or an
	// error code listed in MeetingNotRunningCodes from either call. A
	// recorder should stop retrying when it sees it.
	ErrMeetingNotRunning = errors.New("meeting is not running")
)

// MeetingNotRunningCode is the error_code the server gives when a meeting
// has not started or has already ended.
const MeetingNotRunningCode = "MMC.111070005"

// MeetingNotRunningCodes returns the error codes that mean
// ErrMeetingNotRunning regardless of the HTTP status. It returns a fresh
// slice on every call.
func MeetingNotRunningCodes() []string {
	return append([]string(nil), meetingNotRunningCodes[:]...)
}

var meetingNotRunningCodes = [...]string{MeetingNotRunningCode}

// Operation names used in APIError.Op and in wrapped errors.
const (
	opConfToken = "create conference token"
	opWSToken   = "create websocket token"
)

// APIError is returned when a REST call gets a non-2xx HTTP status, or a 2xx
// status with a non-zero returnCode in the body.
//
// Its Error text never holds a secret or a request URL: only Op, Status,
// Code and Message (Message has the call's secrets redacted).
type APIError struct {
	// Op is the failed operation: "create conference token" or
	// "create websocket token".
	Op string
	// Status is the HTTP status code.
	Status int
	// Code is the body's "error_code" (or a non-zero "returnCode"), if any.
	Code string
	// Message is the body's "error_msg" (or "returnDesc"), if any.
	Message string
}

// Error implements error.
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString(e.Op)
	b.WriteString(": HTTP ")
	b.WriteString(strconv.Itoa(e.Status))
	if e.Code != "" {
		b.WriteString(": ")
		b.WriteString(e.Code)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	return b.String()
}

// Temporary reports whether retrying the call later may succeed: true for
// HTTP 401 (the token may need renewing), 429 and 5xx, unless the error
// also means ErrMeetingNotRunning. 400 and 403 are not temporary.
func (e *APIError) Temporary() bool {
	if e.notRunning() {
		return false
	}
	return e.Status == 401 || e.Status == 429 || e.Status >= 500
}

// Is reports whether e means target; it makes
// errors.Is(err, ErrMeetingNotRunning) work.
func (e *APIError) Is(target error) bool {
	return target == ErrMeetingNotRunning && e.notRunning()
}

func (e *APIError) notRunning() bool {
	for _, c := range meetingNotRunningCodes {
		if e.Code == c {
			return true
		}
	}
	if e.Op == opConfToken {
		switch e.Status {
		case 400, 404, 410:
			return true
		}
	}
	return false
}
