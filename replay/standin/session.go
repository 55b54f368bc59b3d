package standin

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/confrec/confrec/confctl"
)

// Close codes and reasons the server sends on its own initiative. The
// service's codes are not documented.
const (
	reasonMeetingEnded     = "meeting ended"
	reasonHeartbeatTimeout = "heartbeat timeout"
	reasonSubscribeRefused = "subscribe refused"
	reasonReplaced         = "replaced by a new connection"
	reasonServerClosed     = "server closed"
)

// subscribeRefusedCode is the returnCode of a refused Subscribe.
const subscribeRefusedCode = 1

// writeTimeout bounds one write to a client that does not read.
const writeTimeout = 10 * time.Second

// session is one accepted WebSocket connection. Its writer loop (run) is
// the only goroutine writing to the connection and the only one touching
// its playback's position while it is the playback's live session.
type session struct {
	s   *Server
	pb  *playback
	ws  *websocket.Conn
	nc  net.Conn // the TCP connection under ws, for StepDrop
	log *slog.Logger

	// ctx is cancelled when another connection takes the playback over or
	// the server closes. Writes do not use it: coder/websocket closes the
	// connection when a write's context ends during the write, even after
	// the message was flushed, which would lose the close frame and make a
	// delivered step count as undelivered. Writes are bounded by
	// writeTimeout instead.
	ctx    context.Context
	cancel context.CancelFunc

	released    chan struct{} // closed once the session stops playing
	quit        chan struct{} // closed with released: stops the reader
	releaseOnce sync.Once
}

// eventKind is what a client request asks of the writer loop.
type eventKind uint8

const (
	evReply      eventKind = iota // only send the reply
	evSubscribed                  // send the reply, then play
	evRefused                     // send the reply, then close
	evHeartBeat                   // send the reply, restart the idle clock
)

// event is a client request turned into a reply by the reader.
type event struct {
	kind  eventKind
	reply []byte
}

// handleConnect serves the WebSocket push channel.
func (s *Server) handleConnect(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	confID, tmp := q.Get("confID"), q.Get("tmpToken")
	now := time.Now()

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		http.Error(w, "server closed", http.StatusServiceUnavailable)
		return
	}
	wt, ok := s.wsTokens[tmp]
	delete(s.wsTokens, tmp) // single use, whatever happens next
	switch {
	case !ok || tmp == "" || confID != wt.pb.script.ConfID || !now.Before(wt.expires):
		s.mu.Unlock()
		s.log.Info("websocket connection refused: bad tmpToken or confID", "remote", r.RemoteAddr)
		writeAPIError(w, http.StatusUnauthorized, codeTokenInvalid, msgTokenInvalid)
		return
	case wt.pb.ended || !wt.pb.m.running(now):
		s.mu.Unlock()
		writeAPIError(w, http.StatusBadRequest, confctl.MeetingNotRunningCode, msgNotRunning)
		return
	}
	// The HTTP connection is still counted in s.wg, so this Add cannot race
	// with Close's Wait.
	s.wg.Add(1)
	s.mu.Unlock()
	defer s.wg.Done()

	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		// Negotiated only when the client offers permessage-deflate.
		CompressionMode: websocket.CompressionNoContextTakeover,
	})
	if err != nil {
		// Accept has written the HTTP error.
		s.log.Info("websocket upgrade failed", "remote", r.RemoteAddr, "err", err)
		return
	}
	ws.SetReadLimit(maxMessageBytes)
	nc, _ := r.Context().Value(connKey{}).(net.Conn)

	c := &session{
		s:        s,
		pb:       wt.pb,
		ws:       ws,
		nc:       nc,
		released: make(chan struct{}),
		quit:     make(chan struct{}),
	}
	c.ctx, c.cancel = context.WithCancel(r.Context())
	defer c.cancel()
	stop := context.AfterFunc(s.ctx, c.cancel)
	defer stop()

	s.mu.Lock()
	prev := c.pb.live
	c.pb.live = c
	if c.pb.t0.IsZero() {
		c.pb.t0 = time.Now()
	}
	c.log = s.log.With("playback", c.pb.id, "remote", r.RemoteAddr)
	s.mu.Unlock()
	if prev != nil {
		prev.cancel()
	}
	c.log.Info("websocket connection accepted", "takeover", prev != nil)
	c.run(r.Context(), prev)
}

