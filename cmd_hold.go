package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/confrec/confrec/store"
)

const flgReason = "reason"

func holdCommand() *cli.Command {
	return &cli.Command{
		Name:      "hold",
		Usage:     "put a meeting under a legal hold: purge and delete refuse it",
		ArgsUsage: "CONFID",
		Description: `Records why (--reason), when, and who (the operating system user) with the meeting;
meetings and info show it. Holding a held meeting replaces its hold. A running record keeps
the database locked: stop it first.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: flgReason, Usage: "why the meeting is held, such as a case `NUMBER` (required)"},
		},
		OnUsageError: onUsageError,
		Action:       runHold,
	}
}

func releaseCommand() *cli.Command {
	return &cli.Command{
		Name:         "release",
		Usage:        "lift a meeting's legal hold",
		ArgsUsage:    "CONFID",
		OnUsageError: onUsageError,
		Action:       runRelease,
	}
}

func runHold(c *cli.Context) error {
	id, err := oneArg(c, "CONFID")
	if err != nil {
		return err
	}
	reason := strings.TrimSpace(c.String(flgReason))
	if reason == "" {
		return usagef("%s needs --%s TEXT: say why the meeting is held", commandPath(c), flgReason)
	}
	db, err := openExisting(c)
	if err != nil {
		return err
	}
	defer db.Close()
	h := store.Hold{Reason: reason, By: osUser(), At: time.Now().UTC()}
	if err := db.SetHold(c.Context, id, h); err != nil {
		return err
	}
	if err := db.Close(); err != nil {
		return err
	}
	fmt.Fprintf(c.App.Writer, "held meeting %s: %s\n", id, holdText(&h))
	return nil
}

func runRelease(c *cli.Context) error {
	id, err := oneArg(c, "CONFID")
	if err != nil {
		return err
	}
	db, err := openExisting(c)
	if err != nil {
		return err
	}
	defer db.Close()
	m, err := db.Meeting(id)
	if err != nil {
		return err
	}
	if err := db.ReleaseHold(c.Context, id); err != nil {
		return err
	}
	if err := db.Close(); err != nil {
		return err
	}
	fmt.Fprintf(c.App.Writer, "released meeting %s, %s\n", id, holdText(m.Hold))
	return nil
}

// holdText describes a hold in one line.
func holdText(h *store.Hold) string {
	if h == nil {
		return "-"
	}
	return fmt.Sprintf("held since %s by %s: %s", fmtTime(h.At), orDash(h.By), orDash(h.Reason))
}

// osUser names the user running confrec, for the record of who set a hold.
func osUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return fmt.Sprintf("uid %d", os.Getuid())
}

// openExisting opens the existing database of --db for writing, waiting the
// usual lock timeout for a short-lived writer. It never creates a database.
func openExisting(c *cli.Context) (*store.DB, error) {
	path := c.String(flgDB)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("open store %s: %w (set --db or CONFREC_DB to the database record wrote)", path, store.ErrNoDatabase)
	}
	return store.Open(path, nil)
}
