// Package export writes what the store holds in formats other tools read:
// frames as JSON Lines, JSON or CSV; a meeting's timeline and attendance as
// CSV or JSON; a visual HTML report; a meeting's sessions as a HAR file.
//
// # Basics
//
// [Frames] streams a meeting's frames from a [store.DB] to an io.Writer,
// one [interchange.FrameRecord] per frame, filtered by [FramesOptions].
// [TimelineWriter] writes the events replay derives from the frames, one at
// a time; [Attendance] and [AttendanceSummary] write presence intervals and
// per-person totals; [Report] writes one self-contained HTML page with a
// presence timeline drawn in SVG that fits the window, the attendance
// table and what [ReportIntegrity] says of the hash chain and the seal,
// every time of the meeting on the service's clock. Times in timeline and
// attendance exports
// are RFC 3339 UTC with milliseconds ([EventTimeLayout]). [Create] opens an
// output file the safe way: written to a temporary file (mode 0600), synced,
// then renamed into place by [File.Commit], so a failed export never leaves a
// half-written file under the final name. [WriteHAR] writes a meeting as a
// HAR 1.2 document ([interchange.HAR]) as Chrome DevTools writes WebSocket
// sessions.
//
// # Caveats
//
// A text frame's payload is written as its exact text in the "payload" field.
// A text frame that is not valid UTF-8 cannot be a JSON or CSV string without
// change, so it is written as "payload_base64" instead, like binary and close
// frames. Decoding the payload (action, msg_id) is best effort: a frame that
// does not parse is still exported, with those fields empty.
//
// A CSV cell keeps its text byte for byte, but one that a spreadsheet would
// run as a formula (it starts with = + - @ TAB, CR or NUL and is not a plain
// number), or that starts with ', is written with a ' in front: remove one
// leading ' from a cell to get its value.
//
// A HAR message's data is a JSON string: a text frame that is not valid
// UTF-8 has its invalid bytes written as U+FFFD there, and message times
// keep microseconds, not nanoseconds. Use Frames for an exact copy.
//
// The examples are the best way to understand the API.
package export
