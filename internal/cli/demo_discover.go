package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/confrec/confrec/confctl"
	"github.com/confrec/confrec/discover"
	"github.com/confrec/confrec/replay/standin"
	"github.com/confrec/confrec/store"
	"github.com/urfave/cli/v2"
)

// The demo enterprise's application: no secrets, handled as ones all the same.
const (
	demoAppID                 = "confrec-demo"
	demoAppKey confctl.Secret = "demo-app-key"
)

// demoMeetings are the meetings of the demo's stand-in enterprise: the
// sample meeting under other IDs and subjects, starting one after another
// and overlapping.
var demoMeetings = []struct {
	id, subject, organizer string
	start                  time.Duration
}{
	{"986600001", "Weekly sync", "Chen Jing", 0},
	{"986600002", "Design review", "Wang Lei", 800 * time.Millisecond},
	{"986600003", "Customer call", "Zhao Min", 1600 * time.Millisecond},
	{"986600004", "Retrospective", "Sun Hao", 2400 * time.Millisecond},
}

// demoDiscoverySpeed plays the ten-minute sample meeting in three seconds.
const demoDiscoverySpeed = 200

// demoDiscovery is the demo's second part: a stand-in enterprise whose
// meetings start and end by themselves, found and recorded by a
// discover.Discoverer without anyone naming one, into the database at path.
func demoDiscovery(c *cli.Context, script *standin.Script, path string, logger *slog.Logger) error {
	var sched []standin.Scheduled
	for _, m := range demoMeetings {
		sched = append(sched, standin.Scheduled{
			Script:         &standin.Script{ConfID: m.id, Steps: script.Steps},
			Start:          m.start,
			Password:       demoPassword,
			Subject:        m.subject,
			Organizer:      m.organizer,
			PasswordListed: true,
		})
	}
	srv, err := standin.NewScheduleServer(sched, &standin.ServerOptions{
		Speed: demoDiscoverySpeed, AppID: demoAppID, AppKey: demoAppKey, Logger: logger})
	if err != nil {
		return fmt.Errorf("start the stand-in enterprise: %w", err)
	}
	defer srv.Close()
	db, err := store.Open(path, &store.Options{Logger: logger})
	if err != nil {
		return err
	}
	w := c.App.Writer
	fmt.Fprintf(w, "\nDiscovering: a stand-in enterprise at %s starts %d meetings one after another;\n"+
		"record --discover finds and records each without being told its ID.\n\n", srv.URL, len(sched))
	obs := &demoObserver{w: w, start: time.Now()}
	d, err := discover.New(db, discover.Options{
		APIURL: srv.URL, AppID: demoAppID, AppKey: demoAppKey, Poll: 200 * time.Millisecond,
		Logger: logger, Observer: obs,
	})
	if err != nil {
		db.Close()
		return err
	}
	ctx, cancel := context.WithCancel(c.Context)
	var runErr error
	var wg sync.WaitGroup
	wg.Go(func() { runErr = d.Run(ctx) })
	lastEnd := sched[len(sched)-1].Start + script.Steps[len(script.Steps)-1].Offset/demoDiscoverySpeed
	for time.Since(obs.start) < lastEnd+time.Second || len(d.Recording()) > 0 {
		if ctx.Err() != nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	wg.Wait()
	if cerr := db.Close(); runErr == nil {
		runErr = cerr
	}
	if runErr != nil {
		return fmt.Errorf("discover the demo's meetings: %w", runErr)
	}
	if c.Context.Err() != nil {
		return c.Context.Err()
	}
	if db, err = store.Open(path, &store.Options{ReadOnly: true}); err != nil {
		return err
	}
	defer db.Close()
	ms, err := db.Meetings()
	if err != nil {
		return err
	}
	rows := make([]meetingRow, 0, len(ms))
	for i := range ms {
		rows = append(rows, newMeetingRow(&ms[i]))
	}
	fmt.Fprintln(w)
	if err := writeMeetingsTable(w, rows); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nAgainst the real service: record --discover --app-id ID --app-key-file FILE --passwords-file FILE\n")
	return nil
}

// demoObserver prints how many meetings are being recorded whenever it changes.
type demoObserver struct {
	discover.NopObserver
	w     io.Writer
	start time.Time
	mu    sync.Mutex
	last  int
}

func (o *demoObserver) SetRecording(n int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if n != o.last {
		o.last = n
		fmt.Fprintf(o.w, "  %5.1fs  recording %d meeting(s)\n", time.Since(o.start).Seconds(), n)
	}
}
