package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/confrec/confrec/store"
	"github.com/urfave/cli/v2"
)

func backupCommand() *cli.Command {
	return &cli.Command{
		Name:  "backup",
		Usage: "write a consistent copy of the database, also while record writes it",
		Description: `Copies the database as of its last commit into -o FILE (0600), verifies every
meeting's hash chain in the copy, and only then puts it in place. While a record holds the
database, the copy comes from the recorder over its snapshot socket (see record), without
stopping the recording; otherwise from a read-only open. The copy is an ordinary confrec
database: use it with --db.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: flgOutput, Aliases: []string{"o"}, Category: catOutput,
				Usage:  "write the copy to `FILE` (required; replaced only when complete and verified)",
				Action: checkOutput},
		},
		OnUsageError: onUsageError,
		Action:       runBackup,
	}
}

func runBackup(c *cli.Context) error {
	if c.NArg() > 0 {
		return usagef("%s takes no arguments (see '%s --help')", commandPath(c), commandPath(c))
	}
	out := c.String(flgOutput)
	if out == "" || out == "-" {
		return usagef("%s needs -o FILE: the copy is a database file, not a stream", commandPath(c))
	}
	path := c.String(flgDB)
	// The copy is made and verified in a private directory beside FILE, then
	// renamed to FILE: FILE is never a partial or unverified copy.
	dir, err := os.MkdirTemp(filepath.Dir(out), "."+filepath.Base(out)+".backup-")
	if err != nil {
		return fmt.Errorf("back up to %s: %w", out, err)
	}
	defer os.RemoveAll(dir)
	tmp := filepath.Join(dir, "copy.db")
	via, err := copyDatabase(c, path, tmp)
	if err != nil {
		return err
	}
	meetings, frames, err := verifyCopy(c.Context, tmp)
	if err != nil {
		return fmt.Errorf("back up to %s: the copy does not verify: %w", out, err)
	}
	if err := os.Rename(tmp, out); err != nil {
		return fmt.Errorf("back up to %s: %w", out, err)
	}
	if err := syncDirOf(out); err != nil {
		return fmt.Errorf("back up to %s: %w", out, err)
	}
	fmt.Fprintf(c.App.Writer, "backed up %s to %s (%s): %d meetings, %d frames, hash chains verified\n",
		path, out, via, meetings, frames)
	return nil
}

// copyDatabase writes a consistent copy of the database at path to dst and
// says how it got it.
func copyDatabase(c *cli.Context, path, dst string) (via string, err error) {
	db, err := store.Open(path, &store.Options{ReadOnly: true, LockTimeout: -1, Context: c.Context})
	if errors.Is(err, store.ErrLocked) {
		err = store.FetchSnapshotFor(c.Context, path, dst)
		if err == nil {
			return "snapshot from the running recorder", nil
		}
		if !errors.Is(err, store.ErrNoSnapshotServer) {
			return "", fmt.Errorf("back up %s while it records: %w", path, err)
		}
		// No recorder answers: maybe a short-lived writer.
		db, err = store.Open(path, &store.Options{ReadOnly: true, Context: c.Context})
	}
	if errors.Is(err, store.ErrNoDatabase) || errors.Is(err, store.ErrNotConfrec) {
		return "", fmt.Errorf("%w (%s)", err, nameTheDB)
	} else if err != nil {
		return "", err
	}
	defer db.Close()
	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if _, err := db.WriteTo(f); err != nil {
		return "", err
	}
	if err := f.Sync(); err != nil {
		return "", fmt.Errorf("back up %s: %w", path, err)
	}
	return "read-only copy", f.Close()
}

// verifyCopy opens the copy and verifies every meeting's hash chain, until
// ctx is done.
func verifyCopy(ctx context.Context, path string) (meetings int, frames uint64, err error) {
	db, err := store.Open(path, &store.Options{ReadOnly: true, Context: ctx})
	if err != nil {
		return 0, 0, err
	}
	defer db.Close()
	ms, err := db.Meetings()
	if err != nil {
		return 0, 0, err
	}
	var errs []error
	for _, m := range ms {
		errs = append(errs, db.Verify(m.ID))
		frames += m.Frames
	}
	return len(ms), frames, errors.Join(errs...)
}

// syncDirOf makes a rename to path durable.
func syncDirOf(path string) error {
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	err = d.Sync()
	return errors.Join(err, d.Close())
}
