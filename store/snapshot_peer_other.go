//go:build !linux

package store

import (
	"errors"
	"net"
)

// errNoPeerCred is what peerUID returns where the system does not tell a
// unix socket's peer.
var errNoPeerCred = errors.New("no peer credentials on this system")

// peerUID returns errNoPeerCred: outside Linux the socket's private
// directory and mode are what keep other users out.
func peerUID(net.Conn) (int, error) { return 0, errNoPeerCred }
