package standin

import (
	"errors"
	"fmt"
)

// Errors from NewServer, NewScheduleServer and Serve.
var (
	// ErrNoScript is returned by NewServer when there is no script or one is nil.
	ErrNoScript = errors.New("no script to play")
	// ErrNoConfID is returned by NewServer when the script has no
	// conference ID (a scenario without ws_open URL or confID, for
	// instance). Set Script.ConfID before calling NewServer.
	ErrNoConfID = errors.New("script has no conference ID")
	// ErrDuplicateConfID is returned by NewServer when two scripts are of
	// the same conference.
	ErrDuplicateConfID = errors.New("two scripts of one conference")
	// ErrInvalidSpeed is returned by NewServer when ServerOptions.Speed is
	// negative or NaN.
	ErrInvalidSpeed = errors.New("invalid playback speed")
	// ErrNoAppID is returned by NewServer when ServerOptions has an AppKey
	// without an AppID, or a WebhookURL without an AppKey to sign with.
	ErrNoAppID = errors.New("the management APIs and webhooks need an App ID and an App Key")
	// ErrInvalidWebhook is returned by NewServer when ServerOptions has a
	// WebhookURL that is not an absolute http:// or https:// URL, or a
	// WebhookLoss or WebhookRepeat outside 0..1.
	ErrInvalidWebhook = errors.New("invalid webhook option")
	// ErrNegativeStart is returned by NewScheduleServer when a meeting
	// starts before the server (Scheduled.Start < 0).
	ErrNegativeStart = errors.New("meeting starts before the server")
)

// ScheduleError is returned by ReadSchedule when a line of the schedule
// cannot be used, or when reading the input fails. Line counts from 1. Its
// text never quotes the line, which may hold a password.
type ScheduleError struct {
	Line int
	Err  error
}

// Error implements error: "schedule line 3: ...".
func (e *ScheduleError) Error() string {
	return fmt.Sprintf("schedule line %d: %v", e.Line, e.Err)
}

// Unwrap returns the underlying error.
func (e *ScheduleError) Unwrap() error { return e.Err }

// ScenarioError is returned by ReadScenario when a line of the scenario
// cannot be used, or when reading the input fails. Line counts from 1.
type ScenarioError struct {
	Line int
	Err  error
}

// Error implements error: "scenario line 12: ...".
func (e *ScenarioError) Error() string {
	return fmt.Sprintf("scenario line %d: %v", e.Line, e.Err)
}

// Unwrap returns the underlying error.
func (e *ScenarioError) Unwrap() error { return e.Err }
