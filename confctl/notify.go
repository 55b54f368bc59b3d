package confctl

import (
	"bytes"
	"encoding/json"
	"strings"
)

// This file reads the two facts a recorder learns from meeting
// notifications: the title a ConfBasicInfoNotify gives and whether a
// ConfDynamicInfoNotify says the meeting is over. Neither function checks
// the frame's action; the caller has read it (Peek).

// notifyFields are the members of ConfBasicInfoNotify and
// ConfDynamicInfoNotify read here, matched as encoding/json matches names
// (without regard to case; the last of duplicates wins).
type notifyFields struct {
	Title json.RawMessage `json:"title"`
	State json.RawMessage `json:"state"`
}

// BasicInfoTitle returns the meeting title of the ConfBasicInfoNotify b:
// its top-level title member, or, when that is absent or unusable (not a
// string, number or null), the title member of its data object. A string's
// value and a number's text count (LenientString); a null title is the
// empty title. ok is false when b is not a JSON object or carries no
// usable title.
func BasicInfoTitle(b []byte) (title string, ok bool) {
	var f notifyFields
	if json.Unmarshal(b, &f) != nil {
		return "", false
	}
	if title, ok := titleText(f.Title); ok {
		return title, true
	}
	env, err := DecodeEnvelope(b)
	if err != nil {
		return "", false
	}
	obj, isObj := env.DataObject()
	if !isObj || json.Unmarshal(obj, &f) != nil {
		return "", false
	}
	return titleText(f.Title)
}

// titleText reads a title member: LenientString, and null as "".
func titleText(raw json.RawMessage) (string, bool) {
	if string(raw) == "null" {
		return "", true
	}
	return LenientString(raw)
}

// DynamicInfoDestroyed reports whether the ConfDynamicInfoNotify b says
// the meeting has ended: its top-level state member is "Destroyed" in any
// letter case (strings.EqualFold), as a string (LenientString). A frame
// that does not parse says nothing. Most frames are decided by a scan of
// their bytes that allocates nothing.
func DynamicInfoDestroyed(b []byte) bool {
	if !mayHoldDestroyed(b) {
		return false
	}
	var f notifyFields
	if json.Unmarshal(b, &f) != nil {
		return false
	}
	state, _ := LenientString(f.State)
	return strings.EqualFold(state, "Destroyed")
}

// mayHoldDestroyed reports whether b could hold the state "Destroyed" in
// any letter case (strings.EqualFold's, which also folds "ſ" to "s"): it
// holds "troyed" in any ASCII case, or an escape that might spell it.
func mayHoldDestroyed(b []byte) bool {
	if bytes.IndexByte(b, '\\') >= 0 {
		return true
	}
	const tail = "troyed" // no letter in it has a non-ASCII fold
	for i := 0; i+len(tail) <= len(b); i++ {
		if c := b[i]; (c == 't' || c == 'T') && strings.EqualFold(string(b[i:i+len(tail)]), tail) {
			return true
		}
	}
	return false
}
