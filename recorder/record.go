package recorder

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"

	"github.com/confrec/confrec/confctl"
	"github.com/confrec/confrec/store"
)

// EndKind says how a recording ended without error.
type EndKind int

const (
	// Unfinished is the EndKind of a Result returned with an error.
	Unfinished EndKind = iota
	// MeetingEnded means the meeting is over: the server announced
	// "Destroyed" and closed, or the token service says it is no longer
	// running after at least one session.
	MeetingEnded
	// Stopped means the caller cancelled the context.
	Stopped
)

func (k EndKind) String() string {
	switch k {
	case Unfinished:
		return "unfinished"
	case MeetingEnded:
		return "meeting-ended"
	case Stopped:
		return "stopped"
	}
	return fmt.Sprintf("EndKind(%d)", int(k))
}

// FrameCounts counts the frames recorded.
type FrameCounts struct {
	// In counts frames received from the server, close frames included.
	In int64
	// Out counts frames we sent: Subscribe, HeartBeat and close frames.
	Out int64
}

// Result describes a finished recording. It is filled in as far as the
// recording got, also when Record returns an error.
type Result struct {
	// Sessions is the number of connections recorded (store sessions begun).
	Sessions int
	// Ended says how the recording ended; Unfinished with an error.
	Ended EndKind
	// Frames counts the frames stored.
	Frames FrameCounts
}

// recorder is the state of one Record call.
type recorder struct {
	o      Options
	db     *store.DB
	red    *confctl.Redactor
	log    *slog.Logger
	tokens *tokenKeeper // nil in direct mode
	alive  *keepAlive   // keeps tokens alive during sessions; nil in direct mode

	// Touched only by the goroutine running Record (sessions run one at a time).
	sessions int
	title    string
	wsServer string // the WebSocket server's scheme://host last logged
	// Received frames stored redacted: by this call, and by earlier
	// recordings as the meeting's label said when first needed.
	redacted, redactedBefore int64
	redactedLoaded           bool

	framesIn, framesOut atomic.Int64
}

// Record connects to the meeting-control WebSocket of meeting opts.ConfID,
// subscribes, and stores every frame received and sent in db until the
// meeting ends or ctx is cancelled, reconnecting (token flow only) when the
// connection drops or closes before the meeting's end.
//
// It returns nil with Result.Ended == MeetingEnded or Stopped. It returns an
// error, without retrying, when the store fails, when the options are invalid
// (ErrInvalidOptions), when the token service refuses for good (for example
// HTTP 403, ErrPasswordRefused for a 401 on the first CreateConfToken, or
// confctl.ErrRedirectRefused), when an https token API hands out a cleartext
// WebSocket URL (ErrDowngrade, unless Options.AllowCleartext), when the
// meeting is not running before any session connected (ErrNotRunning, unless
// Options.WaitStart), and
// in direct mode when the connection fails or ends early
// (ErrCannotReconnect). Error texts never hold a secret.
//
// Record returns only after all its goroutines have exited and everything it
// queued in db is durable.
func Record(ctx context.Context, db *store.DB, opts Options) (Result, error) {
	r, err := newRecorder(db, &opts)
	if err != nil {
		return Result{}, err
	}
	if m, err := db.Meeting(opts.ConfID); err == nil && m.Labels[LabelEnded] != "" {
		// Recorded before and ended: it is being recorded again.
		if err := db.SetLabel(opts.ConfID, LabelEnded, ""); err != nil {
			return Result{}, fmt.Errorf("record meeting %s: %w", opts.ConfID, err)
		}
	}
	ended, err := r.loop(ctx)
	return r.finish(ctx, ended, err)
}

// LabelEnded is the label (store.DB.SetLabel) that says a meeting's
// recording has ended for good, and how: "meeting-ended", or "unfinished"
// when it failed. A recording that was stopped has none, and a new
// recording of the meeting clears it.
const LabelEnded = "recording_ended"

// Record's goroutine runs the read loop of every session on top of Record,
// loop and runSession: an idle meeting keeps those frames on its stack for
// hours, and the runtime sizes the stack at two to four times what is in use
// (it halves a stack at a garbage collection only while less than a quarter
// of it is used). Their rarely used parts (setting up, logging, classifying
// an ending) are in functions of their own that are never inlined, so that
// they do not grow those frames and an idle meeting's stack stays one size
// smaller.

// newRecorder checks the options and sets up the redactor and, in the token
// flow, the token keeper.
//
//go:noinline
func newRecorder(db *store.DB, opts *Options) (*recorder, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	r := &recorder{o: o, db: db, red: new(confctl.Redactor), log: o.Logger}
	r.red.Add(o.Password.Reveal())
	r.red.Add(o.ConfToken.Reveal())
	r.red.Add(confctl.ParseConfToken(o.ConfToken.Reveal()))
	for _, s := range urlSecrets(o.WSURL) {
		r.red.Add(s)
	}
	if !o.direct() {
		r.tokens = newTokenKeeper(&r.o, r.red)
		r.alive = &keepAlive{k: r.tokens, bo: backoff{min: o.Backoff.Min, max: o.Backoff.Max}}
	}
	return r, nil
}

