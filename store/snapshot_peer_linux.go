package store

import (
	"errors"
	"net"
	"syscall"
)

// errNoPeerCred is what peerUID returns where the system does not tell a
// unix socket's peer.
var errNoPeerCred = errors.New("no peer credentials on this system")

// peerUID returns the user ID of the process at the other end of a unix
// socket connection, as the kernel recorded it at connect (SO_PEERCRED).
func peerUID(c net.Conn) (int, error) {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return 0, errNoPeerCred
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return 0, err
	}
	var cred *syscall.Ucred
	var cerr error
	if err := raw.Control(func(fd uintptr) {
		cred, cerr = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	}); err != nil {
		return 0, err
	}
	if cerr != nil {
		return 0, cerr
	}
	return int(cred.Uid), nil
}
