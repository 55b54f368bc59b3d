package recorder_test

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/confrec/confrec/confctl"
	"github.com/confrec/confrec/recorder"
)

// countingObserver counts what a recording tells its Observer, by kind and
// meeting or api, as "session 700", "reconnect 700", "token ws_token".
type countingObserver struct {
	mu sync.Mutex
	n  map[string]int
}

func newCountingObserver() *countingObserver { return &countingObserver{n: map[string]int{}} }

func (o *countingObserver) add(key string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.n[key]++
}

func (o *countingObserver) SessionStarted(confID string) { o.add("session " + confID) }
func (o *countingObserver) Reconnect(confID string)      { o.add("reconnect " + confID) }
func (o *countingObserver) TokenFailure(api string)      { o.add("token " + api) }

func (o *countingObserver) counts() map[string]int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return maps.Clone(o.n)
}

// checkCounts fails unless the observer counted exactly want.
func checkCounts(t *testing.T, o *countingObserver, want map[string]int) {
	t.Helper()
	if got := o.counts(); !maps.Equal(got, want) {
		t.Errorf("observer counted %v, want %v", got, want)
	}
}

// TestObserverReconnect: the stand-in drops the first connection; the
// recorder reconnects once and records a second session.
func TestObserverReconnect(t *testing.T) {
	script := loadScenario(t, "drop.jsonl")
	srv := startReplay(t, script, 0)
	db, _ := openDB(t)
	hc, _ := newSecretCapture(t)
	obs := newCountingObserver()
	opts := tokenOptions(srv, script.ConfID, hc, newTestLog())
	opts.Observer = obs

	res, err := recorder.Record(t.Context(), db, opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Sessions != 2 {
		t.Fatalf("Result = %+v, want 2 sessions", res)
	}
	checkCounts(t, obs, map[string]int{"session " + script.ConfID: 2, "reconnect " + script.ConfID: 1})
}

// TestObserverTokenFailures: every failed token call is counted under its
// API, and every attempt after a failed connect or an ended session is a
// reconnect.
func TestObserverTokenFailures(t *testing.T) {
	const confID = "700200600"
	tests := []struct {
		name     string
		password string   // "" means testPassword
		statuses []int    // for the first ConfToken calls
		later    []int    // for the ConfToken calls after the first session, which the server closes
		stall    string   // the token API request that never gets an answer (peer.stall)
		want     []string // "session", "reconnect" or "token API", once per call expected
	}{
		{name: "wrong_password", password: "not-the-host-password", want: []string{"token conf_token"}},
		{name: "retried_after_a_server_error", statuses: []int{500},
			want: []string{"token conf_token", "reconnect", "session"}},
		// After the first session the keep-alive's 401 falls back to the
		// password (401 too), then 500 and 503, then a session again.
		{name: "keep_alive_refused", later: []int{401, 401, 500, 503}, want: []string{
			"session", "reconnect", "token conf_token", "token conf_token", "reconnect", "token conf_token", "reconnect",
			"token conf_token", "reconnect", "session"}},
		{name: "ws_token_timed_out", stall: "wstoken", want: []string{"token ws_token", "reconnect", "session"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p *peer
			p = newPeer(t, confID, func(ctx context.Context, n int, c *websocket.Conn) {
				if n == 1 && tt.later != nil {
					p.fail(tt.later...)
					c.Close(websocket.StatusGoingAway, "")
					return
				}
				endMeeting(ctx, confID, c)
			})
			p.fail(tt.statuses...)
			p.mu.Lock()
			p.stall = tt.stall
			p.mu.Unlock()
			db, _ := openDB(t)
			obs := newCountingObserver()
			opts := p.options(newTestLog())
			opts.Observer = obs
			opts.RequestTimeout = 100 * time.Millisecond
			if tt.password != "" {
				opts.Password = confctl.Secret(tt.password)
			}

			recorder.Record(t.Context(), db, opts) // its results are other tests' concern
			want := map[string]int{}
			for _, w := range tt.want {
				switch w {
				case "session", "reconnect":
					w = fmt.Sprint(w, " ", confID)
				}
				want[w]++
			}
			checkCounts(t, obs, want)
		})
	}
}
