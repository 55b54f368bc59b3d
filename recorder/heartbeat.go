package recorder

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/confrec/confrec/confctl"
	"github.com/confrec/confrec/store"
)

// heartbeat tracks the HeartBeat requests of one connection. The session's
// timer goroutine sends them (beat); the read loop reports the echoes with
// answer.
type heartbeat struct {
	mu       sync.Mutex
	sent     string // sequence of the last request sent, "" before the first
	answered bool   // whether sent has been echoed
	alive    bool   // whether any message arrived since sent was sent
}

// heard records that a message arrived: the connection is not half-open,
// even if the echo itself is late (a busy server, a loaded machine).
func (h *heartbeat) heard() {
	h.mu.Lock()
	h.alive = true
	h.mu.Unlock()
}

// answered records an echo with sequence seq.
func (h *heartbeat) answer(seq string) {
	h.mu.Lock()
	if seq != "" && seq == h.sent {
		h.answered = true
	}
	h.mu.Unlock()
}

// next records that a request with sequence seq is about to be sent. It
// returns false, sending nothing, when the previous request is still
// unanswered and nothing else arrived since it was sent.
func (h *heartbeat) next(seq string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.sent != "" && !h.answered && !h.alive {
		return false
	}
	h.sent, h.answered, h.alive = seq, false, false
	return true
}

// beat sends one HeartBeat, recording it as an Out frame; the timers call
// it every Options.Heartbeat. When the previous request is still unanswered,
// the connection is half-open: it marks the session dropped and closes the
// connection, which ends the read loop (detection takes at most two
// intervals). It returns false when no more heartbeats are to be sent on
// this connection.
func (s *session) beat(ctx context.Context) bool {
	now := time.Now()
	seq := confctl.HeartBeatSequence(now)
	if !s.hb.next(seq) {
		s.fail(endDropped, fmt.Errorf("heartbeat not answered within %v: connection is half-open", s.r.o.Heartbeat))
		s.link.ws.CloseNow()
		return false
	}
	msg := confctl.NewHeartBeat(seq)
	werr, serr := s.send(ctx, now, msg, msg)
	if serr != nil {
		s.fatal(serr)
		return false
	}
	if werr != nil {
		// The connection is broken; the read loop sees why and ends the
		// session. Closing it makes sure the read loop wakes up.
		s.r.log.Debug("send heartbeat failed", "meeting", s.r.o.ConfID, "session", s.id, "err", s.r.red.Err(werr))
		s.link.ws.CloseNow()
		return false
	}
	return true
}

// send writes msg and, once it is written, records stored (msg with secrets
// redacted) as an Out frame at time at. It holds s.order throughout, so a
// reply, which the read loop records under s.order too, is always stored
// after its request; a message that could not be written is not recorded.
// It returns the write's error and the store's error apart.
func (s *session) send(ctx context.Context, at time.Time, msg, stored []byte) (writeErr, storeErr error) {
	s.order.Lock()
	defer s.order.Unlock()
	if err := s.write(ctx, msg); err != nil {
		return err, nil
	}
	return nil, s.record(store.Frame{Time: at, Dir: store.Out, Op: store.Text, Payload: stored})
}

// write sends one text message, bounded by a timeout so that a stalled
// connection cannot block the caller for ever. Cancelling ctx does not
// abort it: coder/websocket would close the connection without the close
// handshake that a stop owes the server.
func (s *session) write(ctx context.Context, msg []byte) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), max(s.r.o.Heartbeat, minWriteTimeout))
	defer cancel()
	return s.link.ws.Write(ctx, websocket.MessageText, msg)
}

// minWriteTimeout is the shortest time a write may take before the
// connection is given up.
const minWriteTimeout = 10 * time.Second
