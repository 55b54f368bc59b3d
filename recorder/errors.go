package recorder

import (
	"errors"
	"fmt"
)

// Errors returned before anything is recorded.
var (
	// ErrInvalidOptions is returned by Record when Options are incomplete or
	// contradict each other (no conference ID, both or neither of Password
	// and WSURL, a URL that does not parse). The wrapped text says which.
	ErrInvalidOptions = errors.New("invalid recorder options")
)

// Errors returned when the token flow is refused before anything was
// recorded.
var (
	// ErrPasswordRefused is returned by Record when the very first
	// CreateConfToken of the call is refused with HTTP 401: the host
	// password was never accepted, and retrying would only repeat the
	// refusal. The wrapped *confctl.APIError gives the server's answer. A
	// 401 after the password has been accepted once is retried instead.
	ErrPasswordRefused = errors.New("the service refused the host password")

	// ErrNotRunning is returned by Record when the token service says the
	// meeting is not running (confctl.ErrMeetingNotRunning, which the
	// error matches too) before any session connected: nothing was
	// recorded, so it is not a meeting's clean end. Once a session has
	// connected, the same answer ends the recording without error
	// (MeetingEnded).
	ErrNotRunning = errors.New("meeting is not running: the token API refused it before anything was recorded")
)

// ErrDowngrade is returned by Record when an https token API hands out a
// cleartext (ws:// or http://) wsURL and Options.AllowCleartext is not set:
// nothing is sent to that server. The wrapping text names its scheme and
// host. Options.AllowCleartext allows it.
var ErrDowngrade = errors.New("the https token API handed out a cleartext WebSocket URL, which would send the tokens unencrypted: refused")

// notRunningError is ErrNotRunning for one meeting, with the token
// service's answer.
type notRunningError struct {
	confID string
	err    error // redacted
}

func (e *notRunningError) Error() string {
	return fmt.Sprintf("meeting %s is not running: the token API refused it before anything was recorded: %v", e.confID, e.err)
}

func (e *notRunningError) Unwrap() []error { return []error{ErrNotRunning, e.err} }

// Errors returned when a recording ends early, or in direct mode cannot
// start.
var (
	// ErrCannotReconnect is returned by Record in direct mode (Options.WSURL)
	// when the connection ends before the meeting does: the connect URL's
	// tmpToken is single-use, so there is no way back in. Everything
	// received before the drop is durable when it is returned.
	ErrCannotReconnect = errors.New("connection dropped and the connect URL gives no way to reconnect: use the token flow to reconnect")

	// ErrTmpTokenRefused is returned by Record in direct mode when the
	// WebSocket handshake is refused with HTTP 401 or 403: the connect
	// URL's tmpToken is single-use and valid for 60 seconds, so it was
	// most likely used or expired. The wrapped error gives the handshake's
	// answer, with the token redacted.
	ErrTmpTokenRefused = errors.New("the server refused the connect URL's tmpToken, which is single-use and valid for 60 s: copy a fresh connect URL, or use the token flow")
)
