package discover

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzParsePasswords: no file panics the parser; an error names a line and
// never quotes a password; every password read is a non-empty, trimmed
// rest of a line whose first word is its meeting number.
func FuzzParsePasswords(f *testing.F) {
	f.Add([]byte("986512347 178030\n# c\n\n9001\tpass word\r\n"))
	f.Add([]byte("1\n"))
	f.Add([]byte("x y\n1 a\n1 b"))
	f.Fuzz(func(t *testing.T, b []byte) {
		byID, err := parsePasswords(bytes.NewReader(b))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "line ") && !strings.HasPrefix(err.Error(), "larger than") {
				t.Fatalf("error names no line: %v", err)
			}
			return
		}
		for id, pw := range byID {
			if !meetingNumber(id) || pw == "" || strings.TrimSpace(pw.Reveal()) != pw.Reveal() {
				t.Fatalf("read %q → %q", id, pw.Reveal())
			}
			if !bytes.Contains(b, []byte(id)) || !bytes.Contains(b, []byte(pw.Reveal())) {
				t.Fatalf("read %q → %q, which the file does not hold", id, pw.Reveal())
			}
		}
	})
}
