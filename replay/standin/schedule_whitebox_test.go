package standin

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/confrec/confrec/confctl"
)

// TestPlaybackOrigin: a schedule's playbacks count their offsets from the
// meeting's start, however late the token flow; NewServer's from their
// first connection (unknown until then).
func TestPlaybackOrigin(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	script := &Script{ConfID: "5", Steps: []Step{{Offset: time.Hour, Kind: StepText, Payload: []byte("x")}}}
	sched, err := NewScheduleServer([]Scheduled{{Script: script}}, &ServerOptions{Speed: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer sched.Close()
	plain, err := NewServer([]*Script{script}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()

	for _, tt := range []struct {
		name string
		srv  *Server
		want time.Time
	}{
		{"schedule", sched, sched.meetings["5"].start},
		{"plain", plain, time.Time{}},
	} {
		api := &confctl.Client{BaseURL: tt.srv.URL, HTTPClient: &http.Client{Transport: tr}}
		for range 2 {
			ct, err := api.ConfToken(ctx, "5", "", "")
			if err != nil {
				t.Fatalf("%s: ConfToken: %v", tt.name, err)
			}
			tt.srv.mu.Lock()
			got := tt.srv.playbacks[ct.Token.Reveal()].t0
			tt.srv.mu.Unlock()
			if !got.Equal(tt.want) {
				t.Errorf("%s: playback t0 %v, want %v", tt.name, got, tt.want)
			}
		}
	}
}

func TestWebhookCopies(t *testing.T) {
	tests := []struct {
		name         string
		loss, repeat float64
		want         map[int]bool // the counts that may come
	}{
		{"all_once", 0, 0, map[int]bool{1: true}},
		{"all_lost", 1, 0.5, map[int]bool{0: true}},
		{"all_twice", 0, 1, map[int]bool{2: true}},
		{"mixed", 0.3, 0.3, map[int]bool{0: true, 1: true, 2: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rng := newWebhookRand(1)
			seen := map[int]bool{}
			for range 1000 {
				n := webhookCopies(rng, tt.loss, tt.repeat)
				if !tt.want[n] {
					t.Fatalf("%d copies, want one of %v", n, tt.want)
				}
				seen[n] = true
			}
			if len(seen) != len(tt.want) {
				t.Errorf("1000 draws gave %v, want each of %v", seen, tt.want)
			}
		})
	}
	// The same seed draws the same; another seed, others.
	a, b, c := newWebhookRand(42), newWebhookRand(42), newWebhookRand(43)
	same, differ := true, false
	for range 100 {
		x, y, z := webhookCopies(a, 0.5, 0.5), webhookCopies(b, 0.5, 0.5), webhookCopies(c, 0.5, 0.5)
		same = same && x == y
		differ = differ || x != z
	}
	if !same || !differ {
		t.Errorf("seeded draws: same seed same %v, other seed differs %v", same, differ)
	}
}
