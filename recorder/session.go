package recorder

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/confrec/confrec/confctl"
	"github.com/confrec/confrec/store"
)

// Session end reasons stored in store.SessionEnd.Reason.
const (
	endMeetingEnded = "meeting-ended"   // the server closed (or dropped) after "Destroyed"
	endStopped      = "stopped"         // the caller cancelled the context
	endClosed       = "closed"          // the server closed without "Destroyed"
	endDropped      = "dropped"         // network error, no close frame, or heartbeat missed
	endTooLarge     = "frame-too-large" // a message exceeded Options.MaxFrame
	endError        = "error"           // the store failed
)

// Close codes and reasons we send.
const (
	reasonStopped = "recording stopped"
	reasonEnded   = "meeting ended"
)

// session is one connection: it begins a store session, subscribes, arms
// its timers (heartbeats, the token's keep-alive, closing: see timers), and
// reads and records until the connection ends. The read loop runs in the
// goroutine that called runSession, which returns only after the last
// timer callback has returned: one goroutine a connection.
type session struct {
	r    *recorder
	link *link
	id   uint32
	hb   heartbeat
	t    timers

	// order is held while a message is written and recorded (send) and
	// while the read loop records a message, so that what is stored
	// follows what happened on the wire: a request before its reply.
	order sync.Mutex

	done      chan struct{} // closed when the read loop has ended
	destroyed chan struct{} // closed by the read loop on ConfDynamicInfoNotify "Destroyed"
	stopping  atomic.Bool   // the timers are stopping the connection for the caller
	inData    atomic.Int64  // data frames received

	mu          sync.Mutex // guards the fields below
	reason      string     // first end reason seen, "" while none
	cause       error      // its error, redacted
	storeErr    error      // first store failure
	closeCode   int
	closeReason string
}

// runSession records one connection and returns how it ended and whether the
// server sent any data message; the error is non-nil only with endError (a
// store failure).
func (r *recorder) runSession(ctx context.Context, l *link) (reason string, gotData bool, err error) {
	defer l.ws.CloseNow()
	s, err := r.beginSession(ctx, l)
	if err != nil {
		return endError, false, err
	}
	s.subscribe(ctx)
	s.t.start(ctx, s)
	s.readLoop(ctx)
	close(s.done)
	s.t.stop()
	return s.finish(ctx)
}

// beginSession begins the connection's store session.
//
//go:noinline
func (r *recorder) beginSession(ctx context.Context, l *link) (*session, error) {
	s := &session{r: r, link: l, done: make(chan struct{}), destroyed: make(chan struct{})}
	sctx, cancel := storeContext(ctx)
	id, err := r.db.BeginSession(sctx, r.o.ConfID, store.Session{
		Start:      time.Now(),
		URL:        l.url,
		RemoteAddr: l.remoteAddr,
		Extensions: l.extensions,
		Attrs:      map[string]string{"mode": r.mode()},
	})
	cancel()
	if err != nil {
		return nil, fmt.Errorf("record meeting %s: %w", r.o.ConfID, err)
	}
	s.id = id
	r.sessions++
	r.o.Observer.SessionStarted(r.o.ConfID)
	r.log.Info("connected", "meeting", r.o.ConfID, "session", id, "url", l.url, "remote", l.remoteAddr)
	return s, nil
}

// finish ends the store session once the connection's goroutines have
// exited, and returns runSession's results.
//
//go:noinline
func (s *session) finish(ctx context.Context) (reason string, gotData bool, err error) {
	r := s.r
	reason, end := s.end()
	gotData = s.inData.Load() > 0
	sctx, cancel := storeContext(ctx)
	defer cancel()
	if err := r.db.EndSession(sctx, r.o.ConfID, s.id, time.Now(), end); err != nil {
		if s.storeErr == nil {
			s.storeErr = err
		}
		reason = endError
	}
	if reason == endError {
		return endError, gotData, fmt.Errorf("record meeting %s: %w", r.o.ConfID, s.storeErr)
	}
	r.log.Info("session ended", "meeting", r.o.ConfID, "session", s.id, "reason", reason,
		"close_code", end.CloseCode, "close_reason", end.CloseReason, "err", end.Err,
		"frames_in", s.inData.Load())
	return reason, gotData, nil
}

// subscribe sends the Subscribe request and records it with the control
// token redacted.
func (s *session) subscribe(ctx context.Context) {
	seq := newSequence()
	msg := confctl.NewSubscribe(seq, s.r.o.ConfID, s.r.o.Subscribe, s.link.confToken)
	// Redact only this connection's token: the password or other secrets
	// could match ordinary text such as the conference ID.
	var red confctl.Redactor
	red.Add(s.link.confToken.Reveal())
	stored := red.Redact(msg)
	if s.link.confToken != "" && bytes.Equal(stored, msg) {
		// A token too short for the Redactor: store the request with no
		// token at all rather than with it.
		stored = confctl.NewSubscribe(seq, s.r.o.ConfID, s.r.o.Subscribe, "")
	}
	werr, serr := s.send(ctx, time.Now(), msg, stored)
	switch {
	case serr != nil:
		s.fatal(serr)
	case werr != nil:
		s.fail(endDropped, fmt.Errorf("send subscribe: %w", s.r.red.Err(werr)))
		s.link.ws.CloseNow()
	}
}

