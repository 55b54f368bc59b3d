package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/confrec/confrec/store"
)

// Flag categories.
const (
	catStore   = "store"
	catLogging = "logging"
	catConnect = "connection"
	catOutput  = "output"
)

// Flag names shared by several commands.
const (
	flgDB        = "db"
	flgLogLevel  = "log-level"
	flgLogFormat = "log-format"
	flgFormat    = "format"
	flgOutput    = "output"
)

// globalFlags are given before the command: `confrec --db x.db meetings`.
var globalFlags = []cli.Flag{
	&cli.StringFlag{Name: flgDB, Value: "confrec.db", EnvVars: []string{"CONFREC_DB"}, Category: catStore,
		Usage: "the database `FILE` (created 0600 by record)"},
	&cli.StringFlag{Name: flgLogLevel, Value: "info", EnvVars: []string{"CONFREC_LOG_LEVEL"}, Category: catLogging,
		Usage: "log `LEVEL` on stderr: debug, info, warn or error"},
	&cli.StringFlag{Name: flgLogFormat, Value: "text", EnvVars: []string{"CONFREC_LOG_FORMAT"}, Category: catLogging,
		Usage: "log `FORMAT`: text or json"},
}

// newLogger builds the one slog handler of the process, on stderr.
func newLogger(c *cli.Context) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.String(flgLogLevel))); err != nil {
		return nil, usagef("--%s %q: use debug, info, warn or error", flgLogLevel, c.String(flgLogLevel))
	}
	hopts := &slog.HandlerOptions{Level: level}
	var w io.Writer = c.App.ErrWriter
	switch c.String(flgLogFormat) {
	case "text":
		return slog.New(slog.NewTextHandler(w, hopts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, hopts)), nil
	}
	return nil, usagef("--%s %q: use text or json", flgLogFormat, c.String(flgLogFormat))
}

// openRead opens the database of --db for reading. While a `confrec record`
// holds the file locked, it reads a consistent copy that the recorder serves
// on its snapshot socket instead: what was committed when the command started.
// Its reads fail once the command's context is done (Ctrl-C).
func openRead(c *cli.Context) (*store.DB, error) {
	path := c.String(flgDB)
	// Do not wait for the lock: a recorder holds it for hours.
	db, err := store.Open(path, &store.Options{ReadOnly: true, LockTimeout: -1, Context: c.Context})
	if errors.Is(err, store.ErrLocked) {
		db, err = openSnapshot(c.Context, path)
		if errors.Is(err, store.ErrNoSnapshotServer) {
			// No recorder answers: maybe a short-lived writer, worth the
			// usual wait for its lock.
			db, err = store.Open(path, &store.Options{ReadOnly: true, Context: c.Context})
			if errors.Is(err, store.ErrLocked) {
				return nil, fmt.Errorf("read %s: %w, which does not answer on %s (a `confrec record` older than this confrec?): wait for it to end, or stop it",
					path, store.ErrLocked, store.SnapshotSocket(path))
			}
		}
	}
	switch {
	case errors.Is(err, store.ErrNoDatabase), errors.Is(err, store.ErrNotConfrec):
		// The wrong file: say how to name the right one. Other errors
		// (a damaged database) already say what to do.
		return nil, fmt.Errorf("%w (set --db or CONFREC_DB to the database record wrote)", err)
	case err != nil:
		return nil, err
	}
	return db, nil
}

// openSnapshot fetches a copy of the database at path from the recorder that
// holds it (store.FetchSnapshotFor) and opens the copy read-only. The copy goes
// to a private temporary directory, removed as soon as the copy is open: the
// open DB keeps the data until Close, and nothing is left behind even if
// confrec is killed. Cancelling ctx (Ctrl-C) ends the transfer. The error
// wraps store.ErrNoSnapshotServer when no recorder answers.
func openSnapshot(ctx context.Context, path string) (*store.DB, error) {
	dir, err := os.MkdirTemp("", "confrec-snapshot-")
	if err != nil {
		return nil, fmt.Errorf("read %s while it records: %w", path, err)
	}
	defer os.RemoveAll(dir)
	cp := filepath.Join(dir, "snapshot.db")
	if err := store.FetchSnapshotFor(ctx, path, cp); err != nil {
		return nil, fmt.Errorf("read %s while it records: %w", path, err)
	}
	db, err := store.Open(cp, &store.Options{ReadOnly: true, Context: ctx})
	if err != nil {
		return nil, fmt.Errorf("read %s while it records: %w", path, err)
	}
	return db, nil
}

// openMeeting opens the database of --db for reading and reads meeting id.
// The caller closes the DB.
func openMeeting(c *cli.Context, id string) (*store.DB, store.Meeting, error) {
	db, err := openRead(c)
	if err != nil {
		return nil, store.Meeting{}, err
	}
	m, err := db.Meeting(id)
	if err != nil {
		db.Close()
		return nil, store.Meeting{}, err
	}
	return db, m, nil
}

// formatFlag is --format with the allowed values listed in its usage.
func formatFlag(def string, allowed ...string) *cli.StringFlag {
	return &cli.StringFlag{Name: flgFormat, Aliases: []string{"f"}, Value: def, Category: catOutput,
		Usage: "output `FORMAT`: " + strings.Join(allowed, ", ")}
}

// outputFlag is -o FILE.
var outputFlag = &cli.StringFlag{Name: flgOutput, Aliases: []string{"o"}, Category: catOutput,
	Usage:  "write to `FILE` (created 0600, replaced only when complete) instead of stdout",
	Action: checkOutput}

// parseTime reads an RFC 3339 time, or an offset like +12m30s from base.
func parseTime(flag, v string, base time.Time) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if strings.HasPrefix(v, "+") {
		d, err := time.ParseDuration(v[1:])
		if err != nil {
			return time.Time{}, usagef("--%s %q: an offset must be a Go duration like +12m30s", flag, v)
		}
		return base.Add(d), nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, usagef("--%s %q: use RFC 3339 (2025-03-18T02:00:00Z) or an offset like +12m30s", flag, v)
	}
	return t, nil
}

// oneArg returns the command's single positional argument, named what.
func oneArg(c *cli.Context, what string) (string, error) {
	if c.NArg() != 1 {
		return "", usagef("%s takes exactly one %s (see '%s --help')", commandPath(c), what, commandPath(c))
	}
	return c.Args().First(), nil
}
