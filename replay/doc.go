// Package replay reconstructs a recorded meeting from its frames: the
// meeting's state at any instant, the events that led there, and who
// attended when. It reads a store.DB and writes nothing; the stand-in for
// the meeting service, which plays a meeting back to a client, is package
// replay/standin.
//
// # Basics
//
// A Folder folds one meeting's frames, in store order, into a State (the
// meeting, participants, speakers, waiting room, attendees, invite
// results) and derives Events from them (joined, left, muted, speaker
// started, role changed, ...). It is a pure function of the frames: no
// I/O, no clock. Make one with NewFolder, feed it with Apply, end it with
// Finish.
//
// Reconstruct runs a Folder over a meeting in a store.DB and StateAt stops
// one at an instant. Attendance takes the events, in order, and turns them
// into Presences and PersonSummaries. FirstOffset and TimeRange put the
// frames on the service's clock, the clock of every Event.Time.
//
// # Caveats
//
// The fold never fails: a frame it cannot read, or of an unknown action,
// becomes an EventUnknown, and the stream's own faults (a version gap, a
// repeated msgID, a session that ended) become events too.
//
// A Folder and an Attendance are not safe for concurrent use. The *Event
// passed to Reconstruct's callback is valid only during the call.
// Reconstruct reads every frame of the meeting: for a long one that is the
// cost of the call, not a held transaction (store's Cursor reads in short
// ones).
//
// ExampleFolder shows a fold from first frame to Finish.
package replay