// readLoop reads and records every message until the connection ends. It
// never drops a message because it does not parse.
func (s *session) readLoop(ctx context.Context) {
	// Reads must not follow ctx: coder/websocket closes the connection
	// when a read's context ends, and a stop owes the server a close
	// handshake, which the timers perform.
	rctx := context.WithoutCancel(ctx)
	for {
		typ, r, err := s.link.ws.Reader(rctx)
		var b []byte
		if err == nil {
			b, err = readMessage(r)
		}
		if err != nil {
			s.readEnded(time.Now(), err)
			return
		}
		if !s.received(typ, b) {
			return
		}
	}
}

// readBufs are the buffers readMessage reads into, shared by every
// connection so that an idle one holds none.
var readBufs = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

// maxPooledRead bounds the buffers readMessage keeps: a rare huge message
// is not held on to.
const maxPooledRead = 256 << 10

// readMessage reads the rest of a message from r and returns it in a slice
// of its own, of the exact size. It reads into a pooled buffer: Conn.Read's
// io.ReadAll grows a buffer from 512 bytes, allocating and copying several
// times for a notification of a few KiB. It is not inlined, so that its
// frame stays off the stack an idle read loop waits on.
//
//go:noinline
func readMessage(r io.Reader) ([]byte, error) {
	bp := readBufs.Get().(*[]byte)
	buf := (*bp)[:0]
	var err error
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		var n int
		n, err = r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err != nil {
			break
		}
	}
	var b []byte
	if err == io.EOF {
		b, err = append(make([]byte, 0, len(buf)), buf...), nil
	}
	if cap(buf) <= maxPooledRead {
		*bp = buf
		readBufs.Put(bp)
	}
	return b, err
}

// received records a message that arrived and learns from it. It returns
// false when the store failed, which ends the session.
//
//go:noinline
func (s *session) received(typ websocket.MessageType, b []byte) bool {
	now := time.Now()
	s.hb.heard()
	op := store.Text
	if typ == websocket.MessageBinary {
		op = store.Binary
	}
	b, redacted := s.r.redact(b)
	s.order.Lock()
	err := s.record(store.Frame{Time: now, Dir: store.In, Op: op, Payload: b})
	s.order.Unlock()
	if err == nil && redacted {
		err = s.r.noteRedacted(frameAction(op, b))
	}
	if err == nil {
		s.inData.Add(1)
		if op == store.Text {
			err = s.inspect(b)
		}
	}
	if err != nil {
		s.fatal(err)
		return false
	}
	return true
}

// frameAction names a received message for the logs: its envelope's action,
// or its kind when it has none.
func frameAction(op store.Opcode, b []byte) string {
	if op == store.Text {
		if action, _ := confctl.Peek(b); action != "" {
			return action
		}
	}
	return op.String()
}

// readEnded records how the read loop ended: a close frame from the server
// (stored as an In Close frame), an oversized message, or a dropped
// connection.
func (s *session) readEnded(now time.Time, err error) {
	if code := websocket.CloseStatus(err); code != -1 {
		var ce websocket.CloseError
		errors.As(err, &ce)
		reason := s.r.red.RedactString(ce.Reason)
		var payload []byte
		if code != websocket.StatusNoStatusRcvd {
			payload = store.ClosePayload(uint16(code), reason)
		}
		s.order.Lock()
		rerr := s.record(store.Frame{Time: now, Dir: store.In, Op: store.Close, Payload: payload})
		s.mu.Lock()
		if s.closeCode == 0 {
			s.closeCode, s.closeReason = int(code), reason
		}
		s.mu.Unlock()
		s.order.Unlock()
		if rerr == nil && reason != ce.Reason {
			rerr = s.r.noteRedacted(store.Close.String())
		}
		if rerr != nil {
			s.fatal(rerr)
			return
		}
		s.fail(endClosed, nil)
		return
	}
	if errors.Is(err, websocket.ErrMessageTooBig) {
		s.mu.Lock()
		if s.closeCode == 0 {
			s.closeCode = int(websocket.StatusMessageTooBig)
		}
		s.mu.Unlock()
		s.fail(endTooLarge, fmt.Errorf("a message exceeded the read limit of %d bytes", s.r.o.MaxFrame))
		return
	}
	s.fail(endDropped, s.r.red.Err(err))
}

