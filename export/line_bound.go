package export

// MaxJSONLLine is the length, in bytes and without its newline, that no
// line Frames writes in JSON Lines exceeds for a frame of at most
// maxPayload bytes. A text payload is written with every control character
// as a six-byte \u00XX escape, and the envelope's action and msgID, which
// are parts of the payload, are written beside it escaped alike: twelve
// bytes a payload byte at most. A close frame's base64 and reason take
// less. The rest of the record (names, numbers, time) fits in 512 bytes.
func MaxJSONLLine(maxPayload int64) int64 {
	return 12*maxPayload + 512
}
