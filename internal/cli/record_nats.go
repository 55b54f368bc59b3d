package cli

import (
	"context"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/urfave/cli/v2"

	"github.com/confrec/confrec/natsfeed"
	"github.com/confrec/confrec/store"
)

// Flags of record for NATS besides natsFlags.
const (
	flgRecorderID = "recorder-id"
	flgNATSTrim   = "nats-trim-after"
)

// recordNATSFlags are record's flags for publishing to NATS.
func recordNATSFlags() []cli.Flag {
	return append(natsFlags(),
		&cli.StringFlag{Name: flgRecorderID, Category: catNATS, Usage: "name this recorder `ID` in what it publishes (default: the host's name)"},
		&cli.DurationFlag{Name: flgNATSTrim, Category: catNATS, Usage: "delete a meeting from --db once NATS holds all of it and its recording ended `AGE` ago (default: keep; a legal hold keeps it)"})
}

// natsPublishing publishes what record stores to NATS (package natsfeed).
type natsPublishing struct {
	nc     *nats.Conn
	js     jetstream.JetStream
	id     string
	pub    *natsfeed.Publisher
	told   atomic.Pointer[natsfeed.Publisher] // pub, once it runs: for the store's OnCommit
	cancel context.CancelFunc
	wg     sync.WaitGroup
	logger *slog.Logger
}

// connectPublishing checks the NATS flags and connects to --nats, before
// the database opens: a bad flag creates nothing. nil without --nats.
func connectPublishing(c *cli.Context, logger *slog.Logger) (*natsPublishing, error) {
	id := c.String(flgRecorderID)
	if c.String(flgNATS) == "" && id != "" {
		return nil, usagef("--%s names this recorder in what it publishes to NATS: give --%s too", flgRecorderID, flgNATS)
	}
	if c.String(flgNATS) == "" && c.IsSet(flgNATSTrim) {
		return nil, usagef("--%s deletes what NATS holds: give --%s too", flgNATSTrim, flgNATS)
	}
	if c.Duration(flgNATSTrim) < 0 {
		return nil, usagef("--%s %v: give a positive age", flgNATSTrim, c.Duration(flgNATSTrim))
	}
	if id == "" {
		host, err := os.Hostname()
		if err != nil {
			host = "confrec"
		}
		id = host
	}
	if err := natsfeed.ValidRecorderID(id); err != nil {
		return nil, usagef("--%s: %v", flgRecorderID, err)
	}
	nc, js, err := connectNATS(c, "confrec record "+id, "frames wait in the database", logger)
	if err != nil || nc == nil {
		return nil, err
	}
	return &natsPublishing{nc: nc, js: js, id: id, logger: logger}, nil
}

// storeOptions makes the database tell the Publisher which meetings each
// commit changed, besides what o's OnCommit already does.
func (p *natsPublishing) storeOptions(o *store.Options) *store.Options {
	if p == nil {
		return o
	}
	prev := o.OnCommit
	o.OnCommit = func(s store.CommitStats) {
		if prev != nil {
			prev(s)
		}
		if pub := p.told.Load(); pub != nil {
			pub.Changed(s.Meetings)
		}
	}
	return o
}

// start publishes db's frames until stop.
func (p *natsPublishing) start(c *cli.Context, db *store.DB) error {
	if p == nil {
		return nil
	}
	o := natsfeed.PublisherOptions{Recorder: p.id, Logger: p.logger, Replicas: natsReplicas(c)}
	if age := c.Duration(flgNATSTrim); age > 0 {
		o.Trim = func(m *store.Meeting) bool {
			n := len(m.Sessions)
			return recordingEnded(m) && n > 0 && time.Since(m.Sessions[n-1].End) >= age // follow.go
		}
	}
	pub, err := natsfeed.NewPublisher(db, p.js, o)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(c.Context))
	p.pub, p.cancel = pub, cancel
	p.told.Store(pub)
	p.wg.Go(func() {
		if err := pub.Run(ctx); err != nil {
			p.logger.Error("publishing to NATS stopped", "err", err)
		}
	})
	p.logger.Info("publishing to NATS", "recorder", p.id, "servers", redactURL(c.String(flgNATS)))
	return nil
}

// natsFinalWait bounds how long a recorder that stops waits to publish
// what it stored last; what is left is published at its next start.
const natsFinalWait = 10 * time.Second

// stop publishes what is committed, waiting at most natsFinalWait, and
// disconnects.
func (p *natsPublishing) stop() {
	if p == nil {
		return
	}
	if p.pub == nil {
		p.nc.Close()
		return
	}
	p.cancel()
	p.wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), natsFinalWait)
	defer cancel()
	if err := p.pub.PublishCommitted(ctx); err != nil {
		p.logger.Warn("frames not yet published to NATS wait in the database for the next start", "err", err)
	}
	p.nc.Close()
}
