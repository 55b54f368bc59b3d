package recorder

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/confrec/confrec/confctl"
)

// maxRenewMargin bounds how long before its expiry the meeting-control
// token is renewed.
const maxRenewMargin = 5 * time.Minute

// minRenewGap is the shortest wait between a successful renewal of the
// meeting-control token and the next.
const minRenewGap = 10 * time.Second

// tokenKeeper holds the meeting-control token of the token flow and keeps it
// alive. Calls to renew are serialized, so the keep-alive and a
// reconnect never race two keep-alives; every token API call is bounded by
// Options.RequestTimeout, and a renew waiting for its turn gives up when its
// context ends, so a stalled call never blocks a reconnect or a stop for
// longer than that. It is safe for concurrent use.
type tokenKeeper struct {
	client   *confctl.Client
	confID   string
	password confctl.Secret
	timeout  time.Duration // bounds each token API call
	red      *confctl.Redactor
	log      *slog.Logger
	obs      Observer

	turn    chan struct{}     // capacity 1: held by the renew in progress
	minGap  time.Duration     // the shortest wait after a successful renewal
	mu      sync.Mutex        // guards cur, have and dueAt; never held during a call
	cur     confctl.ConfToken // without TmpWSToken and SupportNotifyType
	have    bool
	dueAt   time.Time     // when to renew cur
	changed chan struct{} // capacity 1: a new token is in cur
}

func newTokenKeeper(o *Options, red *confctl.Redactor) *tokenKeeper {
	return &tokenKeeper{
		client:   &confctl.Client{BaseURL: o.APIURL, HTTPClient: o.HTTPClient},
		confID:   o.ConfID,
		password: o.Password,
		timeout:  o.RequestTimeout,
		minGap:   o.minRenewGap,
		red:      red,
		log:      o.Logger,
		obs:      o.Observer,
		turn:     make(chan struct{}, 1),
		changed:  make(chan struct{}, 1),
	}
}

// renew returns a valid meeting-control token: a new one on the first call,
// after that the result of a keep-alive with the current token (the same or a
// fresh token). When the keep-alive is refused with 401 (the token expired),
// it asks for a new token with the password. Errors match
// confctl.ErrMeetingNotRunning when the meeting is over, and
// ErrPasswordRefused for a 401 before any token was obtained; their text is
// redacted.
func (k *tokenKeeper) renew(ctx context.Context) (confctl.ConfToken, error) {
	select {
	case k.turn <- struct{}{}:
	case <-ctx.Done():
		return confctl.ConfToken{}, fmt.Errorf("get control token: %w", ctx.Err())
	}
	defer func() { <-k.turn }()
	cur, have := k.current()
	var current confctl.Secret
	if have {
		current = cur.Token
	}
	t, err := k.confToken(ctx, current)
	var ae *confctl.APIError
	if current != "" && errors.As(err, &ae) && ae.Status == http.StatusUnauthorized {
		k.log.Info("control token refused, asking for a new one", "meeting", k.confID, "err", k.red.Err(err))
		t, err = k.confToken(ctx, "")
	}
	if err != nil {
		if !have && errors.As(err, &ae) && ae.Status == http.StatusUnauthorized {
			// The password has never been accepted: it is wrong.
			return confctl.ConfToken{}, fmt.Errorf("get control token: %w: %w", ErrPasswordRefused, k.red.Err(err))
		}
		return confctl.ConfToken{}, fmt.Errorf("get control token: %w", k.red.Err(err))
	}
	k.red.Add(t.Token.Reveal())
	k.red.Add(confctl.ParseConfToken(t.Token.Reveal()))
	k.red.Add(t.TmpWSToken.Reveal())
	// Kept for the recording's length: only what a keep-alive and renewAt
	// need (the token, its expiry), not the rest of the answer.
	kept := t
	kept.TmpWSToken, kept.SupportNotifyType = "", nil
	k.mu.Lock()
	k.cur, k.have = kept, true
	k.dueAt = renewAt(t, time.Now(), k.minGap)
	k.mu.Unlock()
	select {
	case k.changed <- struct{}{}:
	default:
	}
	return t, nil
}

// confToken calls CreateConfToken (a keep-alive when current is set),
// bounded by the request timeout.
func (k *tokenKeeper) confToken(ctx context.Context, current confctl.Secret) (confctl.ConfToken, error) {
	cctx, cancel := context.WithTimeout(ctx, k.timeout)
	defer cancel()
	t, err := k.client.ConfToken(cctx, k.confID, k.password, current)
	k.observe(ctx, APIConfToken, err)
	return t, k.timedOut(ctx, err)
}