// inspect learns from a text message: heartbeat echoes, the meeting title
// and the meeting's end. It only returns store errors; a message that does
// not parse is simply not learnt from.
func (s *session) inspect(b []byte) error {
	// Most messages are none of the kinds learnt from: a scan for the
	// action, which allocates nothing, spares them a full decode.
	if !mayLearnFrom(b) {
		return nil
	}
	action, _ := confctl.PeekBytes(b)
	switch string(action) {
	case confctl.ActionHeartBeat:
		if env, err := confctl.DecodeEnvelope(b); err == nil {
			s.hb.answer(env.Sequence)
		}
	case confctl.ActionConfBasicInfo:
		if title, ok := confctl.BasicInfoTitle(b); ok && title != "" && title != s.r.title {
			if err := s.r.db.SetLabel(s.r.o.ConfID, "title", title); err != nil {
				return fmt.Errorf("set title: %w", err)
			}
			s.r.title = title
			s.r.log.Info("meeting title", "meeting", s.r.o.ConfID, "title", title)
		}
	case confctl.ActionConfDynamicInfo:
		if confctl.DynamicInfoDestroyed(b) {
			select {
			case <-s.destroyed:
			default:
				close(s.destroyed)
				s.t.destroyed()
				s.r.log.Info("meeting destroyed", "meeting", s.r.o.ConfID, "session", s.id)
			}
		}
	}
	return nil
}

// learntFrom are the actions inspect learns from.
var learntFrom = [][]byte{[]byte(confctl.ActionHeartBeat), []byte(confctl.ActionConfBasicInfo), []byte(confctl.ActionConfDynamicInfo)}

// mayLearnFrom reports whether b may be a message whose action is one of
// learntFrom: an action is a JSON string, which holds the name as it is
// unless it has an escape. Most notifications are spared the peek.
func mayLearnFrom(b []byte) bool {
	if bytes.IndexByte(b, '\\') >= 0 {
		return true
	}
	for _, a := range learntFrom {
		if bytes.Contains(b, a) {
			return true
		}
	}
	return false
}

// close records a normal-closure Close frame with reason and performs the
// close handshake, unless the server has closed first. The read loop
// records the server's answer if it reads it; coder/websocket's Close may
// read it instead, discarding what arrives during the handshake.
func (s *session) close(reason string) {
	code := websocket.StatusNormalClosure
	s.order.Lock()
	s.mu.Lock()
	serverClosed := s.closeCode != 0 // or a message was too large: the connection is closing
	select {
	case <-s.done:
		serverClosed = true // the read loop has ended: nothing to close
	default:
	}
	if !serverClosed {
		s.closeCode, s.closeReason = int(code), reason
	}
	s.mu.Unlock()
	var err error
	if !serverClosed {
		err = s.record(store.Frame{Time: time.Now(), Dir: store.Out, Op: store.Close, Payload: store.ClosePayload(uint16(code), reason)})
	}
	s.order.Unlock()
	switch {
	case serverClosed:
		return
	case err != nil:
		s.fatal(err)
		return
	}
	if err := s.link.ws.Close(code, reason); err != nil {
		s.r.log.Debug("close handshake failed", "meeting", s.r.o.ConfID, "session", s.id, "err", s.r.red.Err(err))
	}
}

// record queues f for the store as part of this session.
func (s *session) record(f store.Frame) error {
	f.Session = s.id
	if err := s.r.db.Enqueue(s.r.o.ConfID, f); err != nil {
		return fmt.Errorf("record frame: %w", err)
	}
	if f.Dir == store.In {
		s.r.framesIn.Add(1)
	} else {
		s.r.framesOut.Add(1)
	}
	return nil
}

// fail notes why the session is ending; the first reason wins.
func (s *session) fail(reason string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.reason == "" {
		s.reason, s.cause = reason, err
	}
}

// fatal notes a store failure and drops the connection.
func (s *session) fatal(err error) {
	s.mu.Lock()
	if s.storeErr == nil {
		s.storeErr = err
	}
	s.mu.Unlock()
	s.link.ws.CloseNow()
}

// end classifies the session once all its goroutines have exited: a store
// failure, then the meeting's end, then the caller's stop, then the first
// reason seen.
func (s *session) end() (string, store.SessionEnd) {
	s.mu.Lock()
	defer s.mu.Unlock()
	end := store.SessionEnd{CloseCode: s.closeCode, CloseReason: s.closeReason}
	destroyed := false
	select {
	case <-s.destroyed:
		destroyed = true
	default:
	}
	var reason string
	var cause error
	switch {
	case s.storeErr != nil:
		reason, cause = endError, s.storeErr
	case destroyed:
		reason = endMeetingEnded
	case s.stopping.Load():
		reason = endStopped
	case s.reason != "":
		reason, cause = s.reason, s.cause
	default:
		reason = endDropped
	}
	end.Reason = reason
	if cause != nil {
		end.Err = s.r.red.RedactURL(cause.Error())
	}
	return reason, end
}

// newSequence returns a random 30-character request sequence.
func newSequence() string {
	const digits = "0123456789abcdefghijklmnopqrstuvwxyz"
	b := make([]byte, 30)
	for i := range b {
		b[i] = digits[rand.IntN(len(digits))]
	}
	return string(b)
}

// storeContext returns the context for a store call that must complete even
// when ctx is cancelled (a session's start and end, the final flush), bounded
// by storeTimeout.
func storeContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
}

// storeTimeout bounds a store call made after cancellation.
const storeTimeout = 30 * time.Second
