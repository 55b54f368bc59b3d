package cli

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/confrec/confrec/importer"
	"github.com/confrec/confrec/recorder"
	"github.com/confrec/confrec/store"
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
	var qe queryExit
	if errors.As(err, &qe) {
		return qe.code
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

// hints are the command line's advice for errors of the packages, whose
// texts name no flag: appended to an error that matches err.
var hints = []struct {
	err  error
	hint string
}{
	{store.ErrLocked, " (a running `confrec record`?); stop it or use another --" + flgDB},
	{recorder.ErrPasswordRefused, ": check --" + flgPasswordFile + " or $" + envPassword},
	{recorder.ErrDowngrade, " (--" + flgInsecure + " allows it)"},
	{recorder.ErrCannotReconnect, " (record with --" + flgPasswordFile + " instead of --" + flgWSURL + ")"},
	{recorder.ErrTmpTokenRefused, " (a fresh --" + flgWSURL + ", or --" + flgPasswordFile + ")"},
	{importer.ErrLineTooLong, " (raise --" + flgMaxFrame + " for larger frames)"},
}

// hintError is an error with the command line's advice appended.
type hintError struct {
	err  error
	hint string
}

func (e *hintError) Error() string { return e.err.Error() + e.hint }
func (e *hintError) Unwrap() error { return e.err }

// hint returns err with the advice of the first of hints it matches, or err
// itself when it matches none or carries advice already (a hintError).
func hint(err error) error {
	if err == nil || errors.As(err, new(*hintError)) {
		return err
	}
	for _, h := range hints {
		if errors.Is(err, h.err) {
			return &hintError{err: err, hint: h.hint}
		}
	}
	return err
}

// hinted makes every action of cmds, and of their subcommands, return its
// errors with the command line's advice (hint).
func hinted(cmds []*cli.Command) []*cli.Command {
	for _, cmd := range cmds {
		if action := cmd.Action; action != nil {
			cmd.Action = func(c *cli.Context) error { return hint(action(c)) }
		}
		hinted(cmd.Subcommands)
	}
	return cmds
}
