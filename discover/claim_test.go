package discover_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/confrec/confrec/discover"
	"github.com/confrec/confrec/replay/standin"
)

// claimer grants the meetings it is told to, and records releases.
type claimer struct {
	mu       sync.Mutex
	grant    map[string]bool
	claims   map[string]*claim
	released []string
	freed    chan string
}

type claim struct {
	c    *claimer
	id   string
	lost chan struct{}
}

func (c *claimer) Claim(_ context.Context, id string) (discover.Claim, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.grant[id] {
		return nil, nil
	}
	cl := &claim{c: c, id: id, lost: make(chan struct{})}
	c.claims[id] = cl
	return cl, nil
}

func (c *claimer) Freed() <-chan string { return c.freed }

func (c *claimer) set(id string, grant bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.grant[id] = grant
}

func (c *claimer) releases() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Sorted(slices.Values(c.released))
}

func (cl *claim) Lost() <-chan struct{} { return cl.lost }

func (cl *claim) Release() {
	cl.c.mu.Lock()
	defer cl.c.mu.Unlock()
	cl.c.released = append(cl.c.released, cl.id)
}

// TestClaimer: with a Claimer, only the meetings it grants are recorded; a
// claim lost stops its recording, which then releases it; a meeting named
// on Freed is looked at at once, without a poll; every claim is released
// when its recording ends.
func TestClaimer(t *testing.T) {
	t.Parallel()
	srv := enterprise(t, []standin.Scheduled{
		{Script: script("201", time.Minute)},
		{Script: script("202", time.Minute)},
		{Script: script("203", time.Minute)},
	})
	c := &claimer{grant: map[string]bool{"201": true, "203": true}, claims: make(map[string]*claim), freed: make(chan string, 1)}
	d, err := discover.New(openStore(t), discover.Options{APIURL: srv.URL, AppID: appID, AppKey: appKey, Poll: time.Hour, Claimer: c})
	if err != nil {
		t.Fatal(err)
	}
	stop := run(t, d)
	waitRecording(t, d, []string{"201", "203"})

	c.set("201", false) // another recorder holds it now
	c.mu.Lock()
	close(c.claims["201"].lost)
	c.mu.Unlock()
	waitRecording(t, d, []string{"203"})
	if got := c.releases(); !slices.Equal(got, []string{"201"}) {
		t.Errorf("released %v after the lost claim, want [201]", got)
	}

	c.set("202", true)
	c.freed <- "202"
	waitRecording(t, d, []string{"202", "203"})
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if got := c.releases(); !slices.Equal(got, []string{"201", "202", "203"}) {
		t.Errorf("released %v after the stop, want [201 202 203]", got)
	}
}
