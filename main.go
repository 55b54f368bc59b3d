// Command confrec records the meeting-control WebSocket of Huawei Cloud
// Meeting into an embedded database, replays it and exports it.
//
// Run `confrec demo` for a first look, and `confrec help` for the commands.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"
)

func main() {
	ctx, stop := signalContext()
	app := newApp(os.Stdout, os.Stderr)
	err := app.RunContext(ctx, normalizeArgs(app, os.Args))
	stop()
	if err != nil {
		// One line, also for joined errors (several meetings failing),
		// and no other control character: the text may quote a server.
		fmt.Fprintln(os.Stderr, "confrec:", printable(strings.ReplaceAll(err.Error(), "\n", "; ")))
	}
	os.Exit(exitCode(err))
}

// signalContext returns a context cancelled by the first SIGINT or SIGTERM,
// with a signalCause naming it as its cause. After that signal the default
// handling returns, so a second Ctrl-C ends a shutdown that takes too long.
// stop releases the signals.
func signalContext() (ctx context.Context, stop func()) {
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

// signalCause is the cause of signalContext's cancellation.
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

// newApp builds the CLI. Every command writes to stdout and stderr as given,
// so tests can capture them.
func newApp(stdout, stderr io.Writer) *cli.App {
	return &cli.App{
		Name:  "confrec",
		Usage: "record, replay and export Huawei Cloud Meeting meeting-control WebSocket sessions",
		Commands: interruptible([]*cli.Command{
			recordCommand(),       // cmd_record.go
			meetingsCommand(),     // cmd_meetings.go
			infoCommand(),         // cmd_meetings.go
			replayCommand(),       // cmd_replay.go
			exportCommand(),       // cmd_export.go
			importCommand(),       // cmd_import.go
			demoCommand(),         // cmd_demo.go
			holdCommand(),         // cmd_hold.go
			releaseCommand(),      // cmd_hold.go
			purgeCommand(),        // cmd_purge.go
			compactCommand(),      // cmd_compact.go
			backupCommand(),       // cmd_backup.go
			sealCommand(),         // cmd_seal.go
			keygenCommand(),       // cmd_seal.go
			verifyCommand(),       // cmd_seal.go
			verifyExportCommand(), // cmd_seal.go
		}),
		Flags:          globalFlags, // flags.go
		Writer:         stdout,
		ErrWriter:      stderr,
		ExitErrHandler: func(*cli.Context, error) {}, // exit codes are decided in main
		OnUsageError:   onUsageError,
		Before:         checkGlobalFlags,
		Action:         runRoot,
		Suggest:        true,
	}
}

// runRoot runs when no command matched: help without arguments, a usage
// error for an unknown command.
func runRoot(c *cli.Context) error {
	if c.NArg() > 0 {
		return usagef("unknown command %q (see 'confrec help')", c.Args().First())
	}
	return cli.ShowAppHelp(c)
}

// runGroup runs when a command with subcommands matched but none of them
// did: help without arguments, a usage error for an unknown subcommand.
func runGroup(c *cli.Context) error {
	if c.NArg() > 0 {
		return usagef("unknown command %q (see '%s --help')", commandPath(c)+" "+c.Args().First(), commandPath(c))
	}
	return cli.ShowSubcommandHelp(c)
}

// checkGlobalFlags rejects bad global flag values before any command runs.
func checkGlobalFlags(c *cli.Context) error {
	_, err := newLogger(c)
	return err
}
