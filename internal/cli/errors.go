package cli

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"
)

// Exit codes.
const (
	exitOK      = 0
	exitRuntime = 1   // the command ran and failed
	exitUsage   = 2   // the command line was wrong
	exitSignal  = 128 // plus the signal's number: interrupted (130 for SIGINT), as a shell reports it
)

// usageError marks an error in how confrec was called: exit code 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// usagef returns a usageError with a formatted message.
func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

func onUsageError(c *cli.Context, err error, _ bool) error {
	return usageError{fmt.Errorf("%w (see '%s --help')", err, commandPath(c))}
}

// interruptedError reports that a signal stopped command before it was
// done.
type interruptedError struct {
	command string
	sig     os.Signal
}

func (e interruptedError) Error() string { return e.command + ": interrupted" }

func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	var ie interruptedError
	if errors.As(err, &ie) {
		if s, ok := ie.sig.(syscall.Signal); ok {
			return exitSignal + int(s)
		}
		return exitRuntime
	}
	if errors.As(err, new(usageError)) {
		return exitUsage
	}
	return exitRuntime
}

// commandPath is the command line that names c's command, such as
// "confrec export frames".
func commandPath(c *cli.Context) string {
	if c.Command == nil || c.Command.HelpName == "" {
		return c.App.Name
	}
	return strings.TrimSpace(c.Command.HelpName)
}
