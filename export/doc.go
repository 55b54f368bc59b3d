// Package export writes what the store holds in formats other tools read:
// frames as JSON Lines, JSON or CSV.
//
// # Basics
//
// [Frames] streams a meeting's frames from a [store.DB] to an io.Writer, one
// [FrameRecord] per frame, filtered by [FramesOptions]. [Create] opens an
// output file the safe way: written to a temporary file (mode 0600), synced,
// then renamed into place by [File.Commit], so a failed export never leaves a
// half-written file under the final name.
//
// # Caveats
//
// A text frame's payload is written as its exact text in the "payload" field.
// A text frame that is not valid UTF-8 cannot be a JSON or CSV string without
// change, so it is written as "payload_base64" instead, like binary and close
// frames. Decoding the payload (action, msg_id) is best effort: a frame that
// does not parse is still exported, with those fields empty.
//
// The examples are the best way to understand the API.
package export
