package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/confrec/confrec/importer"
	"github.com/confrec/confrec/recorder"
	"github.com/urfave/cli/v2"
)

func importJSONLCommand() *cli.Command {
	return &cli.Command{
		Name:      "jsonl",
		Usage:     "import frames written by 'export frames --format jsonl' as a new meeting",
		ArgsUsage: "FILE",
		Description: `The whole export of one meeting, seq 1, 2, 3, ... in order: exporting the imported meeting
gives the same file. The meeting ID is --conf-id, or the file's name without its extension
(555000111.jsonl imports as 555000111). Only new meetings are created; the meeting is labelled
imported=jsonl:<file name>. A line may be as long as export frames writes for a frame of
--max-frame bytes, record's default too (one of control characters is written six times as long).`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: flgConfID, Usage: "the meeting `ID` to create (default: the file name without extension)"},
			&cli.Int64Flag{Name: flgMaxFrame, Value: recorder.DefaultMaxFrame, Usage: "largest frame the file may hold, in `BYTES`"},
		},
		OnUsageError: onUsageError,
		Action:       runImportJSONL,
	}
}

func runImportJSONL(c *cli.Context) error {
	path, err := oneArg(c, "FILE")
	if err != nil {
		return err
	}
	if c.Int64(flgMaxFrame) <= 0 {
		return usagef("--%s must be positive", flgMaxFrame)
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
	before, err := meetingIDs(db)
	if err != nil {
		db.Close()
		return err
	}
	r, err := importer.JSONL(c.Context, db, &interruptibleReader{ctx: c.Context, r: f}, &importer.JSONLOptions{Meeting: id, Name: filepath.Base(path), MaxFrame: c.Int64(flgMaxFrame)})
	if err != nil && c.Context.Err() != nil {
		// The import failed because its reads or writes were interrupted.
		err = undoImport(db, before, c.Context.Err())
	}
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(c.App.Writer, "imported meeting %s: %d session(s), %d frames\n", r.Meeting, r.Sessions, r.Frames)
	return nil
}
