// Package webserver serves confrec's HTTP endpoints (record's metrics and
// its live page) the same way: one server type, one password check.
//
// # Basics
//
// [Listen] opens a TCP address at once, so that a bad one is reported
// before anything else starts; [Server.Start] serves a handler on it in a
// goroutine of its own and [Server.Close] stops it and waits for that
// goroutine. [BasicAuth] puts a handler behind a user and password, and
// [LoopbackHost] one without a password out of reach of DNS rebinding.
//
// # Caveats
//
// The server's timeouts suit short requests: a handler that streams (such
// as Server-Sent Events) clears its read deadline and sets its own write
// deadlines with http.ResponseController. Close lets requests in flight
// finish for a few seconds, then cuts them off: a streaming handler should
// end its streams itself first.
package webserver
