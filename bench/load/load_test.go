package main

import (
	"bytes"
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// run starts goroutines of its own (process waiters, the RSS sampler):
// none may outlive it.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestLoadSmoke runs the load program small (5 meetings for 3 s) so that
// it keeps working: it must build confrec, play and record every meeting
// with heartbeats and find nothing missing. It asserts no figure: the
// measurements are for the full run (see main.go).
func TestLoadSmoke(t *testing.T) {
	var out bytes.Buffer
	cfg := config{Meetings: 5, Duration: 3 * time.Second, Rate: 10, Heartbeat: time.Second, BaseDuration: time.Second}
	rep, err := run(context.Background(), cfg, &out)
	t.Logf("load table:\n%s", out.String())
	if err != nil {
		t.Fatal(err)
	}
	c := rep.Main.Check
	if c.Want == 0 || c.Notifications != c.Want {
		t.Errorf("%d of %d notifications stored", c.Notifications, c.Want)
	}
	if len(c.Heartbeats) != cfg.Meetings {
		t.Fatalf("heartbeats counted for %d meetings, want %d", len(c.Heartbeats), cfg.Meetings)
	}
	for i, n := range c.Heartbeats {
		if n == 0 {
			t.Errorf("meeting %s sent no heartbeat", confID(i))
		}
	}
	if rep.Base == nil || rep.Base.Mem.HWM == 0 || rep.Main.Mem.HWM == 0 {
		t.Errorf("peak RSS not measured: base %+v, main %+v", rep.Base, rep.Main)
	}
}
