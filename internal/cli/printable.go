package cli

import (
	"strings"
	"unicode"
)

// printable prepares text that may come from a server (a title, a name, a
// close reason, an error quoting an answer) for a terminal: control
// characters (escape sequences, line breaks, carriage returns) and the
// bidirectional controls (U+202E and its kin, which reorder what a line
// shows) become spaces. JSON output keeps the text exact.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) {
			return ' '
		}
		return r
	}, s)
}
