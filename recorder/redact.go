package recorder

import (
	"fmt"
	"strconv"
)

// LabelRedactedFrames is the meeting label holding how many received frames
// were stored with a secret redacted, over every recording of the meeting.
const LabelRedactedFrames = "redacted_frames"

// redact returns b with every secret the recorder knows (the host password,
// the control tokens and the WebSocket tokens) replaced by a
// confctl.Redactor marker, and whether anything was replaced. The meeting
// passcodes a frame lists go too, whatever password the recorder used: a
// cloud meeting room keeps them for every meeting held in it. Keeping
// secrets out of the store wins over keeping the raw bytes. When nothing
// matches, the common case, it returns b itself and allocates nothing.
func (r *recorder) redact(b []byte) ([]byte, bool) {
	out := r.red.Redact(b)
	// Redact returns its argument when nothing matched and a new slice
	// otherwise; an empty message cannot match.
	return out, len(b) > 0 && &out[0] != &b[0]
}

// noteRedacted counts a received frame stored with a secret redacted: it
// sets the meeting's LabelRedactedFrames label and logs the frame's action
// (never the secret). The count continues the one a previous recording of
// the meeting left in the label. It returns only store errors. It is called
// by the read loop, which runs in Record's goroutine.
func (r *recorder) noteRedacted(action string) error {
	if !r.redactedLoaded {
		r.redactedLoaded = true
		// The meeting exists: its session has begun. A label that is
		// missing or unreadable counts from zero.
		if m, err := r.db.Meeting(r.o.ConfID); err == nil {
			if n, err := strconv.ParseInt(m.Labels[LabelRedactedFrames], 10, 64); err == nil && n > 0 {
				r.redactedBefore = n
			}
		}
	}
	r.redacted++
	total := r.redactedBefore + r.redacted
	if err := r.db.SetLabel(r.o.ConfID, LabelRedactedFrames, strconv.FormatInt(total, 10)); err != nil {
		return fmt.Errorf("set %s label: %w", LabelRedactedFrames, err)
	}
	r.log.Info("secret redacted from a received frame", "meeting", r.o.ConfID, "action", action, "redacted_frames", total)
	return nil
}
