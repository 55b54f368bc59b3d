//go:build unix

package cli

import (
	"io/fs"
	"syscall"
)

// fileModes says whether file modes say who may write a file, so that a
// config file writable by group or others is refused.
const fileModes = true

// fileOwner returns the user ID owning the file, and false where the
// system has none to give.
func fileOwner(fi fs.FileInfo) (int, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}

// openNonblock is added to the flags of an open that must not wait: a
// FIFO opened for reading waits for a writer unless it is given.
const openNonblock = syscall.O_NONBLOCK
