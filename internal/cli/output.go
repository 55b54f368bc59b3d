package cli

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/confrec/confrec/export"
	"github.com/confrec/confrec/store"
	"github.com/urfave/cli/v2"
)

// writeOutput runs write against -o FILE (created atomically) or stdout.
func writeOutput(c *cli.Context, write func(io.Writer) error) error {
	path := c.String(flgOutput)
	if path == "" || path == "-" {
		return write(c.App.Writer)
	}
	if q := queryFrom(c.Context); q != nil {
		// The client creates the file, where its user is.
		if err := q.out.write(frameFileBegin, nil); err != nil {
			return err
		}
		if err := write(stream{q.out, frameFile}); err != nil {
			return err
		}
		if err := c.Context.Err(); err != nil {
			return err
		}
		return q.out.write(frameFileCommit, nil)
	}
	f, err := export.Create(path)
	if err != nil {
		return err
	}
	defer f.Abort()
	if err := write(f); err != nil {
		return err
	}
	if err := c.Context.Err(); err != nil {
		// Interrupted after the last read (while rendering a report, say):
		// the file is not put in place.
		return err
	}
	return f.Commit()
}

// openOrUnknown says what an unended session is: still open or cut off.
func openOrUnknown(end time.Time) string {
	if end.IsZero() {
		return "open or cut off"
	}
	return ""
}

func tableOrJSON(c *cli.Context) (string, error) {
	switch f := c.String(flgFormat); f {
	case "table", "json":
		return f, nil
	default:
		return "", usagef("--format %q: use table or json", f)
	}
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// orDash prepares text from the service or the user for a table cell: "-"
// for nothing, else printable (a tab or newline in a title would break the
// table). JSON output keeps the text exact.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return printable(s)
}

// checkOutput returns a usage error when writing the file path would replace
// the database of --db or its snapshot socket: the same name, or another
// name of the same file (a hard or symbolic link). It is the Action of the
// -o flags, so it runs before the command does.
func checkOutput(c *cli.Context, path string) error {
	if path == "" || path == "-" || queryFrom(c.Context) != nil {
		// A query's client checked it: the path is its, not ours.
		return nil
	}
	db := c.String(flgDB)
	for _, p := range []struct{ path, what string }{
		{db, "the database"},
		{store.SnapshotSocket(db), "the snapshot socket of the database"},
	} {
		if sameFile(path, p.path) {
			return usagef("-o %s is %s %s: write to another file", path, p.what, db)
		}
	}
	return nil
}

// sameFile reports whether a and b name the same file, or the same path
// when neither exists yet.
func sameFile(a, b string) bool {
	fa, errA := os.Stat(a)
	fb, errB := os.Stat(b)
	if errA == nil && errB == nil {
		return os.SameFile(fa, fb)
	}
	absA, errA := filepath.Abs(a)
	absB, errB := filepath.Abs(b)
	return errA == nil && errB == nil && absA == absB
}
