//go:build unix

package discover

import "syscall"

// openNonblock is added to the flags of an open that must not wait: a
// FIFO opened for reading waits for a writer unless it is given.
const openNonblock = syscall.O_NONBLOCK
