package main

import (
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/confrec/confrec/store"
)

// checkOutput returns a usage error when writing the file path would replace
// the database of --db or its snapshot socket: the same name, or another
// name of the same file (a hard or symbolic link). It is the Action of the
// -o flags, so it runs before the command does.
func checkOutput(c *cli.Context, path string) error {
	if path == "" || path == "-" {
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
