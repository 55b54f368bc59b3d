package cli

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

func releaseCommand() *cli.Command {
	return &cli.Command{
		Name:         "release",
		Usage:        "lift a meeting's legal hold",
		ArgsUsage:    "CONFID",
		OnUsageError: onUsageError,
		Action:       runRelease,
	}
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