// wsToken calls CreateWebSocketToken with token, bounded by the request
// timeout. Its error text is redacted.
func (k *tokenKeeper) wsToken(ctx context.Context, token confctl.Secret) (confctl.Secret, error) {
	cctx, cancel := context.WithTimeout(ctx, k.timeout)
	defer cancel()
	tmp, err := k.client.WSToken(cctx, k.confID, token)
	k.observe(ctx, APIWSToken, err)
	return tmp, k.red.Err(k.timedOut(ctx, err))
}

// observe tells the Observer of a failed call to api, unless it failed
// because ctx ended (the recording is stopping).
func (k *tokenKeeper) observe(ctx context.Context, api string, err error) {
	if err != nil && ctx.Err() == nil {
		k.obs.TokenFailure(api)
	}
}

// timedOut says so when err is the request timeout running out rather than
// ctx ending.
func (k *tokenKeeper) timedOut(ctx context.Context, err error) error {
	if err != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("no answer within %v: %w", k.timeout, err)
	}
	return err
}

// current returns the token last obtained and whether there is one.
func (k *tokenKeeper) current() (confctl.ConfToken, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.cur, k.have
}

// due returns when the token should next be renewed, and false when there
// is no token yet.
func (k *tokenKeeper) due() (time.Time, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.dueAt, k.have
}

// renewAt returns when t, obtained or kept alive at now, should be
// renewed: margin = min(lifetime/4, 5m) before it expires, but never sooner
// than max(margin, minGap) after now, so that a keep-alive that does not
// extend the expiry cannot make the next one come at once. The expiry is
// the server's expireTime bounded by now+lifetime, and now+lifetime when the
// server's is already past by the local clock (a skewed clock, or a server
// that does not extend it).
func renewAt(t confctl.ConfToken, now time.Time, minGap time.Duration) time.Time {
	life := t.Lifetime
	if life <= 0 {
		life = confctl.DefaultTokenLifetime
	}
	margin := min(maxRenewMargin, life/4)
	exp := now.Add(life)
	if t.ExpireAt.After(now) && t.ExpireAt.Before(exp) {
		exp = t.ExpireAt
	}
	at, floor := exp.Add(-margin), now.Add(max(margin, minGap))
	if at.Before(floor) {
		return floor
	}
	return at
}

// keepAlive keeps the token alive while a session runs: it renews it
// shortly before it expires (see renewAt), retrying failures with backoff.
// It has no goroutine of its own: the session's timers (see timers) wait
// the time next returns and call fire; between sessions every connect
// renews the token anyway. It never waits less than bo.min between calls,
// nor less than the gap renewAt enforces after a successful renewal (its
// own or a reconnect's, which tokenKeeper.changed signals). It stops for
// good, logging why, when the server says the meeting is over or refuses
// the keep-alive for good; the next reconnect then meets the same answer
// and ends the recording. Sessions use it one at a time.
type keepAlive struct {
	k        *tokenKeeper
	bo       backoff
	retrying bool          // the last renewal failed: wait retryIn
	retryIn  time.Duration // the backoff's wait
	stopped  bool
}

// next returns how long to wait before the next renewal, and false when
// there is nothing to wait for (no token yet, or stopped).
func (a *keepAlive) next() (time.Duration, bool) {
	if a.stopped {
		return 0, false
	}
	if a.retrying {
		return a.retryIn, true
	}
	due, ok := a.k.due()
	if !ok {
		return 0, false
	}
	return max(time.Until(due), a.bo.min), true
}

// changed notes that a new token was obtained elsewhere (a reconnect):
// failures are forgotten. Call next after it.
func (a *keepAlive) changed() {
	a.retrying = false
	a.bo.reset()
}

// fire renews the token. Call next after it.
func (a *keepAlive) fire(ctx context.Context) {
	k := a.k
	t, err := k.renew(ctx)
	switch {
	case ctx.Err() != nil:
	case err == nil:
		a.changed()
		// renew signalled changed; consume it so the timer is computed once.
		select {
		case <-k.changed:
		default:
		}
		k.log.Debug("control token renewed", "meeting", k.confID, "expires", t.ExpireAt)
	case errors.Is(err, confctl.ErrMeetingNotRunning) || !retryable(err):
		a.stopped = true
		k.log.Info("control token keep-alive stopped", "meeting", k.confID, "err", err)
	default:
		a.retrying = true
		a.retryIn = a.bo.next()
		k.log.Warn("control token keep-alive failed", "meeting", k.confID, "retry_in", a.retryIn, "err", err)
	}
}
