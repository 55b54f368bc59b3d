package cli

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"

	"github.com/urfave/cli/v2"

	"github.com/confrec/confrec/internal/webserver"
	"github.com/confrec/confrec/metrics"
	"github.com/confrec/confrec/recorder"
	"github.com/confrec/confrec/store"
)

// Flag names of record's metrics endpoint.
const (
	flgMetricsListen       = "metrics-listen"
	flgMetricsPasswordFile = "metrics-password-file"
)

// metricsUser is the HTTP basic auth user of --metrics-password-file.
const metricsUser = "confrec"

// metricsListenFlag and metricsPasswordFileFlag are record's flags for its
// metrics endpoint.
func metricsListenFlag() cli.Flag {
	return &cli.StringFlag{Name: flgMetricsListen, Category: catMetrics,
		Usage: "serve Prometheus metrics on /metrics and health on /livez and /readyz at `ADDR` (HOST:PORT; loopback unless --" + flgMetricsPasswordFile + ")"}
}

func metricsPasswordFileFlag() cli.Flag {
	return &cli.StringFlag{Name: flgMetricsPasswordFile, Category: catMetrics,
		Usage: "require HTTP basic auth (user " + metricsUser + ") with the password in `FILE` on --" + flgMetricsListen}
}

// recordMetrics is record's metrics endpoint (--metrics-listen). A nil
// *recordMetrics is the endpoint turned off: every method does nothing.
//
// Its life follows record's: startMetrics before the store opens (so that
// storeOptions can hook its commits, and a bad address fails at once),
// serve once the store is open, observer and recording for each meeting,
// and stop at the end (deferred: after the store's Close, so that /readyz
// says so to the last).
type recordMetrics struct {
	m        *metrics.Metrics
	srv      *webserver.Server
	password string // "" for no authentication
	logger   *slog.Logger
}

// startMetrics checks the metrics flags, creates the metrics and opens the
// listening address; serving starts with serve. It returns nil without
// --metrics-listen. An address other hosts may reach is a usage error
// unless --metrics-password-file is given.
func startMetrics(c *cli.Context, logger *slog.Logger) (*recordMetrics, error) {
	l, err := listenHTTP(c, httpEndpoint{addrFlag: flgMetricsListen, passwordFlag: flgMetricsPasswordFile,
		user: metricsUser, example: "127.0.0.1:9464"}, logger)
	if l.srv == nil || err != nil {
		return nil, err
	}
	r := &recordMetrics{logger: logger, srv: l.srv, password: l.password}
	r.m = metrics.New(buildVersion()) // export_har.go
	return r, nil
}

// httpEndpoint names the flags of one of record's HTTP endpoints.
type httpEndpoint struct {
	addrFlag, passwordFlag string
	passwordEnv            string // "" for none
	user                   string // of HTTP basic auth
	example                string // an address to suggest
	loopbackDefault        bool   // an address without a host is 127.0.0.1's
}

// httpListener is an endpoint's open address and its password, "" for
// none.
type httpListener struct {
	srv      *webserver.Server
	password string
}

// listenHTTP checks the flags of endpoint e and opens its address. Its
// srv is nil without the address flag. An address other hosts may reach
// is a usage error unless a password is given.
func listenHTTP(c *cli.Context, e httpEndpoint, logger *slog.Logger) (httpListener, error) {
	addr, pwFile := c.String(e.addrFlag), c.String(e.passwordFlag)
	if addr == "" {
		if pwFile != "" {
			return httpListener{}, usagef("--%s needs --%s", e.passwordFlag, e.addrFlag)
		}
		return httpListener{}, nil
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return httpListener{}, usagef("--%s %q: use HOST:PORT, such as %s", e.addrFlag, addr, e.example)
	}
	if host == "" && e.loopbackDefault {
		addr = net.JoinHostPort("127.0.0.1", port)
	}
	var l httpListener
	pw, err := readSecretFile(pwFile, e.passwordEnv)
	if err != nil {
		return l, err
	}
	l.password = pw.Reveal()
	if l.password == "" && !loopbackOnly(addr) {
		give := "--" + e.passwordFlag + " FILE"
		if e.passwordEnv != "" {
			give += " (or $" + e.passwordEnv + ")"
		}
		return l, usagef("--%s %s is not a loopback address, so other hosts may connect: give %s to require a password (HTTP basic auth, user %s), or listen on 127.0.0.1",
			e.addrFlag, addr, give, e.user)
	}
	if l.srv, err = webserver.Listen(pinLocalhost(addr), logger); err != nil {
		return l, fmt.Errorf("--%s %s: %w", e.addrFlag, addr, err)
	}
	return l, nil
}

// protect returns h behind the listener's password, if it has one, else
// answering only requests that name a loopback host (the address is one):
// no web page can reach it by DNS rebinding.
func (l httpListener) protect(h http.Handler, user string) http.Handler {
	if l.password == "" {
		return webserver.LoopbackHost(h)
	}
	return webserver.BasicAuth(h, "confrec", user, l.password)
}

// metrics returns the metrics record reports to, nil when they are off.
// A discoverer counts its polls and sets the meeting gauges there.
func (r *recordMetrics) metrics() *metrics.Metrics {
	if r == nil {
		return nil
	}
	return r.m
}

// storeOptions returns o with its commits counted.
func (r *recordMetrics) storeOptions(o *store.Options) *store.Options {
	if r != nil {
		o.OnCommit = r.m.StoreCommit
	}
	return o
}

// serve starts serving. /readyz checks that db takes writes ("store") and
// then the checks in ready, such as the discoverer's ("discovery").
func (r *recordMetrics) serve(db *store.DB, ready ...metrics.Check) {
	if r == nil {
		return
	}
	r.m.SetQueue(db.QueuedFrames)
	checks := append([]metrics.Check{{Name: "store", Check: db.CheckWritable}}, ready...)
	r.srv.Start(httpListener{r.srv, r.password}.protect(r.m.Handler(nil, checks), metricsUser))
	r.logger.Info("serving metrics", "addr", r.srv.Addr().String(), "auth", r.password != "")
}

// observer returns the recorder.Observer of every meeting, nil when the
// metrics are off.
func (r *recordMetrics) observer() recorder.Observer {
	if m := r.metrics(); m != nil {
		return m
	}
	return nil // not a nil *Metrics in an interface
}

// recording counts one more meeting being recorded until done is called.
func (r *recordMetrics) recording() (done func()) {
	if r == nil {
		return func() {}
	}
	r.m.AddRecording(1)
	return func() { r.m.AddRecording(-1) }
}

// stop stops serving, letting requests in flight finish, and waits.
func (r *recordMetrics) stop() {
	if r == nil {
		return
	}
	if err := r.srv.Close(); err != nil {
		r.logger.Warn("metrics server stopped", "err", err)
	}
}
