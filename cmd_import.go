package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/confrec/confrec/importer"
	"github.com/confrec/confrec/store"
)

func importCommand() *cli.Command {
	return &cli.Command{
		Name:   "import",
		Usage:  "import sessions recorded elsewhere as new meetings",
		Action: runGroup,
		Subcommands: []*cli.Command{
			importHARCommand(),
			importJSONLCommand(),
		},
	}
}

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

func importJSONLCommand() *cli.Command {
	return &cli.Command{
		Name:      "jsonl",
		Usage:     "import frames written by 'export frames --format jsonl' as a new meeting",
		ArgsUsage: "FILE",
		Description: `The whole export of one meeting, seq 1, 2, 3, ... in order: exporting the imported meeting
gives the same file. The meeting ID is --conf-id, or the file's name without its extension
(555000111.jsonl imports as 555000111). Only new meetings are created; the meeting is labelled
imported=jsonl:<file name>.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: flgConfID, Usage: "the meeting `ID` to create (default: the file name without extension)"},
		},
		OnUsageError: onUsageError,
		Action:       runImportJSONL,
	}
}

// openWrite opens the database of --db for writing, creating it.
func openWrite(c *cli.Context) (*store.DB, error) {
	logger, err := newLogger(c)
	if err != nil {
		return nil, err
	}
	return store.Open(c.String(flgDB), &store.Options{Logger: logger})
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
	res, err := importer.HAR(c.Context, db, f, &importer.HAROptions{Meeting: c.String(flgConfID), Name: filepath.Base(path)})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	for _, r := range res {
		fmt.Fprintf(c.App.Writer, "imported meeting %s: %d session(s), %d frames\n", r.Meeting, r.Sessions, r.Frames)
	}
	return err
}

func runImportJSONL(c *cli.Context) error {
	path, err := oneArg(c, "FILE")
	if err != nil {
		return err
	}
	id := c.String(flgConfID)
	if id == "" {
		base := filepath.Base(path)
		id = strings.TrimSuffix(base, filepath.Ext(base))
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
	r, err := importer.JSONL(c.Context, db, f, &importer.JSONLOptions{Meeting: id, Name: filepath.Base(path)})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(c.App.Writer, "imported meeting %s: %d session(s), %d frames\n", r.Meeting, r.Sessions, r.Frames)
	return nil
}
