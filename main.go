// Command confrec records the meeting-control WebSocket of Huawei Cloud
// Meeting into an embedded database, replays it and exports it.
//
// Run `confrec demo` for a first look, and `confrec help` for the commands.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// After the first signal the default handling returns, so a second
	// Ctrl-C ends a shutdown that takes too long.
	context.AfterFunc(ctx, stop)
	app := newApp(os.Stdout, os.Stderr)
	err := app.RunContext(ctx, normalizeArgs(app, os.Args))
	stop()
	if err != nil {
		// One line, also for joined errors (several meetings failing).
		fmt.Fprintln(os.Stderr, "confrec:", strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	os.Exit(exitCode(err))
}

// newApp builds the CLI. Every command writes to stdout and stderr as given,
// so tests can capture them.
func newApp(stdout, stderr io.Writer) *cli.App {
	return &cli.App{
		Name:  "confrec",
		Usage: "record, replay and export Huawei Cloud Meeting meeting-control WebSocket sessions",
		Commands: []*cli.Command{
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
		},
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
