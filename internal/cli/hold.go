package cli

import (
	"fmt"
	"os"
	"os/user"
	"strings"
	"time"

	"github.com/confrec/confrec/store"
	"github.com/urfave/cli/v2"
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
