// Package importer brings sessions recorded elsewhere into a confrec store:
// WebSocket sessions a browser captured as a HAR file (DevTools "Save all as
// HAR"), and the frame JSON Lines that `confrec export frames` writes.
//
// # Basics
//
// HAR reads a HAR document and stores each WebSocket entry (one with
// _webSocketMessages) whose URL is the meeting-control connect path as one
// session of the meeting named by the URL's confID parameter; every message
// becomes a frame ("send" out, "receive" in, text as is, binary from base64).
// JSONL reads an `export frames --format jsonl` file into a new meeting so
// that exporting it again gives the same bytes.
//
// Both refuse to import into a meeting the store already has
// (ErrMeetingExists), and both mark the meeting with the label LabelImported
// ("har:<name>" or "jsonl:<name>").
//
// # Caveats
//
// A browser's HAR holds the secrets it used: the tmpToken in the connect URL
// and the confToken in the Subscribe it sent (and the tokens of the REST
// calls, if they were captured too). HAR collects them all first, in a
// pass over the file of its own, and passes every URL and payload through
// a confctl.Redactor, so none reaches the store. Both passes stream: memory
// follows the largest message, not the file. A secret the HAR does not show
// as one (say, a token the server echoes in a notification without the
// client having sent it) cannot be recognised.
//
// DevTools records neither close frames nor pings, and keeps times to the
// microsecond: an imported HAR session ends without a close frame, and its
// frame times are whole microseconds. Messages of type "error" (DevTools'
// note of a failed frame) are not frames and are skipped.
//
// JSONL frames must be the whole meeting, in seq order from 1: the store
// numbers frames itself, so a filtered export (--dir, --action, --from)
// cannot be imported exactly and is refused (ErrSequence).
package importer
