package cli

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"regexp"
	"runtime/debug"
	"sync"
	"time"

	"github.com/confrec/confrec/discover"
	"github.com/confrec/confrec/metrics"
	"github.com/urfave/cli/v2"
)

// Flag names and environment variables of record --discover.
const (
	flgDiscover         = "discover"
	flgUserID           = "user-id"
	flgPoll             = "poll"
	flgPasswordsFile    = "passwords-file"
	flgIncludeSubject   = "include-subject"
	flgExcludeSubject   = "exclude-subject"
	flgIncludeOrganizer = "include-organizer"
	flgExcludeOrganizer = "exclude-organizer"
	flgWebhookListen    = "webhook-listen"
	flgWait             = "wait"

	catDiscover = "discovery"
)

// discoverFlags are record's flags for --discover, and --wait.
func discoverFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: flgDiscover, Category: catDiscover,
			Usage: "record every running meeting of the enterprise, found through its management API, until SIGINT/SIGTERM"},
		&cli.StringFlag{Name: flgAppID, EnvVars: []string{envAppID}, Category: catDiscover,
			Usage: "with --discover: the enterprise application's App `ID`"},
		&cli.StringFlag{Name: flgAppKeyFile, Category: catDiscover,
			Usage: "with --discover: read the App Key from `FILE` (else $" + envAppKey + ")"},
		&cli.StringFlag{Name: flgUserID, Category: catDiscover,
			Usage: "with --discover: the user `ID` the access token acts for (default: the enterprise's default administrator)"},
		&cli.DurationFlag{Name: flgPoll, Value: discover.DefaultPoll, Category: catDiscover,
			Usage: "with --discover: look for new meetings every `DURATION`"},
		&cli.StringFlag{Name: flgPasswordsFile, Category: catDiscover,
			Usage: "with --discover: host passwords, lines \"ID PASSWORD\" (conferenceID or vmrConferenceID) in `FILE` (0600; re-read when it changes)"},
		&cli.StringFlag{Name: flgIncludeSubject, Category: catDiscover, Usage: "with --discover: record only meetings whose subject matches `REGEX`"},
		&cli.StringFlag{Name: flgExcludeSubject, Category: catDiscover, Usage: "with --discover: do not record meetings whose subject matches `REGEX`"},
		&cli.StringFlag{Name: flgIncludeOrganizer, Category: catDiscover, Usage: "with --discover: record only meetings whose organizer matches `REGEX`"},
		&cli.StringFlag{Name: flgExcludeOrganizer, Category: catDiscover, Usage: "with --discover: do not record meetings whose organizer matches `REGEX`"},
		&cli.StringFlag{Name: flgWebhookListen, Category: catDiscover,
			Usage: "with --discover: receive the enterprise's webhook callbacks on `ADDR` (signed with the App Key)"},
		&cli.BoolFlag{Name: flgWait, Category: catConnect,
			Usage: "with --conf-id: wait for a meeting that has not started yet instead of failing"},
	}
}

// runDiscover is record --discover.
func runDiscover(c *cli.Context, logger *slog.Logger) error {
	for _, f := range []string{flgConfID, flgWSURL, flgPasswordFile, flgWait, flgConfTokenFile} {
		if c.IsSet(f) {
			return usagef("--%s and --%s do not go together: --%s finds the meetings and their passwords itself", flgDiscover, f, flgDiscover)
		}
	}
	if err := checkLeaseFlags(c); err != nil {
		return err
	}
	dopts, err := discoverOptions(c)
	if err != nil {
		return err
	}
	rs, err := openRecordStore(c, logger)
	if err != nil {
		return err
	}
	db, mon := rs.db, rs.mon
	dopts.Record.Logger = logger
	dopts.Record.Observer = mon.observer()
	var obs discover.Observer = discover.NopObserver{}
	if m := mon.metrics(); m != nil {
		obs = m
	}
	dopts.Observer = &gcTuner{Observer: obs, logger: logger}
	shared, err := startLeases(c, rs.feed, &dopts, logger) // record_leases.go
	if err != nil {
		return rs.close(err)
	}
	d, err := discover.New(db, dopts)
	if err == nil {
		checks := []metrics.Check{{Name: "discovery", Check: d.Ready}}
		if shared != nil {
			checks = append(checks, shared.check())
		}
		mon.serve(db, checks...)
		var stopHooks func()
		stopHooks, err = serveWebhooks(c, d, logger)
		if err == nil {
			logger.Info("discovering", "db", c.String(flgDB), "api", dopts.APIURL, "poll", dopts.Poll)
			err = d.Run(c.Context)
			stopHooks()
		}
	}
	shared.stop() // after every recording released its lease
	return rs.close(err)
}

