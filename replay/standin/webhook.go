package standin

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/confrec/confrec/confctl"
)

// webhookTimeout bounds one webhook POST.
const webhookTimeout = 5 * time.Second

// checkWebhook checks the webhook options of o.
func (o *ServerOptions) checkWebhook() error {
	for _, share := range []float64{o.WebhookLoss, o.WebhookRepeat} {
		if math.IsNaN(share) || share < 0 || share > 1 {
			return fmt.Errorf("%w: loss and repeat are shares from 0 to 1", ErrInvalidWebhook)
		}
	}
	if o.WebhookURL == "" {
		return nil
	}
	u, err := url.Parse(o.WebhookURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		// The URL is not quoted: it may carry a credential.
		return fmt.Errorf("%w: the URL must be an absolute http:// or https:// URL", ErrInvalidWebhook)
	}
	if o.AppKey == "" {
		return ErrNoAppID
	}
	return nil
}

// webhook sends the callbacks of ServerOptions.WebhookURL. Its rng is used
// by the Server's schedule goroutine only.
type webhook struct {
	url          string
	appID        string
	appKey       confctl.Secret
	loss, repeat float64
	rng          *mrand.Rand
	tr           *http.Transport
	client       *http.Client
	log          *slog.Logger
}

// newWebhook returns the webhook of o, or nil if o has no WebhookURL.
func newWebhook(o ServerOptions) *webhook {
	if o.WebhookURL == "" {
		return nil
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	return &webhook{
		url:    o.WebhookURL,
		appID:  o.AppID,
		appKey: o.AppKey,
		loss:   o.WebhookLoss,
		repeat: o.WebhookRepeat,
		rng:    newWebhookRand(o.WebhookSeed),
		tr:     tr,
		client: &http.Client{
			Transport: tr,
			Timeout:   webhookTimeout,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse // a redirect is an answer, not followed
			},
		},
		log: o.Logger,
	}
}

// newWebhookRand returns the source of the loss and repeat draws for seed
// (0: a random seed).
func newWebhookRand(seed int64) *mrand.Rand {
	s := uint64(seed)
	if seed == 0 {
		s = mrand.Uint64()
	}
	return mrand.New(mrand.NewPCG(s, s^0x9e3779b97f4a7c15))
}

// webhookCopies draws how many times the next callback is sent: 0 (lost),
// 1, or 2 (repeated).
func webhookCopies(rng *mrand.Rand, loss, repeat float64) int {
	if rng.Float64() < loss {
		return 0
	}
	if rng.Float64() < repeat {
		return 2
	}
	return 1
}

// send sends one callback of event for meeting confID (empty for
// meeting.verify), as many times as drawn. Failures are logged at debug.
func (h *webhook) send(ctx context.Context, event, confID string) {
	n := webhookCopies(h.rng, h.loss, h.repeat)
	if n == 0 {
		h.log.Debug("webhook callback lost on purpose", "event", event, "meeting", confID)
		return
	}
	nb := make([]byte, 16)
	_, _ = rand.Read(nb) // never fails: crypto/rand crashes the program instead
	body := confctl.NewCallback(h.appKey, h.appID, hex.EncodeToString(nb), event, confID, time.Now())
	for i := range n {
		h.post(ctx, body, event, confID, i+1)
	}
}

// post POSTs one callback body.
func (h *webhook) post(ctx context.Context, body []byte, event, confID string, copyNo int) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.url, bytes.NewReader(body))
	if err != nil {
		h.log.Debug("webhook callback not sent", "event", event, "meeting", confID, "err", plainErr(err))
		return
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := h.client.Do(req)
	if err != nil {
		h.log.Debug("webhook callback failed", "event", event, "meeting", confID, "copy", copyNo, "err", plainErr(err))
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // to reuse the connection
	_ = resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		h.log.Debug("webhook callback refused", "event", event, "meeting", confID, "copy", copyNo, "status", resp.StatusCode)
		return
	}
	h.log.Debug("webhook callback sent", "event", event, "meeting", confID, "copy", copyNo)
}

// close closes the webhook's idle connections.
func (h *webhook) close() { h.tr.CloseIdleConnections() }

// plainErr returns err without the URL a *url.Error quotes, which may
// carry a credential.
func plainErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// scheduleEvent is something that happens at a time of the schedule.
type scheduleEvent struct {
	at    time.Time
	event string   // confctl.Event*
	m     *meeting // nil for meeting.verify
}

// events returns what runSchedule does, in order: meeting.verify at the
// start if there is a webhook, then each meeting's start and end where they
// are logged (a schedule) or called back.
func (s *Server) events() []scheduleEvent {
	if !s.schedule && s.hook == nil {
		return nil
	}
	var evs []scheduleEvent
	if s.hook != nil {
		evs = append(evs, scheduleEvent{at: s.started, event: confctl.EventVerify})
	}
	for _, m := range s.order {
		evs = append(evs, scheduleEvent{at: m.start, event: confctl.EventStarted, m: m})
	}
	for _, m := range s.order {
		if !m.end.IsZero() {
			evs = append(evs, scheduleEvent{at: m.end, event: confctl.EventEnd, m: m})
		}
	}
	// Stable: at one time, verify goes first and starts before ends.
	slices.SortStableFunc(evs, func(a, b scheduleEvent) int { return a.at.Compare(b.at) })
	return evs
}

// runSchedule logs each meeting's start and end and sends the webhook
// callbacks, one at a time in order, each when it is due: a slow receiver
// delays the later ones. It returns when all are done or the Server closes.
func (s *Server) runSchedule(evs []scheduleEvent) {
	defer close(s.schedDone)
	t := time.NewTimer(time.Hour)
	t.Stop()
	defer t.Stop()
	for _, ev := range evs {
		if d := time.Until(ev.at); d > 0 {
			t.Reset(d)
			select {
			case <-t.C:
			case <-s.ctx.Done():
				return
			}
		} else if s.ctx.Err() != nil {
			return
		}
		id := ""
		if ev.m != nil {
			id = ev.m.script.ConfID
			if s.schedule {
				msg := "meeting started"
				if ev.event == confctl.EventEnd {
					msg = "meeting ended"
				}
				s.log.Info(msg, "meeting", id)
			}
		}
		if s.hook != nil {
			s.hook.send(s.ctx, ev.event, id)
		}
	}
}
