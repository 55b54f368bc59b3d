// Package cli is confrec's command line: one urfave/cli application whose
// commands turn flags into the packages' options, call them and write what
// they return. Run is the entry point; main wires it to the process.
//
// Each command lives in a file named for it (record.go, export_frames.go,
// replay_serve.go …) with its flag names and action; flags shared by several
// commands are in flags.go, opening the database in db.go, writing tables,
// JSON and files in output.go, errors and exit codes in errors.go, signals
// in signal.go. While record holds the database, the read commands are
// queries that the recorder runs on its open database (query.go, the
// recorder's side in query_server.go, the wire in query_wire.go), and
// --follow waits for its commits (follow.go).
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"
)

// Run runs confrec with args (os.Args: the program name first) until it
// ends or ctx is cancelled, writing to stdout and stderr, and returns the
// process's exit code. demo is the sample meeting `confrec demo` records, a
// scenario in JSON Lines. An error is printed to stderr as one line.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer, demo []byte) int {
	return runWith(ctx, args, stdout, stderr, demo, &seams{})
}

// seams are the points where the tests step into a command, set only by the
// test binary standing in for confrec (reexec_test.go); Run leaves them zero.
type seams struct {
	// beforePurgeRename, when set, runs after purge compacted the database
	// into tmp and before it renames tmp over the database.
	beforePurgeRename func(c *cli.Context, tmp string) error
}

// runWith is Run with seams.
func runWith(ctx context.Context, args []string, stdout, stderr io.Writer, demo []byte, s *seams) int {
	app := newApp(stdout, stderr, demo, s)
	args = normalizeArgs(app, args)
	err := app.RunContext(context.WithValue(ctx, argsKey{}, args), args)
	if q := queryFrom(ctx); q != nil {
		// Parsing is over: the error line below (which may quote a long
		// argument) is sent to the client without holding flagsMu.
		q.parsed()
	}
	if err != nil && !errors.As(err, new(queryExit)) {
		// A query's error line came from the recorder, on stderr.
		// One line, also for joined errors (several meetings failing),
		// and no other control character: the text may quote a server.
		fmt.Fprintln(stderr, "confrec:", printable(strings.ReplaceAll(err.Error(), "\n", "; ")))
	}
	return exitCode(err)
}

// newApp builds the CLI. Every command writes to stdout and stderr as given,
// so tests can capture them.
func newApp(stdout, stderr io.Writer, demo []byte, s *seams) *cli.App {
	return &cli.App{
		Name:  "confrec",
		Usage: "record, replay and export Huawei Cloud Meeting meeting-control WebSocket sessions",
		Commands: hinted(interruptible(servedByRecorder([]*cli.Command{
			// record.go, its --config FILE from config.go
			withConfigFile(recordCommand()),
			meetingsCommand(),     // meetings.go
			infoCommand(),         // info.go
			replayCommand(),       // replay.go
			exportCommand(),       // export.go
			importCommand(),       // import.go
			demoCommand(demo),     // demo.go
			holdCommand(),         // hold.go
			releaseCommand(),      // release.go
			purgeCommand(s),       // purge.go
			compactCommand(),      // compact.go
			backupCommand(),       // backup.go
			archiveCommand(),      // archive.go
			sealCommand(),         // seal.go
			keygenCommand(),       // keygen.go
			verifyCommand(),       // verify.go
			verifyExportCommand(), // verify_export.go
		}, ""))),
		Flags:          globalFlags, // flags.go
		Writer:         stdout,
		ErrWriter:      stderr,
		ExitErrHandler: func(*cli.Context, error) {}, // exit codes are decided in Run
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