// run serves the connection until it ends. prev is the session it took
// the playback over from, if any: run plays nothing before prev released
// the playback.
func (c *session) run(rctx context.Context, prev *session) {
	events := make(chan event, 16)
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		defer close(events)
		c.readLoop(rctx, events)
	}()
	defer func() {
		c.release()
		_ = c.ws.CloseNow() // usually already closed
		<-readerDone
	}()

	if prev != nil {
		select {
		case <-prev.released:
		case <-c.ctx.Done():
			c.stopped()
			return
		}
	}

	hb := time.NewTimer(c.s.opts.HeartbeatTimeout)
	defer hb.Stop()
	due := time.NewTimer(time.Hour)
	due.Stop()
	defer due.Stop()
	subscribed := false

	for {
		var dueC <-chan time.Time
		if subscribed {
			wait, end := c.peek()
			switch {
			case end:
				c.endMeeting()
				return
			case wait <= 0:
				// Requests and stops go before a step that is due.
				select {
				case ev, ok := <-events:
					if !c.handle(ev, ok, &subscribed, hb) {
						return
					}
					continue
				case <-hb.C:
					c.closeWith(websocket.StatusPolicyViolation, reasonHeartbeatTimeout)
					return
				case <-c.ctx.Done():
					c.stopped()
					return
				default:
				}
				if !c.play() {
					return
				}
				continue
			}
			due.Reset(wait)
			dueC = due.C
		}
		select {
		case ev, ok := <-events:
			if !c.handle(ev, ok, &subscribed, hb) {
				return
			}
		case <-dueC:
		case <-hb.C:
			c.closeWith(websocket.StatusPolicyViolation, reasonHeartbeatTimeout)
			return
		case <-c.ctx.Done():
			c.stopped()
			return
		}
	}
}

// readLoop reads client messages until the connection ends or the session
// quits, turning requests into events.
func (c *session) readLoop(ctx context.Context, events chan<- event) {
	for {
		typ, b, err := c.ws.Read(ctx)
		if err != nil {
			if st := websocket.CloseStatus(err); st != -1 {
				c.log.Debug("client closed the connection", "code", int(st))
			}
			return
		}
		if typ != websocket.MessageText {
			continue
		}
		ev, ok := c.request(b)
		if !ok {
			continue
		}
		select {
		case events <- ev:
		case <-c.quit:
			return
		}
	}
}

// request turns a client message into an event; ok is false for messages
// that get no reply.
func (c *session) request(b []byte) (ev event, ok bool) {
	env, err := confctl.DecodeEnvelope(b)
	if err != nil {
		return event{}, false
	}
	switch env.Action {
	case confctl.ActionSubscribe:
		if c.s.subscribeOK(env, c.pb.script.ConfID) {
			return event{evSubscribed, confctl.NewReply(env.Action, env.Sequence, 0, "SUCCESS")}, true
		}
		return event{evRefused, confctl.NewReply(env.Action, env.Sequence, subscribeRefusedCode, "invalid confToken")}, true
	case confctl.ActionHeartBeat:
		return event{evHeartBeat, confctl.NewHeartBeatReply(env.Sequence)}, true
	case confctl.ActionConfControl:
		return event{evReply, confctl.NewReply(env.Action, env.Sequence, 0, "SUCCESS")}, true
	}
	return event{}, false
}

// subscribeOK reports whether a Subscribe request carries a meeting-control
// token this server issued and, if it names one, the conference confID.
func (s *Server) subscribeOK(env confctl.Envelope, confID string) bool {
	req, err := confctl.ParseSubscribe(env.Data)
	if err != nil {
		return false
	}
	if req.ConferenceID != "" && req.ConferenceID != confID {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.playbacks[confctl.ParseConfToken(req.ConfToken)] != nil
}

// handle sends an event's reply and acts on it. It reports whether the
// session goes on; ok false means the reader has stopped.
func (c *session) handle(ev event, ok bool, subscribed *bool, hb *time.Timer) bool {
	if !ok {
		c.log.Info("websocket connection ended by the client")
		return false
	}
	if err := c.write(websocket.MessageText, ev.reply); err != nil {
		c.log.Info("websocket write failed", "err", err)
		return false
	}
	switch ev.kind {
	case evSubscribed:
		*subscribed = true
	case evRefused:
		c.closeWith(websocket.StatusPolicyViolation, reasonSubscribeRefused)
		return false
	case evHeartBeat:
		hb.Reset(c.s.opts.HeartbeatTimeout)
	}
	return true
}

// write sends one message, giving up after writeTimeout. The bound is a
// write deadline on the TCP connection, lifted after the write: a context
// with a timeout costs a timer, a context and a cancel registration in
// coder/websocket per message, which at speed 0 is most of the server's
// work after the write itself.
func (c *session) write(typ websocket.MessageType, p []byte) error {
	if c.nc == nil {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(c.ctx), writeTimeout)
		defer cancel()
		return c.ws.Write(ctx, typ, p)
	}
	if err := c.nc.SetWriteDeadline(time.Now().Add(writeTimeout)); err != nil {
		return err
	}
	err := c.ws.Write(context.Background(), typ, p)
	_ = c.nc.SetWriteDeadline(time.Time{}) // fails only on a closed connection
	return err
}

