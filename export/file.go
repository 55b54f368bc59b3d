package export

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// File is an output file written under a temporary name and renamed into
// place by Commit. Write to it like an *os.File. Exactly one of Commit or
// Abort must be called; Abort after Commit is a no-op, so `defer f.Abort()`
// is the usual pattern.
type File struct {
	*os.File
	path string
	done bool
}

// Create opens a new temporary file next to path (mode 0600, named
// path's base name plus a random part and ".tmp") for writing; Commit
// renames it to path. The temporary file is always a new file: a stale one
// left by an earlier run, or a symbolic link planted under its name, is
// never opened, so the result is 0600 and written where path says.
func Create(path string) (*File, error) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("create %s: is a directory", path)
	}
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	return &File{File: f, path: path}, nil
}

// Commit syncs and closes the file, renames it to its final name and syncs
// the directory.
func (f *File) Commit() error {
	if f.done {
		return fmt.Errorf("commit %s: already committed or aborted", f.path)
	}
	f.done = true
	tmp := f.File.Name()
	err := f.File.Sync()
	if cerr := f.File.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, f.path)
	}
	if err != nil {
		return errors.Join(fmt.Errorf("write %s: %w", f.path, err), os.Remove(tmp))
	}
	if d, err := os.Open(filepath.Dir(f.path)); err == nil {
		err = d.Sync()
		if cerr := d.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("sync directory of %s: %w", f.path, err)
		}
	}
	return nil
}

// Abort closes and removes the temporary file, unless Commit already ran.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	f.File.Close()
	os.Remove(f.File.Name())
}
