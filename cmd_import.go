package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/confrec/confrec/importer"
	"github.com/confrec/confrec/recorder"
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

// interruptibleReader is an import's input file: reads fail once ctx is done
// (Ctrl-C), which stops the import wherever it reads.
type interruptibleReader struct {
	ctx context.Context
	r   interface {
		io.ReadSeeker
		io.ReaderAt
	}
}

func (r *interruptibleReader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.r.Read(p)
}

func (r *interruptibleReader) ReadAt(p []byte, off int64) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.r.ReadAt(p, off)
}

func (r *interruptibleReader) Seek(offset int64, whence int) (int64, error) {
	return r.r.Seek(offset, whence)
}

// meetingIDs returns the IDs of db's meetings.
func meetingIDs(db *store.DB) (map[string]bool, error) {
	ms, err := db.Meetings()
	if err != nil {
		return nil, err
	}
	ids := make(map[string]bool, len(ms))
	for _, m := range ms {
		ids[m.ID] = true
	}
	return ids, nil
}

// undoImport deletes the meetings of db that are not in before: those an
// interrupted import created, in part or whole. It returns err, joined with
// what failed.
func undoImport(db *store.DB, before map[string]bool, err error) error {
	// The command's context is done: the deletes need their own.
	ctx := context.Background()
	// A write the interrupt cut short may still be queued (its caller
	// stopped waiting, the store did not): let it land first, so that
	// the meeting it creates is listed and removed.
	if ferr := db.Flush(ctx); ferr != nil {
		err = errors.Join(err, fmt.Errorf("remove the meetings the import began: %w", ferr))
	}
	ms, merr := db.Meetings()
	if merr != nil {
		return errors.Join(err, fmt.Errorf("remove the meetings the import began: %w", merr))
	}
	for _, m := range ms {
		if !before[m.ID] {
			if derr := db.DeleteMeeting(ctx, m.ID); derr != nil {
				err = errors.Join(err, fmt.Errorf("remove meeting %s the import began: %w", m.ID, derr))
			}
		}
	}
	return err
}
