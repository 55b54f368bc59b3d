// Package replay plays a recorded (or scripted) meeting back, in two ways:
// through a stand-in for the Huawei Cloud Meeting service, so that any
// client of the meeting-control push channel, confrec's own recorder
// included, can connect to it exactly as it would to the real service; and
// as the meeting's state at any instant, folded from its frames.
//
// # Reconstruction
//
// A Folder folds a meeting's frames, in order, into its State (the meeting,
// participants, speakers, waiting room, attendees, invite results) and
// derives Events from them: joined, left, muted, speaker started, role
// changed, meeting locked, ... with the service's createTime as their time.
// It is a pure function of the frames. Reconstruct runs one over a meeting
// in a store.DB, StateAt stops at an instant, and Attendance turns the
// events into presence intervals and per-person totals.
//
// A full snapshot (msgMode 0) is diffed against the state held, so the
// fresh snapshots after a reconnect change only what really changed: no
// one who stayed appears to leave and rejoin. A site being called joins
// when the call connects. The stream's own faults become events too:
// skipped incremental versions, repeated msgIDs (remembered as 64-bit
// hashes, and not folded twice), sessions that ended. A frame the Folder
// cannot read or of an unknown action becomes an EventUnknown; the fold
// never fails.
//
// # The stand-in service
//
// A Script is the meeting to play: a conference ID and a list of Steps,
// each a server→client message (text or binary), a close or a dropped
// connection, at an offset from the moment the client connected.
// ReadScenario builds a Script from a JSON Lines scenario
// (testdata/scenario-basic.jsonl); LoadMeeting builds one from a meeting
// recorded in a store.DB.
//
// NewServer starts a Server playing one Script per meeting, much like
// httptest.NewServer; Serve runs one until a context is done. The Server
// answers on one plain-HTTP listener, for every meeting it plays (the
// conferenceID or confID of a request picks the Script):
//
//   - GET confctl.ConfTokenPath (CreateConfToken): checks X-Password
//     against ServerOptions.Password and returns a meeting-control token
//     whose wsURL points back at the server ("ws://HOST:PORT"). Sent with
//     X-Conference-Authorization, it keeps that token alive instead.
//   - GET (or PUT) confctl.WSTokenPath (CreateWebSocketToken): returns a
//     single-use WebSocket token for a valid meeting-control token.
//   - confctl.ConnectPath?confID=..&tmpToken=..: the push channel. The
//     tmpToken (from CreateWebSocketToken, or the tmpWsToken of
//     CreateConfToken) is checked before the upgrade and consumed.
//
// On the push channel the Server answers Subscribe, HeartBeat and
// ConfControl requests live (replies found in a recording or scenario are
// never played), and once the client has subscribed it plays the steps,
// step i at t0 + Offset/Speed where t0 is when the playback's first
// connection was accepted. Steps already due are sent at once, in order.
// When the steps run out without a close, it closes with 1000 "meeting
// ended".
//
// A playback is one meeting-control token and its keep-alives. Every
// CreateConfToken without X-Conference-Authorization starts a new playback
// from the first step; a client that reconnects with tokens derived from
// the same meeting-control token resumes where its previous connection
// stopped, with no step repeated or skipped. Only one connection plays a
// playback at a time: a new one takes over and the old one is closed
// (1001 "replaced by a new connection"). Once a playback has ended (its
// last step played and the connection closed or dropped) CreateConfToken
// keep-alives and CreateWebSocketToken for its token answer 400 with
// confctl.MeetingNotRunningCode, as the service does after a meeting.
//
// # Caveats
//
// The Server speaks plain HTTP and ws://, never TLS: clients must accept
// a ws:// wsURL. The service's close codes are undocumented; the Server
// uses 1000 "meeting ended", 1008 "heartbeat timeout", 1008 "subscribe
// refused" and 1001 on takeover or Server.Close. A StepClose in the
// middle of a Script closes the connection without ending the playback:
// the client may reconnect and resume.
//
// Tokens are random and live only in memory; they never appear in logs or
// errors. Error bodies other than the documented password error and
// "meeting not running" use the stand-in's own code MMC.111071001 (HTTP
// 401) for a bad or expired token.
//
// A client that stops reading for 10 seconds while a message is being
// written to it loses its connection (no close frame). Server.Close waits
// for every connection's close handshake, a few seconds at most each.
//
// The Script is shared, not copied: do not modify it while a Server plays
// it. permessage-deflate is negotiated only when a client offers it.
//
// ExampleNewServer shows a whole token flow and playback.
package standin