// finish makes everything queued durable and returns Record's result.
//
//go:noinline
func (r *recorder) finish(ctx context.Context, ended EndKind, err error) (Result, error) {
	fctx, fcancel := storeContext(ctx)
	defer fcancel()
	if ended != Stopped && r.sessions > 0 {
		how := MeetingEnded.String()
		if err != nil || ended != MeetingEnded {
			how = Unfinished.String()
		}
		if lerr := r.db.SetLabel(r.o.ConfID, LabelEnded, how); lerr != nil && err == nil {
			err = fmt.Errorf("record meeting %s: %w", r.o.ConfID, lerr)
		}
	}
	if ferr := r.db.Flush(fctx); ferr != nil && err == nil {
		err = fmt.Errorf("record meeting %s: %w", r.o.ConfID, ferr)
	}
	res := Result{
		Sessions: r.sessions,
		Ended:    ended,
		Frames:   FrameCounts{In: r.framesIn.Load(), Out: r.framesOut.Load()},
	}
	if err != nil {
		res.Ended = Unfinished
	}
	return res, err
}

// loop connects, records a session, and reconnects with backoff until the
// recording ends.
func (r *recorder) loop(ctx context.Context) (EndKind, error) {
	bo := backoff{min: r.o.Backoff.Min, max: r.o.Backoff.Max}
	for {
		if ctx.Err() != nil {
			return Stopped, nil
		}
		l, err := r.connect(ctx)
		if err != nil {
			if ended, err, done := r.connectFailed(ctx, err, &bo); done {
				return ended, err
			}
			continue
		}
		reason, gotData, err := r.runSession(ctx, l)
		if ended, err, done := r.sessionEnded(ctx, reason, gotData, err, &bo); done {
			return ended, err
		}
	}
}

// connectFailed decides after a failed connect whether the recording ends
// (done, with how) or goes on once the backoff's wait has passed.
//
//go:noinline
func (r *recorder) connectFailed(ctx context.Context, err error, bo *backoff) (ended EndKind, _ error, done bool) {
	switch {
	case ctx.Err() != nil:
		return Stopped, nil, true
	case errors.Is(err, confctl.ErrMeetingNotRunning) && r.sessions == 0 && r.o.WaitStart && !r.o.direct():
		d := bo.next()
		if bo.n == 1 {
			r.log.Info("waiting for the meeting to start", "meeting", r.o.ConfID)
		}
		r.log.Debug("meeting not running yet", "meeting", r.o.ConfID, "retry_in", d)
		if wait(ctx, d) != nil {
			return Stopped, nil, true
		}
		return 0, nil, false
	case errors.Is(err, confctl.ErrMeetingNotRunning) && r.sessions == 0:
		return Unfinished, &notRunningError{confID: r.o.ConfID, err: err}, true
	case errors.Is(err, confctl.ErrMeetingNotRunning):
		r.log.Info("meeting is not running", "meeting", r.o.ConfID, "err", err)
		return MeetingEnded, nil, true
	case r.o.direct() || !retryable(err):
		return Unfinished, fmt.Errorf("record meeting %s: %w", r.o.ConfID, err), true
	}
	d := bo.next()
	r.log.Warn("connect failed", "meeting", r.o.ConfID, "attempt", bo.n, "retry_in", d, "err", err)
	if wait(ctx, d) != nil {
		return Stopped, nil, true
	}
	r.o.Observer.Reconnect(r.o.ConfID)
	return 0, nil, false
}

// sessionEnded decides after a session whether the recording ends (done,
// with how) or reconnects once the backoff's wait has passed.
//
//go:noinline
func (r *recorder) sessionEnded(ctx context.Context, reason string, gotData bool, err error, bo *backoff) (ended EndKind, _ error, done bool) {
	switch reason {
	case endError:
		return Unfinished, err, true
	case endMeetingEnded:
		return MeetingEnded, nil, true
	case endStopped:
		return Stopped, nil, true
	}
	if r.o.direct() {
		return Unfinished, fmt.Errorf("record meeting %s: session %d %s: %w", r.o.ConfID, r.sessions, reason, ErrCannotReconnect), true
	}
	if ctx.Err() != nil {
		return Stopped, nil, true
	}
	if gotData {
		// A connection that delivered data worked: start the backoff
		// again. A server that keeps failing at once is retried with
		// growing waits.
		bo.reset()
	}
	d := bo.next()
	r.log.Info("reconnecting", "meeting", r.o.ConfID, "after", reason, "in", d)
	if wait(ctx, d) != nil {
		return Stopped, nil, true
	}
	r.o.Observer.Reconnect(r.o.ConfID)
	return 0, nil, false
}

// mode names the connection mode for the session's attributes.
func (r *recorder) mode() string {
	if r.o.direct() {
		return "direct"
	}
	return "token"
}
