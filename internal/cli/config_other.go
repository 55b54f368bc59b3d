//go:build !unix

package cli

import "io/fs"

// fileModes says whether file modes say who may write a file. Without unix
// modes (Windows reports 0666 for any writable file), there is nothing to
// check.
const fileModes = false

// fileOwner returns false: there are no unix owners to check.
func fileOwner(fs.FileInfo) (int, bool) { return 0, false }

// openNonblock is 0 where opening a file never waits for a writer.
const openNonblock = 0
