// Package standin is a stand-in for the Huawei Cloud Meeting service: it
// plays a recorded or scripted meeting to any client of the
// meeting-control push channel, confrec's own recorder included, through
// the same token flow and WebSocket the real service uses. Reconstructing
// a meeting's state is package replay's job, not this one's.
//
// # Basics
//
// A Script is the meeting to play: a conference ID and a list of Steps,
// each a server→client message (text or binary), a close or a dropped
// connection, at an offset from the moment the client connected.
// ReadScenario builds a Script from a JSON Lines scenario
// (testdata/scenario-basic.jsonl at the repository top); LoadMeeting builds
// one from a meeting recorded in a store.DB.
//
// NewServer starts a Server playing one Script per meeting, much like
// httptest.NewServer; Close stops it. Serve runs one until a context is
// done. ServerOptions sets the address, speed, host password, token
// lifetimes and heartbeat timeout; nil means the defaults. The Server doc
// lists what it answers and how a playback resumes after a reconnect.
//
// # Caveats
//
// The Server speaks plain HTTP and ws://, never TLS: clients must accept a
// ws:// wsURL. Tokens are random and live only in memory; they never
// appear in logs or errors.
//
// The Script is shared, not copied: do not modify it while a Server plays
// it. Close waits for every connection's close handshake, a few seconds at
// most each, and returns once all of the Server's goroutines have exited.
//
// ExampleNewServer shows a whole token flow and playback.
package standin
