// Package standin is a stand-in for the Huawei Cloud Meeting service: it
// plays recorded or scripted meetings to any client of the meeting-control
// push channel, confrec's own recorder included, through the same token
// flow and WebSocket the real service uses, and it can stand in for a
// whole enterprise whose meetings start and end by themselves.
// Reconstructing a meeting's state is package replay's job, not this one's.
//
// # Basics
//
// A Script is the meeting to play: a conference ID and a list of Steps,
// each a server→client message (text or binary), a close or a dropped
// connection, at an offset. ReadScenario builds a Script from a JSON Lines
// scenario (testdata/scenario-basic.jsonl at the repository top);
// LoadMeeting builds one from a meeting recorded in a store.DB.
//
// NewServer starts a Server playing one Script per meeting, much like
// httptest.NewServer; Close stops it. Serve runs one until a context is
// done. Each playback starts with its first connection. ServerOptions sets
// the address, speed, host password, token lifetimes, heartbeat timeout,
// App ID, App Key and webhook; nil means the defaults. The Server doc lists
// what it answers and how a playback resumes after a reconnect.
//
// # Enterprise
//
// NewScheduleServer (ServeSchedule) plays a schedule instead: a list of
// Scheduled meetings, each with its start, host password, subject,
// organizer and cloud meeting room. A meeting runs from its start until
// its last step is due, and every playback counts from the meeting's
// start, so a client that joins late gets the whole meeting. ReadSchedule
// reads a schedule in JSON Lines (testdata/enterprise-schedule.jsonl).
//
// With an App Key the Server also answers App ID authentication, the
// online meetings and one meeting's details (SetManagementDown makes them
// fail), and with a webhook URL it POSTs signed meeting.verify,
// meeting.started and meeting.end callbacks, some lost or repeated on
// purpose if asked.
//
// # Caveats
//
// The Server speaks plain HTTP and ws://, never TLS: clients must accept a
// ws:// wsURL. Tokens and nonces are random and live only in memory;
// tokens, passwords and the App Key never appear in logs or errors.
//
// The Script is shared, not copied: do not modify it while a Server plays
// it. Close waits for every connection's close handshake, a few seconds at
// most each, and for the webhook callback under way, and returns once all
// of the Server's goroutines have exited.
//
// ExampleNewServer shows a whole token flow and playback;
// ExampleNewScheduleServer finds a meeting through the management APIs.
package standin
