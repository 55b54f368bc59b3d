// Package recorder records the meeting-control WebSocket of one Huawei Cloud
// Meeting into a store.DB: every frame received, byte for byte but for the
// secrets it redacts (see Caveats), and every frame sent, until the meeting
// ends or the caller stops it.
//
// # Basics
//
// [Record] is the whole API: it takes a context, an open [store.DB] and
// [Options], and returns a [Result] once the recording is over. Cancelling
// the context is how a recording is stopped; Record then closes the
// connection with 1000 "recording stopped" and returns nil.
//
// Record connects in one of two modes. In the token flow (Options.Password)
// it gets a meeting-control token with the host password (CreateConfToken),
// a single-use WebSocket token (CreateWebSocketToken) for every connection,
// and keeps the control token alive before it expires; when a connection
// drops or is closed before the meeting ends, it reconnects with fresh
// tokens after a capped, jittered backoff, and stops when the token service
// says the meeting is no longer running (said before any session connected,
// that is an error: ErrNotRunning). In direct mode (Options.WSURL) it
// makes the single connection the URL allows and returns
// [ErrCannotReconnect] when that connection ends early.
//
// Every connection is one store session (store.Session). On it Record sends
// Subscribe and a HeartBeat every Options.Heartbeat. One read loop per
// connection reads and records each message (store.In) with the time it
// was read; what is sent is recorded too (store.Out), as are close frames in
// both directions. How a session ended is kept as its store.SessionEnd
// Reason: "meeting-ended", "stopped", "closed", "dropped", "frame-too-large"
// or "error".
//
// # Caveats
//
// Secrets never reach the store, the logs or an error text: the stored
// Subscribe has its control token replaced by a confctl.Redactor marker,
// connect URLs are stored with tmpToken blanked, and every error passes
// through the Redactor.
//
// Received frames are stored as received, even when they do not parse, with
// one exception, where keeping secrets out wins over keeping raw bytes:
// every secret the recorder knows (the host password, the control tokens
// and the WebSocket tokens) is replaced by a Redactor marker
// "[redacted:<hash>]" before the frame is stored, and so are the meeting
// passcodes (the "pwd" members under "pwds" that ConfBasicInfoNotify lists
// for the chair, general and audience roles), by "[redacted]", whatever
// password the recorder used: a cloud meeting room keeps them for every
// meeting held in it. Such a frame is no longer byte for byte what the
// server sent. Each one is logged ("secret redacted from a received
// frame", with its action, never the secret) and counted in the meeting's
// LabelRedactedFrames label, over all recordings of the meeting.
//
// A frame that is JSON is redacted on its structure (confctl.Redactor's
// Redact): only the bytes of a string, key or number that spell a secret
// change, however the string escapes it (\uXXXX, \/, URL escapes, base64,
// "Basic "); every other byte, and the frame's validity, stay. A secret
// shorter than 16 bytes counts only as a whole token, so a six-digit
// password that occurs inside createTime, version or a time string is left
// alone there. A frame that is not JSON is searched as text, with the same
// rule. A frame that holds no secret is stored byte for byte. The recorder
// peeks at the stored, redacted frames to see heartbeat echoes, the
// meeting title (stored as the meeting's "title" label) and the
// "Destroyed" state that ends the meeting.
//
// A message larger than Options.MaxFrame cannot be stored: the connection is
// closed with 1009 and the session ends as "frame-too-large" (then Record
// reconnects). A HeartBeat still unanswered when the next is due, with
// nothing else received meanwhile, means the connection is half-open; it is
// dropped and, in the token flow, reopened.
//
// Stopping (cancelling the context), and closing a connection ourselves
// DestroyedGrace after "Destroyed", use the WebSocket close handshake:
// our Close frame is recorded and sent, then coder/websocket's Close waits
// up to 5 seconds for the server's. While it waits it may read the
// connection itself, and then it discards every data message that arrives
// during the handshake, and the server's Close frame too: at most those few
// seconds after our Close frame can be lost. When the read loop reads them
// instead, they are stored as usual (the server's answer as an In Close
// frame). After "Destroyed" the meeting is over, so little is sent then.
//
// Record returns only after every callback and goroutine it started has
// returned and db.Flush has made everything it queued durable. An idle
// recording costs one goroutine, the one running Record, which reads the
// connection; the heartbeats, the token's keep-alive, the context's end
// and the destroyed grace are timer callbacks (time.AfterFunc,
// context.AfterFunc) that run only when due. Many meetings in one process
// stay cheap that way (see bench/load -idle).
package recorder
