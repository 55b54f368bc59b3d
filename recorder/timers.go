package recorder

import (
	"context"
	"time"
)

// runTimers is a session's one goroutine besides the read loop: it waits on
// every timer of the connection, so that an idle meeting costs no more. It
// sends a HeartBeat every Options.Heartbeat (beat), keeps the control token
// alive (token flow, see keepAlive), and closes the connection on the
// recorder's behalf: with 1000 "recording stopped" when ctx is cancelled,
// and with 1000 "meeting ended" when the server has not closed
// DestroyedGrace after "Destroyed". The close frame is recorded (Out)
// before it is sent. It exits when the read loop ends, or once it has
// closed the connection.
func (s *session) runTimers(ctx context.Context) {
	tick := time.NewTicker(s.r.o.Heartbeat)
	defer tick.Stop()
	beats := tick.C
	destroyed := s.destroyed
	grace := time.NewTimer(s.r.o.DestroyedGrace)
	grace.Stop() // started on "Destroyed"
	defer grace.Stop()
	var ended <-chan time.Time
	var renewal <-chan time.Time
	var changed <-chan struct{}
	a := s.r.alive
	if a != nil {
		renewal, changed = a.arm(), a.k.changed
		defer a.disarm()
	}
	for {
		select {
		case <-s.done:
			return
		case <-ctx.Done():
			s.stopping.Store(true)
			s.close(reasonStopped)
			return
		case <-destroyed:
			destroyed = nil
			grace.Reset(s.r.o.DestroyedGrace)
			ended = grace.C
		case <-ended:
			s.close(reasonEnded)
			return
		case <-beats:
			if !s.beat(ctx) {
				beats = nil
			}
		case <-changed:
			a.changed()
			renewal = a.arm()
		case <-renewal:
			a.fire(ctx)
			renewal = a.arm()
		}
	}
}
