package cli

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/confrec/confrec/discover"
	"github.com/confrec/confrec/metrics"
	"github.com/confrec/confrec/natsfeed"
)

// flgLeaseTTL is how long a recorder's claim on a meeting outlives its
// last renewal (record --discover --nats).
const flgLeaseTTL = "lease-ttl"

func leaseFlags() []cli.Flag {
	return []cli.Flag{
		&cli.DurationFlag{Name: flgLeaseTTL, Value: natsfeed.DefaultLeaseTTL, Category: catNATS,
			Usage: "with --discover and --nats: a meeting's lease (which recorder records it) outlives its last renewal by `DURATION`; " +
				"a recorder that dies loses its meetings to the others within it and a poll"},
	}
}

// checkLeaseFlags refuses --lease-ttl where it means nothing, or too
// short.
func checkLeaseFlags(c *cli.Context) error {
	if !c.IsSet(flgLeaseTTL) {
		return nil
	}
	if !c.Bool(flgDiscover) || c.String(flgNATS) == "" {
		return usagef("--%s is for recorders that share the meetings they discover: give --%s and --%s", flgLeaseTTL, flgDiscover, flgNATS)
	}
	if d := c.Duration(flgLeaseTTL); d < natsfeed.MinLeaseTTL {
		return usagef("--%s %v: at least %v", flgLeaseTTL, d, natsfeed.MinLeaseTTL)
	}
	return nil
}

// leaseSharing is record --discover --nats's share of the meetings: the
// Leases, run until stop.
type leaseSharing struct {
	leases *natsfeed.Leases
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// startLeases makes the Discoverer of dopts claim each meeting through a
// lease in NATS before recording it, and keeps the leases until stop. nil
// without --nats: every meeting is recorded here.
func startLeases(c *cli.Context, feed *natsPublishing, dopts *discover.Options, logger *slog.Logger) (*leaseSharing, error) {
	if feed == nil {
		return nil, nil
	}
	leases, err := natsfeed.NewLeases(feed.js, natsfeed.LeaseOptions{
		Recorder: feed.id,
		TTL:      c.Duration(flgLeaseTTL),
		Grace:    2 * dopts.Poll,
		Replicas: c.Int(flgNATSReplicas),
		Logger:   logger,
	})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(c.Context))
	s := &leaseSharing{leases: leases, cancel: cancel}
	s.wg.Go(func() {
		if err := leases.Run(ctx); err != nil {
			logger.Error("leases stopped: no meeting is claimed any more", "err", err)
		}
	})
	dopts.Claimer = leaseClaimer{leases}
	// The first poll claims nothing before the bucket is read: wait for
	// it a little (not for ever: NATS may be away).
	select {
	case <-leases.Ready():
	case <-time.After(leases.TTL()):
	case <-c.Context.Done():
	}
	logger.Info("sharing the meetings with other recorders", "recorder", feed.id, "bucket", natsfeed.LeaseBucket, "lease_ttl", leases.TTL())
	return s, nil
}

// check is the readiness check of the leases.
func (s *leaseSharing) check() metrics.Check {
	return metrics.Check{Name: "leases", Check: func() error {
		select {
		case <-s.leases.Ready():
			return nil
		default:
			return errors.New("the lease bucket is not open: no meeting is claimed")
		}
	}}
}

// stop withdraws this recorder from the fleet, once its recordings have
// ended and released their leases.
func (s *leaseSharing) stop() {
	if s == nil {
		return
	}
	s.cancel()
	s.wg.Wait()
}

// leaseClaimer is natsfeed.Leases as a discover.Claimer.
type leaseClaimer struct{ *natsfeed.Leases }

func (c leaseClaimer) Claim(ctx context.Context, confID string) (discover.Claim, error) {
	l, err := c.Leases.Claim(ctx, confID)
	if l == nil {
		return nil, err
	}
	return l, err
}
