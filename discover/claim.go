package discover

import "context"

// Claimer shares the meetings among the recorders of a fleet (for
// example natsfeed.Leases): before a recording starts the Discoverer asks
// it whether this recorder is to record the meeting.
type Claimer interface {
	// Claim returns a Claim when this recorder is to record meeting
	// confID now, nil when not (another recorder does, or will), or an
	// error when it cannot tell: the meeting is not recorded, and asked
	// about again at the next poll.
	Claim(ctx context.Context, confID string) (Claim, error)
	// Freed delivers meetings this recorder should look at now, without
	// waiting for the next poll (a recorder that held them died); nil for
	// none.
	Freed() <-chan string
}

// Claim is a meeting claimed for this recorder.
type Claim interface {
	// Lost is closed when another recorder took the meeting: its
	// recording stops.
	Lost() <-chan struct{}
	// Release gives the meeting up once its recording ended.
	Release()
}
