//go:build unix

package store

import (
	"io/fs"
	"os"
	"syscall"
)

// privateModes says whether file modes keep other users out, so that a
// private directory must have mode 0700.
const privateModes = true

// ownedByMe says whether the file belongs to this process's user.
func ownedByMe(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Getuid()
}
