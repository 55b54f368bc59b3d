package recorder_test

import (
	"bytes"
	"regexp"
)

// passcodeMember is a "pwd" member whose string holds no escape, as in the
// scenarios' ConfBasicInfoNotify.
var passcodeMember = regexp.MustCompile(`("pwd"\s*:\s*")([^"\\]+)(")`)

// withoutPasscodes returns a frame as the recorder stores it: the meeting
// passcodes of a frame with "pwds" replaced by "[redacted]", every other
// byte as the server sent it.
func withoutPasscodes(b []byte) []byte {
	if !bytes.Contains(b, []byte(`"pwds"`)) {
		return b
	}
	return passcodeMember.ReplaceAll(b, []byte(`${1}[redacted]${3}`))
}
