package standin

import (
	"fmt"
	"time"
)

// Script is what a Server plays: the server→client frames of one meeting,
// in order, with their offsets from the moment the client connected.
//
// ReadScenario and LoadMeeting build Scripts; a caller may also build or
// edit one by hand. A Script is read, never changed, by the Server that
// plays it: do not modify it while a Server is using it.
type Script struct {
	// ConfID is the conference ID the Server answers for. REST calls and
	// WebSocket connections naming another conference are refused.
	ConfID string
	// Steps are played in order, each at most once per playback.
	Steps []Step
}

// Step is one thing the server does to the client.
type Step struct {
	// Offset is when the step is due, counted from the moment the
	// playback's first WebSocket connection was accepted, before scaling by
	// ServerOptions.Speed. Steps are played in slice order even when their
	// offsets are not ascending (a step whose offset is earlier than its
	// predecessor's is simply due at once).
	Offset time.Duration
	// Kind says what the step does.
	Kind StepKind
	// Payload is the message sent by a StepText or StepBinary step,
	// byte for byte.
	Payload []byte
	// CloseCode is the status code a StepClose step sends. 0 (or 1005,
	// "no status") sends a close frame without a status code; CloseReason
	// is then ignored. Codes that may not appear on the wire are replaced
	// by 1011 (internal error) by the WebSocket library.
	CloseCode uint16
	// CloseReason is the reason a StepClose step sends, at most 123 bytes.
	CloseReason string
}

// StepKind says what a Step does.
type StepKind uint8

// Step kinds.
const (
	// StepText sends Payload as a text message.
	StepText StepKind = iota + 1
	// StepBinary sends Payload as a binary message.
	StepBinary
	// StepClose closes the connection with CloseCode and CloseReason,
	// as the service does when the meeting ends.
	StepClose
	// StepDrop destroys the TCP connection without a close frame (FIN,
	// not RST: data already written still arrives), as when the network
	// between the service and the client fails.
	StepDrop
)

// String returns the kind's name, e.g. "text".
func (k StepKind) String() string {
	switch k {
	case StepText:
		return "text"
	case StepBinary:
		return "binary"
	case StepClose:
		return "close"
	case StepDrop:
		return "drop"
	}
	return fmt.Sprintf("StepKind(%d)", uint8(k))
}
