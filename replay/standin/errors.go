package standin

import (
	"errors"
	"fmt"
)

// Errors from NewServer and Serve.
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
)

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