// discoverOptions turns record --discover's flags into discovery options.
func discoverOptions(c *cli.Context) (discover.Options, error) {
	base, err := connectOptions(c)
	if err != nil {
		return discover.Options{}, err
	}
	o := discover.Options{
		APIURL: base.APIURL,
		AppID:  c.String(flgAppID),
		UserID: c.String(flgUserID),
		Poll:   c.Duration(flgPoll),
		Record: base,
	}
	if o.AppID == "" {
		return o, usagef("--%s needs the application's App ID: give --%s ID or set $%s", flgDiscover, flgAppID, envAppID)
	}
	if o.Poll <= 0 {
		return o, usagef("--%s must be positive", flgPoll)
	}
	if o.AppKey, err = readSecretFile(c.String(flgAppKeyFile), envAppKey); err != nil {
		return o, err
	}
	if o.AppKey == "" {
		return o, usagef("--%s needs the App Key: give --%s FILE or set $%s", flgDiscover, flgAppKeyFile, envAppKey)
	}
	if path := c.String(flgPasswordsFile); path != "" {
		if o.Passwords, err = discover.LoadPasswords(path); err != nil {
			return o, err
		}
	}
	for _, f := range []struct {
		flag string
		re   **regexp.Regexp
	}{
		{flgIncludeSubject, &o.IncludeSubject}, {flgExcludeSubject, &o.ExcludeSubject},
		{flgIncludeOrganizer, &o.IncludeOrganizer}, {flgExcludeOrganizer, &o.ExcludeOrganizer},
	} {
		if v := c.String(f.flag); v != "" {
			re, err := regexp.Compile(v)
			if err != nil {
				return o, usagef("--%s: %v", f.flag, err)
			}
			*f.re = re
		}
	}
	return o, nil
}

// webhookReadTimeout bounds the time to read a webhook callback, body and
// all (a callback is at most 64 KiB): a sender that trickles its body is
// cut off.
var webhookReadTimeout = 30 * time.Second

// serveWebhooks receives the enterprise's webhook callbacks on
// --webhook-listen, if given, until the returned stop is called. The
// address is bound before it returns, so a bad one fails at start.
func serveWebhooks(c *cli.Context, d *discover.Discoverer, logger *slog.Logger) (stop func(), err error) {
	addr := c.String(flgWebhookListen)
	if addr == "" {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--%s: %w", flgWebhookListen, err)
	}
	// Anyone who reaches the address may connect before a signature is
	// checked: bound what a connection may hold, and for how long.
	srv := &http.Server{Handler: d.WebhookHandler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       webhookReadTimeout,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelDebug)}
	logger.Info("receiving webhooks", "addr", ln.Addr().String())
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("webhook server stopped", "err", err)
		}
	})
	return func() {
		// Closed at once, not shut down gracefully: a callback cut off is
		// repeated by the service, and a sender holding its body back must
		// not hold up the stop.
		_ = srv.Close()
		wg.Wait()
	}, nil
}

// gcTuner is record --discover's discovery Observer: it passes every call
// on and, once as many meetings are recorded as make record --conf-id
// collect garbage sooner, does the same (see gcPercent).
type gcTuner struct {
	discover.Observer
	logger *slog.Logger
	once   sync.Once
}

func (g *gcTuner) SetRecording(n int) {
	g.Observer.SetRecording(n)
	if p, ok := gcPercent(n, os.Getenv("GOGC")); ok {
		g.once.Do(func() {
			debug.SetGCPercent(p)
			g.logger.Debug("collecting garbage sooner for many meetings", "gc_percent", p, "meetings", n)
		})
	}
}
