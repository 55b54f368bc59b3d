package main

import (
	"crypto/sha256"
	"fmt"
	"slices"
	"time"

	"github.com/confrec/confrec/confctl"
	"github.com/confrec/confrec/store"
)

// checked is what the database holds of a round's meetings.
type checked struct {
	Frames        uint64 // every frame stored: in, out, close
	Bytes         uint64 // their payload bytes
	Notifications int    // scenario frames found, in order
	Want          int    // scenario frames played
	Sessions      int
	Heartbeats    []int // HeartBeat requests sent, per meeting
	Replies       []int // HeartBeat echoes received, per meeting
	// Lags are, per notification, how far behind the scenario's schedule it
	// was received, measured from the meeting's first notification: (its
	// receive time − the first's) − (its offset − the first's). A recorder
	// (or server) that falls behind shows growing lags; a lag can be
	// slightly negative when the first notification itself came late.
	Lags     []time.Duration
	Problems []string
}

// expectation is how a round's recordings must have gone.
type expectation struct {
	Beats  int    // heartbeats each meeting sent at least
	Reason string // how the last session ended: "meeting-ended", "stopped"
}

// verify opens the database read-only and checks that every meeting holds
// every notification of its scenario, in order and byte for byte, that its
// hash chain verifies, that it sent heartbeats and had them answered, and
// that its recording ended as want says.
func verify(path string, scens []*scenario, want expectation) (*checked, error) {
	db, err := store.Open(path, &store.Options{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer db.Close()
	res := &checked{}
	for _, s := range scens {
		problem := func(format string, args ...any) {
			res.Problems = append(res.Problems, s.ConfID+": "+fmt.Sprintf(format, args...))
		}
		res.Want += len(s.Frames)
		m, err := db.Meeting(s.ConfID)
		if err != nil {
			problem("%v", err)
			continue
		}
		res.Frames += m.Frames
		res.Bytes += m.Bytes
		res.Sessions += len(m.Sessions)
		if err := db.Verify(s.ConfID); err != nil {
			problem("hash chain: %v", err)
		}
		if n := len(m.Sessions); n == 0 || m.Sessions[n-1].Reason != want.Reason {
			problem("the recording did not end %s: sessions %+v", want.Reason, m.Sessions)
		}
		beats, replies, err := checkFrames(db, s, res)
		if err != nil {
			problem("%v", err)
		}
		res.Heartbeats = append(res.Heartbeats, beats)
		res.Replies = append(res.Replies, replies)
		if beats < want.Beats {
			problem("%d heartbeats sent, want at least %d", beats, want.Beats)
		}
		if replies < beats-1 {
			problem("%d of %d heartbeats answered", replies, beats)
		}
	}
	return res, nil
}

// checkFrames reads meeting s's frames, matching its notifications against
// the scenario and counting heartbeats.
func checkFrames(db *store.DB, s *scenario, res *checked) (beats, replies int, err error) {
	c, err := db.Frames(s.ConfID, nil)
	if err != nil {
		return 0, 0, err
	}
	defer c.Close()
	var first time.Time // when the first notification was received
	k := 0
	for c.Next() {
		f := c.Frame()
		if f.Op != store.Text {
			continue
		}
		env, err := confctl.DecodeEnvelope(f.Payload)
		switch {
		case err == nil && f.Dir == store.Out:
			if env.Action == confctl.ActionHeartBeat {
				beats++
			}
			continue
		case f.Dir == store.Out:
			continue
		case err == nil && confctl.IsReplyAction(env.Action):
			if env.Action == confctl.ActionHeartBeat {
				replies++
			}
			continue
		}
		if k >= len(s.Frames) {
			return beats, replies, fmt.Errorf("seq %d: a notification beyond the scenario's %d", f.Seq, len(s.Frames))
		}
		if sha256.Sum256(f.Payload) != s.Frames[k].Sum {
			return beats, replies, fmt.Errorf("seq %d: notification %d of the scenario differs or is missing: got %.120q", f.Seq, k, f.Payload)
		}
		if k == 0 {
			first = f.Time
		}
		res.Lags = append(res.Lags, f.Time.Sub(first)-(s.Frames[k].Offset-s.Frames[0].Offset))
		k++
		res.Notifications++
	}
	if err := c.Err(); err != nil {
		return beats, replies, err
	}
	if k < len(s.Frames) {
		return beats, replies, fmt.Errorf("%d of %d notifications stored: missing from notification %d (offset %v) on", k, len(s.Frames), k, s.Frames[k].Offset)
	}
	return beats, replies, nil
}

// quantile returns the q quantile (0..1) of ds, which it sorts.
func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	return ds[min(len(ds)-1, int(q*float64(len(ds))))]
}
