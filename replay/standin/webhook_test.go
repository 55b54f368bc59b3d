package standin_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/confrec/confrec/confctl"
	"github.com/confrec/confrec/replay/standin"
)

// receiver is a webhook endpoint on loopback that keeps every callback.
type receiver struct {
	t    *testing.T
	srv  *httptest.Server
	mu   sync.Mutex
	got  []confctl.Callback
	more chan struct{} // signalled after each callback
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{t: t, more: make(chan struct{}, 1)}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, err := io.ReadAll(req.Body)
		if err != nil || req.Method != http.MethodPost || req.Header.Get("Content-Type") != "application/json" {
			t.Errorf("callback %s %q: %v", req.Method, req.Header.Get("Content-Type"), err)
		}
		cb, err := confctl.ParseCallback(b)
		if err != nil {
			t.Errorf("callback %s: %v", b, err)
		}
		if err := cb.Check(testAppKey, testAppID, time.Now(), time.Minute); err != nil {
			t.Errorf("callback %s: %v", b, err)
		}
		r.mu.Lock()
		r.got = append(r.got, cb)
		r.mu.Unlock()
		select {
		case r.more <- struct{}{}:
		default:
		}
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// wait waits until n callbacks have come and returns them.
func (r *receiver) wait(n int) []confctl.Callback {
	r.t.Helper()
	deadline := time.After(testTimeout)
	for {
		r.mu.Lock()
		got := append([]confctl.Callback(nil), r.got...)
		r.mu.Unlock()
		if len(got) >= n {
			return got
		}
		select {
		case <-r.more:
		case <-deadline:
			r.t.Fatalf("%d callbacks came, want %d", len(got), n)
		}
	}
}

// all returns every callback so far.
func (r *receiver) all() []confctl.Callback {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]confctl.Callback(nil), r.got...)
}

func webhookOptions(url string) standin.ServerOptions {
	return standin.ServerOptions{WebhookURL: url, WebhookSeed: 1}
}

// TestWebhookCallbacks: meeting.verify at the start, then meeting.started
// and meeting.end of each meeting when it starts and ends, each signed
// with the App Key and with a nonce of its own; a meeting is no longer
// running when its meeting.end comes.
func TestWebhookCallbacks(t *testing.T) {
	ctx := testCtx(t)
	rcv := newReceiver(t)
	h := enterprise(t, []standin.Scheduled{
		{Script: textScript("1", 0, 50*time.Millisecond)},
		{Script: textScript("2", 0), Start: time.Hour},
	}, webhookOptions(rcv.srv.URL+"/hook?token=x"))
	got := rcv.wait(3)
	want := []struct{ event, meeting string }{
		{confctl.EventVerify, ""}, {confctl.EventStarted, "1"}, {confctl.EventEnd, "1"},
	}
	nonces := map[string]bool{}
	for i, w := range want {
		if got[i].Event != w.event || got[i].MeetingID != w.meeting || got[i].AppID != testAppID {
			t.Errorf("callback %d: %s %q of %q, want %s %q of %q", i, got[i].Event, got[i].MeetingID, got[i].AppID, w.event, w.meeting, testAppID)
		}
		if len(got[i].Nonce) != 32 || nonces[got[i].Nonce] {
			t.Errorf("callback %d: nonce %q: want 32 characters, each callback its own", i, got[i].Nonce)
		}
		nonces[got[i].Nonce] = true
	}
	if _, err := h.api.ConfToken(ctx, "1", "", ""); err == nil {
		t.Error("meeting 1 still runs after its meeting.end")
	}
	h.srv.Close() // waits for the callbacks under way
	if n := len(rcv.all()); n != 3 {
		t.Errorf("%d callbacks, want 3 (meeting 2 starts in an hour)", n)
	}
}

// TestWebhookLossRepeat: WebhookLoss and WebhookRepeat drop and repeat the
// callbacks WebhookSeed draws; a repeated one is the same body twice.
func TestWebhookLossRepeat(t *testing.T) {
	const meetings = 30
	const loss, repeat, seed = 0.3, 0.3, 7
	var ms []standin.Scheduled
	for i := range meetings {
		ms = append(ms, standin.Scheduled{Script: &standin.Script{ConfID: fmt.Sprintf("m%02d", i)}})
	}
	// In order: verify, every start, every end (all at the server's start).
	type key struct{ event, meeting string }
	keys := []key{{confctl.EventVerify, ""}}
	for _, event := range []string{confctl.EventStarted, confctl.EventEnd} {
		for i := range meetings {
			keys = append(keys, key{event, fmt.Sprintf("m%02d", i)})
		}
	}
	plan := standin.WebhookPlan(seed, loss, repeat, len(keys))
	want := map[key]int{}
	total, lost, twice := 0, 0, 0
	for i, n := range plan {
		want[keys[i]] = n
		total += n
		switch n {
		case 0:
			lost++
		case 2:
			twice++
		}
	}
	if lost == 0 || twice == 0 {
		t.Fatalf("seed %d loses %d and repeats %d callbacks: pick a seed that does both", seed, lost, twice)
	}

	rcv := newReceiver(t)
	opts := webhookOptions(rcv.srv.URL)
	opts.WebhookLoss, opts.WebhookRepeat, opts.WebhookSeed = loss, repeat, seed
	h := enterprise(t, ms, opts)
	rcv.wait(total)
	h.srv.Close() // every callback was due: all are done now
	got := map[key]int{}
	nonces := map[key]map[string]bool{}
	for _, cb := range rcv.all() {
		k := key{cb.Event, cb.MeetingID}
		got[k]++
		if nonces[k] == nil {
			nonces[k] = map[string]bool{}
		}
		nonces[k][cb.Nonce] = true
	}
	for _, k := range keys {
		if got[k] != want[k] {
			t.Errorf("%s of %q came %d times, want %d", k.event, k.meeting, got[k], want[k])
		}
		if len(nonces[k]) > 1 {
			t.Errorf("%s of %q came with %d nonces, want one", k.event, k.meeting, len(nonces[k]))
		}
	}
}

// TestWebhookNoRedirect: a redirect is the answer; it is not followed.
func TestWebhookNoRedirect(t *testing.T) {
	target := newReceiver(t)
	hit := make(chan struct{}, 2)
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case hit <- struct{}{}:
		default:
		}
		http.Redirect(w, r, target.srv.URL, http.StatusTemporaryRedirect)
	}))
	defer redirector.Close()
	h := enterprise(t, []standin.Scheduled{{Script: textScript("1", time.Hour)}}, webhookOptions(redirector.URL))
	// Callbacks go one at a time: once meeting.started comes,
	// meeting.verify's answer has been dealt with.
	for _, event := range []string{confctl.EventVerify, confctl.EventStarted} {
		select {
		case <-hit:
		case <-time.After(testTimeout):
			t.Fatalf("%s never came", event)
		}
	}
	h.srv.Close()
	if n := len(target.all()); n != 0 {
		t.Errorf("the redirect's target got %d callbacks, want 0", n)
	}
}
