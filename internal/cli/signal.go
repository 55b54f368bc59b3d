package cli

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"
)

// SignalContext returns a context cancelled by the first SIGINT or SIGTERM,
// with a signalCause naming it as its cause. After that signal the default
// handling returns, so a second Ctrl-C ends a shutdown that takes too long.
// stop releases the signals.
func SignalContext() (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case s := <-sigs:
			signal.Stop(sigs)
			cancel(signalCause{s})
		case <-ctx.Done():
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		cancel(nil)
	}
}

// signalCause is the cause of SignalContext's cancellation.
type signalCause struct{ sig os.Signal }

func (s signalCause) Error() string { return s.sig.String() + " signal received" }

// interruptible makes every command in cmds, and their subcommands, report
// an error it returns because a signal cancelled its context as an
// interruptedError: one line, and an exit code that names the signal.
func interruptible(cmds []*cli.Command) []*cli.Command {
	for _, cmd := range cmds {
		if action := cmd.Action; action != nil {
			cmd.Action = func(c *cli.Context) error {
				err := action(c)
				var sc signalCause
				if err != nil && errors.Is(err, context.Canceled) && errors.As(context.Cause(c.Context), &sc) {
					return interruptedError{command: strings.TrimPrefix(commandPath(c), c.App.Name+" "), sig: sc.sig}
				}
				return err
			}
		}
		interruptible(cmd.Subcommands)
	}
	return cmds
}
