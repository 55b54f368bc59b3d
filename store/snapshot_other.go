//go:build !unix

package store

import "io/fs"

// privateModes says whether file modes keep other users out. Without unix
// modes and owners, the socket's directory permissions are all there is.
const privateModes = false

// ownedByMe says whether the file belongs to this process's user. Without
// unix owners, the socket's directory permissions are all there is.
func ownedByMe(fs.FileInfo) bool { return true }
