package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/confrec/confrec/importer"
	"github.com/urfave/cli/v2"
)

func importHARCommand() *cli.Command {
	return &cli.Command{
		Name:      "har",
		Usage:     "import the WebSocket sessions of a HAR file (DevTools' \"Save all as HAR\")",
		ArgsUsage: "FILE",
		Description: `Each WebSocket entry (one with _webSocketMessages) to the meeting-control connect path becomes
a session of the meeting its URL's confID names; with --conf-id, every WebSocket entry becomes a
session of that meeting. Tokens the file shows (URL parameters, the confToken of a Subscribe, token
API answers) are redacted before anything is stored. Only new meetings are created; the meeting is
labelled imported=har:<file name>. Play it with 'confrec replay serve CONFID'.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: flgConfID, Usage: "import every WebSocket session as meeting `ID`"},
		},
		OnUsageError: onUsageError,
		Action:       runImportHAR,
	}
}

func runImportHAR(c *cli.Context) error {
	path, err := oneArg(c, "FILE")
	if err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	db, err := openWrite(c)
	if err != nil {
		return err
	}
	before, err := meetingIDs(db)
	if err != nil {
		db.Close()
		return err
	}
	res, err := importer.HAR(c.Context, db, &interruptibleReader{ctx: c.Context, r: f}, &importer.HAROptions{Meeting: c.String(flgConfID), Name: filepath.Base(path)})
	if err != nil && c.Context.Err() != nil {
		// The import failed because its reads or writes were interrupted.
		err = undoImport(db, before, c.Context.Err())
		res = nil
	}
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	for _, r := range res {
		fmt.Fprintf(c.App.Writer, "imported meeting %s: %d session(s), %d frames\n", r.Meeting, r.Sessions, r.Frames)
	}
	return err
}
