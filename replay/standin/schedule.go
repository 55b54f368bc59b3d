package standin

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/confrec/confrec/confctl"
)

// Scheduled is one meeting of a stand-in enterprise: a Script played from
// a start time on, whoever connects and whenever.
type Scheduled struct {
	// Script is the meeting played; Script.ConfID is its conference ID.
	// The Server reads it, never changes it.
	Script *Script
	// Start is when the meeting starts, counted from the Server's start in
	// wall-clock time (ServerOptions.Speed does not scale it). It must not
	// be negative (ErrNegativeStart).
	Start time.Duration
	// Password is the meeting's host password, checked by CreateConfToken
	// (X-Password). Empty: ServerOptions.Password, and if that is empty
	// too, any password.
	Password confctl.Secret
	// Subject and Organizer are the meeting's subject and its organizer's
	// name ("scheduserName") in the management APIs.
	Subject, Organizer string
	// VMRConferenceID is the ID of the cloud meeting room the meeting is
	// held in, if any; several meetings may share one.
	VMRConferenceID string
	// PasswordListed makes the online meetings and the meeting's details
	// show the host password as its "chair" passwordEntry. Otherwise they
	// show no password: a client must know it from elsewhere.
	PasswordListed bool
}

// NewScheduleServer starts a Server standing in for an enterprise whose
// meetings start and end by themselves, listening on opts.Addr. It serves
// at once, in goroutines owned by the Server; call Close to stop it.
//
// Each meeting runs from the Server's start plus Scheduled.Start until its
// last step is due (its largest Step.Offset divided by opts.Speed; at
// Speed 0 a meeting ends as it starts, so give a Speed above 0 for
// meetings a client should join). Every playback counts its step offsets
// from the meeting's start: a client that connects late, or a new token
// flow after a crash, gets every step already due at once, from the first,
// then the others on time. Two meetings may not share a conference ID
// (ErrDuplicateConfID).
func NewScheduleServer(meetings []Scheduled, opts *ServerOptions) (*Server, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("new replay server: %w", err)
	}
	if len(meetings) == 0 {
		return nil, fmt.Errorf("new replay server: %w", ErrNoScript)
	}
	now := time.Now()
	ms := make([]*meeting, 0, len(meetings))
	for _, sc := range meetings {
		if sc.Script == nil {
			return nil, fmt.Errorf("new replay server: %w", ErrNoScript)
		}
		if sc.Start < 0 {
			return nil, fmt.Errorf("new replay server: meeting %s: %w", sc.Script.ConfID, ErrNegativeStart)
		}
		start := now.Add(sc.Start)
		pw := sc.Password
		if pw == "" {
			pw = o.Password
		}
		ms = append(ms, &meeting{
			script:    sc.Script,
			start:     start,
			end:       start.Add(scaleOffset(lastOffset(sc.Script), o.Speed)),
			password:  pw,
			confUUID:  newUUID(),
			subject:   sc.Subject,
			organizer: sc.Organizer,
			vmrID:     sc.VMRConferenceID,
			listed:    sc.PasswordListed,
		})
	}
	return newServer(ms, true, now, o)
}

// ServeSchedule runs a Server of NewScheduleServer until ctx is done, then
// closes it and returns nil. ready, if not nil, is called with Server.URL
// as soon as the server accepts connections. It returns NewScheduleServer's
// error if the server cannot start.
func ServeSchedule(ctx context.Context, meetings []Scheduled, opts *ServerOptions, ready func(url string)) error {
	srv, err := NewScheduleServer(meetings, opts)
	if err != nil {
		return err
	}
	return srv.serveUntil(ctx, ready)
}

// lastOffset returns when s's last step is due, unscaled: its largest
// offset (steps play in order, so none is due before an earlier one).
func lastOffset(s *Script) time.Duration {
	var last time.Duration
	for _, st := range s.Steps {
		last = max(last, st.Offset)
	}
	return last
}

// newUUID returns a random confUUID: 16 random bytes in hex.
func newUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails: crypto/rand crashes the program instead
	return hex.EncodeToString(b)
}
