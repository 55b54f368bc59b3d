// Package recorder records the meeting-control WebSocket of one Huawei Cloud
// Meeting into a store.DB: every frame received, byte for byte but for the
// secrets it redacts, and every frame sent, until the meeting ends or the
// caller stops it.
//
// # Basics
//
// [Record] is the whole API: it takes a context, an open [store.DB] and
// [Options], and returns a [Result] once the recording is over. Cancelling
// the context stops it: Record closes the connection with 1000 "recording
// stopped" and returns nil. Record returns only after every callback and
// goroutine it started has returned and everything it queued is durable.
//
// In the token flow (Options.Password) Record gets a control token with the
// host password and a single-use WebSocket token for every connection, keeps
// the control token alive, reconnects after drops with a capped, jittered
// backoff, and stops when the token service says the meeting is over
// ([ErrNotRunning] if it says so before any session connected). In direct
// mode (Options.WSURL) it makes the one connection the URL allows and
// returns [ErrCannotReconnect] when it ends early.
//
// Every connection is one store.Session: Subscribe, a HeartBeat every
// Options.Heartbeat, and one read loop that records each message with the
// time it was read (store.In); what is sent (store.Out) and close frames
// are recorded too. The session's store.SessionEnd Reason says how it
// ended: "meeting-ended", "stopped", "closed", "dropped", "frame-too-large"
// or "error". An idle recording is one goroutine, its read loop; the
// heartbeats and other timers are callbacks.
//
// An [Observer] in Options is told of sessions begun, reconnects and failed
// token calls, for metrics.
//
// # Caveats
//
// Secrets never reach the store, the logs or an error text. A received frame
// that holds one (a secret the recorder knows, or a meeting passcode) is
// stored with it redacted ([confctl.Redactor.Redact] says what changes),
// and is then no longer byte for byte what the server sent; each such frame
// is logged and counted in the meeting's [LabelRedactedFrames] label.
//
// A message larger than Options.MaxFrame ends its session (close 1009,
// "frame-too-large"); an unanswered HeartBeat with nothing else received
// marks the connection half-open and drops it. Closing uses the WebSocket
// close handshake, during which the library may discard the few seconds of
// messages that arrive before the server's Close frame.
package recorder
