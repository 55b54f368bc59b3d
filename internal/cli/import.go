package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/confrec/confrec/store"
	"github.com/urfave/cli/v2"
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
