package recorder

import "errors"

// Errors returned before anything is recorded.
var (
	// ErrInvalidOptions is returned by Record when Options are incomplete or
	// contradict each other (no conference ID, both or neither of Password
	// and WSURL, a URL that does not parse). The wrapped text says which.
	ErrInvalidOptions = errors.New("invalid recorder options")
)

// Errors returned when a recording ends early.
var (
	// ErrCannotReconnect is returned by Record in direct mode (Options.WSURL)
	// when the connection ends before the meeting does: the connect URL's
	// tmpToken is single-use, so there is no way back in. Everything
	// received before the drop is durable when it is returned.
	ErrCannotReconnect = errors.New("connection dropped and --ws-url gives no way to reconnect: use the token flow (--password-file) to reconnect")
)
