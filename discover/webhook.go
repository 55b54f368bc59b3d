package discover

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/confrec/confrec/confctl"
)

// maxCallback bounds a webhook callback's body.
const maxCallback = 64 << 10

// WebhookHandler returns the handler of the enterprise's webhook callbacks
// (POST, any path). Each callback's signature is checked with the App Key;
// a callback older than CallbackMaxAge, or whose nonce was seen before, is
// refused (401), and logged at most once a minute. "meeting.verify" is
// answered; "meeting.started" makes the Discoverer look the meeting up and
// record it at once; "meeting.end" is only logged, since the meeting's
// socket says when it ends. Polling goes on either way: callbacks are
// late, repeated and lost.
func (d *Discoverer) WebhookHandler() http.Handler {
	return http.HandlerFunc(d.serveCallback)
}

func (d *Discoverer) serveCallback(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "POST a callback", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxCallback))
	if err != nil {
		http.Error(w, "callback too large or unreadable", http.StatusRequestEntityTooLarge)
		return
	}
	cb, err := confctl.ParseCallback(body)
	if err == nil {
		err = d.checkCallback(&cb, time.Now())
	}
	if err != nil {
		d.logRefused(r.RemoteAddr, err, time.Now())
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	switch cb.Event {
	case confctl.EventStarted:
		d.log.Info("webhook: meeting started", "meeting", cb.MeetingID)
		if cb.MeetingID != "" {
			select {
			case d.kicks <- cb.MeetingID:
			default: // a flood: the next poll finds them
			}
		}
	case confctl.EventEnd, confctl.EventConclude:
		d.log.Info("webhook: meeting ended (a hint: its socket says when it ends)", "meeting", cb.MeetingID)
	default:
		d.log.Debug("webhook callback", "event", cb.Event, "meeting", cb.MeetingID)
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(struct {
		Event string `json:"event"`
		Nonce string `json:"nonce"`
	}{cb.Event, cb.Nonce}) // the service is gone if this fails
}

// refusedLogEvery is the least time between two log lines of refused
// callbacks: anyone who reaches the address may send them.
const refusedLogEvery = time.Minute

// logRefused logs a refused callback: the first at once, then at most one
// line every refusedLogEvery, with the number refused since the last line.
func (d *Discoverer) logRefused(remote string, err error, now time.Time) {
	d.mu.Lock()
	d.hookRefused++
	n := d.hookRefused
	due := now.Sub(d.hookRefusedLogged) >= refusedLogEvery
	if due {
		d.hookRefused, d.hookRefusedLogged = 0, now
	}
	d.mu.Unlock()
	if due {
		d.log.Warn("webhook callback refused", "remote", remote, "err", err, "refused", n)
	}
}

// errReplayed is the error of a callback whose nonce was seen before.
var errReplayed = errors.New("callback replayed: its nonce was seen before")

// checkCallback checks cb's signature and age and remembers its nonce.
func (d *Discoverer) checkCallback(cb *confctl.Callback, now time.Time) error {
	if err := cb.Check(d.o.AppKey, d.o.AppID, now, CallbackMaxAge); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, seen := d.nonces[cb.Nonce]; seen {
		return errReplayed
	}
	// A nonce older than twice the maximum age is refused as stale anyway:
	// forget those, at most once a minute.
	if now.Sub(d.noncesPruned) > time.Minute {
		d.noncesPruned = now
		for n, at := range d.nonces {
			if now.Sub(at) > 2*CallbackMaxAge {
				delete(d.nonces, n)
			}
		}
	}
	d.nonces[cb.Nonce] = time.UnixMilli(cb.Timestamp)
	return nil
}
