package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/confrec/confrec/store"
	"github.com/urfave/cli/v2"
)

// nameTheDB is the hint for an error that means --db names the wrong file.
const nameTheDB = "set --db or CONFREC_DB to the database record wrote"

// noDatabase is the error for a --db path where no file is.
func noDatabase(path string) error {
	return fmt.Errorf("open store %s: %w (%s)", path, store.ErrNoDatabase, nameTheDB)
}

// openExisting opens the existing database of --db for writing, waiting the
// usual lock timeout for a short-lived writer. It never creates a database.
func openExisting(c *cli.Context) (*store.DB, error) {
	path := c.String(flgDB)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, noDatabase(path)
	}
	return store.Open(path, nil)
}

// openWrite opens the database of --db for writing, creating it.
func openWrite(c *cli.Context) (*store.DB, error) {
	logger, err := newLogger(c)
	if err != nil {
		return nil, err
	}
	return store.Open(c.String(flgDB), &store.Options{Logger: logger})
}

// openRead opens the database of --db for reading. While a `confrec record`
// holds the file locked, it reads a consistent copy that the recorder serves
// on its snapshot socket instead: what was committed when the command started.
// Its reads fail once the command's context is done (Ctrl-C).
//
// A command that a recorder runs as a query (query.go) reads the recorder's
// open database instead, and one that askOrRun opened the file for reads
// that.
func openRead(c *cli.Context) (*store.DB, error) {
	if q := queryFrom(c.Context); q != nil {
		return q.db.Reader(c.Context), nil
	}
	if db, ok := c.Context.Value(openedKey{}).(*store.DB); ok {
		return db, nil
	}
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
				return nil, &hintError{
					err:  fmt.Errorf("read %s: %w", path, store.ErrLocked),
					hint: fmt.Sprintf(", which does not answer on %s (a `confrec record` older than this confrec?): wait for it to end, or stop it", store.SnapshotSocket(path)),
				}
			}
		}
	}
	switch {
	case errors.Is(err, store.ErrNoDatabase), errors.Is(err, store.ErrNotConfrec):
		// The wrong file: say how to name the right one. Other errors
		// (a damaged database) already say what to do.
		return nil, fmt.Errorf("%w (%s)", err, nameTheDB)
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