// peek returns how long until the next step is due, or end true when every
// step has been played.
func (c *session) peek() (wait time.Duration, end bool) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	if c.pb.next >= len(c.pb.script.Steps) {
		return 0, true
	}
	st := c.pb.script.Steps[c.pb.next]
	return time.Until(c.pb.t0.Add(scaleOffset(st.Offset, c.s.opts.Speed))), false
}

// play performs the next step. It reports whether the session goes on.
func (c *session) play() bool {
	c.s.mu.Lock()
	i := c.pb.next
	st := c.pb.script.Steps[i]
	c.s.mu.Unlock()

	switch st.Kind {
	case StepText, StepBinary:
		typ := websocket.MessageText
		if st.Kind == StepBinary {
			typ = websocket.MessageBinary
		}
		if err := c.write(typ, st.Payload); err != nil {
			c.log.Info("websocket write failed", "step", i, "err", err)
			return false
		}
		c.consume()
		return true
	case StepDrop:
		c.consume()
		c.release()
		c.log.Info("dropping the connection", "step", i)
		if c.nc != nil {
			_ = c.nc.Close() // the error only says it was closed already
		}
		return false
	case StepClose:
		c.consume()
		code := websocket.StatusCode(st.CloseCode)
		if code == 0 {
			code = websocket.StatusNoStatusRcvd
		}
		c.closeWith(code, st.CloseReason)
		return false
	}
	// An unknown kind is skipped rather than stalling the playback.
	c.log.Warn("skipping step of unknown kind", "step", i, "kind", st.Kind.String())
	c.consume()
	return true
}

// consume marks the next step played. The playback ends when that was
// the last step and it closed or dropped the connection.
func (c *session) consume() {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	k := c.pb.script.Steps[c.pb.next].Kind
	c.pb.next++
	if c.pb.next == len(c.pb.script.Steps) && (k == StepClose || k == StepDrop) {
		c.pb.ended = true
	}
}

// endMeeting ends the playback after its last step.
func (c *session) endMeeting() {
	c.s.mu.Lock()
	c.pb.ended = true
	c.s.mu.Unlock()
	c.closeWith(websocket.StatusNormalClosure, reasonMeetingEnded)
}

// stopped closes the connection after a takeover or Server.Close.
func (c *session) stopped() {
	reason := reasonReplaced
	if c.s.ctx.Err() != nil {
		reason = reasonServerClosed
	}
	c.closeWith(websocket.StatusGoingAway, reason)
}

// closeWith releases the playback and closes the connection with a close
// handshake.
func (c *session) closeWith(code websocket.StatusCode, reason string) {
	c.release()
	c.log.Info("closing the connection", "code", int(code), "reason", reason)
	err := c.ws.Close(code, reason)
	if err != nil && !errors.Is(err, net.ErrClosed) {
		c.log.Debug("close handshake incomplete", "err", err)
	}
}

// release gives the playback up, so that a new connection may play it, and
// stops the reader from handing over requests.
func (c *session) release() {
	c.releaseOnce.Do(func() {
		c.s.mu.Lock()
		if c.pb.live == c {
			c.pb.live = nil
		}
		c.s.mu.Unlock()
		close(c.quit)
		close(c.released)
	})
}

// scaleOffset returns when a step at offset off is due, relative to the
// playback's start, at the given speed (0: at once).
func scaleOffset(off time.Duration, speed float64) time.Duration {
	switch {
	case off <= 0 || speed == 0 || math.IsInf(speed, 1):
		return 0
	case speed == 1:
		return off
	}
	d := float64(off) / speed
	if d >= math.MaxInt64 {
		return math.MaxInt64
	}
	return time.Duration(d)
}
