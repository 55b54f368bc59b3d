package replay_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/confrec/confrec/replay"
	"github.com/confrec/confrec/store"
)

// fuzzFrames splits a fuzz input into frames at each 0x1e byte. A frame
// starting with a byte below 0x1e takes it as flags: 1 sent by the client,
// 2 a new session, 4 binary, 8 close, 16 received an hour earlier than the
// previous frame (clocks step back); the rest is the payload. Others are
// text frames from the service. Frames are a second apart.
func fuzzFrames(data []byte) []store.Frame {
	var frames []store.Frame
	t := foldT0
	session := uint32(1)
	for i, chunk := range bytes.Split(data, []byte{0x1e}) {
		fr := store.Frame{Seq: uint64(i + 1), Dir: store.In, Op: store.Text}
		if len(chunk) > 0 && chunk[0] < 0x1e {
			c := chunk[0]
			chunk = chunk[1:]
			if c&1 != 0 {
				fr.Dir = store.Out
			}
			if c&2 != 0 {
				session++
			}
			if c&4 != 0 {
				fr.Op = store.Binary
			}
			if c&8 != 0 {
				fr.Op = store.Close
			}
			if c&16 != 0 {
				t = t.Add(-time.Hour)
			}
		}
		t = t.Add(time.Second)
		fr.Time, fr.Session, fr.Payload = t, session, chunk
		frames = append(frames, fr)
	}
	return frames
}

// FuzzFold folds arbitrary frames: the fold never panics, the state has
// unique participants and speakers and marshals to JSON, and attendance
// keeps its invariants (no interval ends before it starts, no negative
// totals).
func FuzzFold(f *testing.F) {
	f.Add([]byte(`{"action":"ParticipantsNotify","msgMode":0,"data":[{"pid":"a","mode":0,"pinfoMap":{"NAME":"A"}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		frames := fuzzFrames(data)
		folder := replay.NewFolder("fuzz", nil)
		att := replay.NewAttendance()
		var evs []replay.Event
		for i := range frames {
			evs = folder.Apply(evs[:0], &frames[i])
			for j := range evs {
				if evs[j].Kind == "" {
					t.Fatalf("event without kind: %+v", evs[j])
				}
				att.Add(&evs[j])
			}
			if i%8 == 0 || i == len(frames)-1 {
				checkState(t, folder.State())
			}
		}
		for _, ev := range folder.Finish(nil) {
			att.Add(&ev)
		}
		att.Finish(folder.End())

		for _, p := range att.Presences() {
			if p.Left.Before(p.Joined) || p.Duration < 0 || p.Duration != p.Left.Sub(p.Joined) {
				t.Errorf("bad presence %+v", p)
			}
		}
		seen := map[string]bool{}
		for _, s := range att.Summary() {
			if s.Total < 0 || s.Speaking < 0 || s.Rejoins < 0 || s.TimesMuted < 0 || s.LastLeft.Before(s.FirstJoined) {
				t.Errorf("bad summary %+v", s)
			}
			if seen[s.PID] {
				t.Errorf("two summaries of %q", s.PID)
			}
			seen[s.PID] = true
		}
	})
}

// checkState checks the invariants of a State.
func checkState(t *testing.T, s *replay.State) {
	t.Helper()
	for i := 1; i < len(s.Participants); i++ {
		if s.Participants[i-1].PID >= s.Participants[i].PID {
			t.Fatalf("participants not unique and sorted: %q then %q", s.Participants[i-1].PID, s.Participants[i].PID)
		}
	}
	spk := map[string]bool{}
	for i, sp := range s.Speakers {
		if spk[sp.PID] || (i > 0 && s.Speakers[i-1].Volume < sp.Volume) {
			t.Fatalf("speakers not unique and loudest first: %+v", s.Speakers)
		}
		spk[sp.PID] = true
	}
	for _, p := range s.Participants {
		if !p.Calling && p.Joined.IsZero() {
			t.Fatalf("participant %q neither calling nor joined", p.PID)
		}
	}
	if _, err := json.Marshal(s); err != nil {
		t.Fatalf("marshal state: %v", err)
	}
}
