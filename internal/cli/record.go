package cli

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/confrec/confrec/confctl"
	"github.com/confrec/confrec/recorder"
	"github.com/confrec/confrec/store"
	"github.com/urfave/cli/v2"
)

// Flag names and environment variables of record.
const (
	flgConfID        = "conf-id"
	flgAPIURL        = "api-url"
	flgPasswordFile  = "password-file"
	flgWSURL         = "ws-url"
	flgSubscribe     = "subscribe"
	flgHeartbeat     = "heartbeat"
	flgFlushInterval = "flush-interval"
	flgMaxFrame      = "max-frame"
	flgInsecure      = "insecure"
	flgCAFile        = "ca-file"
	flgConfTokenFile = "conf-token-file"

	envPassword  = "CONFREC_HOST_PASSWORD"
	envConfToken = "CONFREC_CONF_TOKEN"
)

func recordCommand() *cli.Command {
	return &cli.Command{
		Name:  "record",
		Usage: "record meetings' control channels into the database",
		Description: `Connects to the meeting-control WebSocket of each --conf-id (doing the REST token flow with the
host password), subscribes, sends heartbeats, reconnects after drops with fresh tokens, and stores every
frame byte for byte with its time. It ends when every meeting has ended, or on SIGINT/SIGTERM (exit 0
after closing the connections and making everything received durable).

With --discover it records every running meeting of the enterprise instead, found through its
management API (App ID authentication with --app-id and the App Key), until SIGINT/SIGTERM; host
passwords come from --passwords-file or from the service. --wait waits for a named meeting to start.

With --discover and --nats, recorders share the meetings: each claims a meeting before recording it
with a lease in the JetStream key-value bucket confrec-leases (key: the conference ID, value: the
--recorder-id), renewed every third of --lease-ttl (default 6s) and deleted when the recording ends.
One recorder records a meeting at a time; when a recorder dies its leases expire and the others take
its meetings over within --lease-ttl and a --poll, as new sessions. A recorder claims at once the
meetings it ranks first for among the live recorders (each renews a heartbeat key; rendezvous
hashing), and the others after two polls unclaimed. A recording whose lease another recorder took
stops. While NATS does not answer no meeting is claimed, and the recordings under way go on.

The host password is read from --password-file or $` + envPassword + `, never from a flag value.
With --ws-url (a full connect URL with confID and tmpToken) there is no token flow: one connection,
and a drop ends the recording with an error.

While it records, the read commands (meetings, info, export, replay state and print, verify, seal)
work on the same --db: it runs them on its open database and streams their answers, and it serves
backup a consistent copy, on a unix socket (mode 0600) in a directory only this user can use:
$XDG_RUNTIME_DIR/confrec/, else $TMPDIR/confrec-UID/, else ~/.cache/confrec/.`,
		Flags: append([]cli.Flag{
			&cli.StringSliceFlag{Name: flgConfID, Category: catConnect, Usage: "record the meeting `ID` (repeat for several meetings at once)"},
			&cli.StringFlag{Name: flgAPIURL, Value: confctl.DefaultAPIURL, EnvVars: []string{"CONFREC_API_URL"}, Category: catConnect,
				Usage: "base `URL` of the meeting REST API (token flow)"},
			&cli.StringFlag{Name: flgPasswordFile, Category: catConnect, Usage: "read the host password from `FILE` (else $" + envPassword + ")"},
			&cli.StringFlag{Name: flgWSURL, Category: catConnect, Usage: "connect directly to `URL` (with confID and tmpToken) instead of the token flow"},
			&cli.StringFlag{Name: flgConfTokenFile, Category: catConnect, Usage: "with --ws-url: read the meeting-control token for Subscribe from `FILE` (else $" + envConfToken + ")"},
			&cli.StringFlag{Name: flgSubscribe, Category: catConnect, Usage: "subscribe to these push types `A,B` (default: all documented)"},
			&cli.DurationFlag{Name: flgHeartbeat, Value: 60 * time.Second, Category: catConnect, Usage: "send a HeartBeat every `DURATION` (the service wants one within 180s)"},
			&cli.DurationFlag{Name: flgFlushInterval, Value: store.DefaultFlushInterval, Category: catStore, Usage: "a received frame is durable within `DURATION`"},
			&cli.Int64Flag{Name: flgMaxFrame, Value: recorder.DefaultMaxFrame, Category: catConnect, Usage: "largest frame to accept, in `BYTES`"},
			&cli.BoolFlag{Name: flgInsecure, Category: catConnect, Usage: "do not verify TLS certificates, and let an https --api-url hand out a cleartext ws:// WebSocket URL (self-hosted test deployments only)"},
			&cli.StringFlag{Name: flgCAFile, Category: catConnect, Usage: "trust the PEM certificates in `FILE` besides the system's"},
			metricsListenFlag(), metricsPasswordFileFlag(),
		}, append(append(append(uiFlags(), recordNATSFlags()...), leaseFlags()...), discoverFlags()...)...),
		OnUsageError: onUsageError,
		Action:       runRecord,
	}
}

func runRecord(c *cli.Context) error {
	logger, err := newLogger(c)
	if err != nil {
		return err
	}
	if c.Bool(flgDiscover) {
		return runDiscover(c, logger)
	}
	if err := checkLeaseFlags(c); err != nil { // record_leases.go
		return err
	}
	ids, err := recordMeetings(c)
	if err != nil {
		return err
	}
	base, err := recordOptions(c)
	if err != nil {
		return err
	}
	rs, err := openRecordStore(c, logger)
	if err != nil {
		return err
	}
	db, mon := rs.db, rs.mon
	mon.serve(db)
	logger.Info("recording", "db", c.String(flgDB), "meetings", len(ids))
	if p, ok := gcPercent(len(ids), os.Getenv("GOGC")); ok {
		debug.SetGCPercent(p)
		logger.Debug("collecting garbage sooner for many meetings", "gc_percent", p)
	}
	errs := make([]error, len(ids))
	var wg sync.WaitGroup
	for i, id := range ids {
		opts := base
		opts.ConfID = id
		opts.Logger = logger
		opts.Observer = mon.observer()
		wg.Go(func() {
			defer mon.recording()()
			errs[i] = hint(recordMeeting(c.Context, db, &opts))
			if errs[i] != nil && len(ids) > 1 {
				// The others go on: say so now, not only at exit.
				logger.Error("recording failed", "meeting", id, "err", errs[i])
			}
		})
	}
	wg.Wait()
	return rs.close(meetingsFailed(ids, errs))
}

// recordStore is what a record keeps open while it records: the database,
// its metrics and live page (when asked for) and the snapshot server for
// read commands.
type recordStore struct {
	db          *store.DB
	mon         *recordMetrics  // nil without --metrics-listen
	ui          *recordUI       // nil without --ui (record_ui.go)
	feed        *natsPublishing // nil without --nats (record_nats.go)
	stopServing func()
}

// openRecordStore starts the metrics (record_metrics.go), opens the
// database for writing with the metrics' commit hook and serves snapshots
// of it. The caller starts serving the metrics once it has its readiness
// checks (mon.serve), and ends with close.
func openRecordStore(c *cli.Context, logger *slog.Logger) (*recordStore, error) {
	mon, err := startMetrics(c, logger)
	if err != nil {
		return nil, err
	}
	ui, err := startUI(c, logger)
	if err != nil {
		mon.stop()
		return nil, err
	}
	feed, err := connectPublishing(c, logger) // record_nats.go
	if err != nil {
		ui.stop()
		mon.stop()
		return nil, err
	}
	db, err := store.Open(c.String(flgDB), feed.storeOptions(mon.storeOptions(&store.Options{FlushInterval: c.Duration(flgFlushInterval), Logger: logger})))
	if err == nil {
		err = feed.start(c, db)
	}
	if err != nil {
		if db != nil {
			db.Close()
		}
		feed.stop()
		ui.stop()
		mon.stop()
		return nil, err
	}
	ui.serve(db)
	return &recordStore{db: db, mon: mon, ui: ui, feed: feed, stopServing: serveSnapshots(c, db, logger)}, nil
}

// close stops the live page and serving snapshots, closes the database,
// then the metrics,
// and returns err, the recording's, or else the database's close error
// (which holds the writer's error too, which a recording already
// reported).
func (rs *recordStore) close(err error) error {
	rs.feed.stop()
	rs.ui.stop()
	rs.stopServing()
	if cerr := rs.db.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("close store: %w", cerr)
	}
	rs.mon.stop()
	return err
}

// meetingsFailed returns the errors of the meetings ids that failed (errs
// holds one per meeting, nil for a success) joined, headed with how many
// and which of them when several were recorded; nil when none failed.
func meetingsFailed(ids []string, errs []error) error {
	var failed []string
	for i, err := range errs {
		if err != nil {
			failed = append(failed, ids[i])
		}
	}
	err := errors.Join(errs...)
	if err == nil || len(ids) == 1 {
		return err
	}
	return fmt.Errorf("%d of %d meetings failed (%s): %w", len(failed), len(ids), strings.Join(failed, ", "), err)
}

// manyMeetings is how many meetings make record collect garbage sooner (see
// gcPercent).
const manyMeetings = 100

// manyMeetingsGCPercent is the garbage collector's GOGC for many meetings.
const manyMeetingsGCPercent = 25

// gcPercent returns the GOGC to set for recording n meetings, and false to
// keep Go's (the user's $GOGC, given as env, always wins). Each idle
// meeting holds some heap (its connection's buffers, its timers, its tokens
// and redactor, the store's metadata), and with Go's default, 100, the heap
// grows to twice what is live between collections. With many meetings
// memory is what runs out first, and at rest little is allocated
// (heartbeats and their echoes), so collecting when the heap has grown by a
// quarter costs little CPU; under a flood of frames the collector runs more
// often. The README's Performance section (case 4) has the figures.
func gcPercent(n int, env string) (int, bool) {
	if n < manyMeetings || env != "" {
		return 0, false
	}
	return manyMeetingsGCPercent, true
}

// recordMeeting records one meeting and logs how its recording ended. Its
// frame stays under the read loop of the meeting for as long as it is
// recorded (see recorder.Record): the logging is in a function of its own.
func recordMeeting(ctx context.Context, db *store.DB, opts *recorder.Options) error {
	res, err := recorder.Record(ctx, db, *opts)
	if err != nil {
		return err // already names the meeting
	}
	logEnded(opts.Logger, opts.ConfID, res)
	return nil
}

//go:noinline
func logEnded(logger *slog.Logger, id string, res recorder.Result) {
	logger.Info("recording ended", "meeting", id, "how", res.Ended, "sessions", res.Sessions)
}

// serveSnapshots lets other processes read db while this one holds it
// locked: on the database's socket it answers the read commands (meetings,
// info, export, replay, verify, seal) as queries run on db (query.go), and
// serves consistent copies to backup, until the returned stop is called,
// which waits for the server to end. Recording goes on without it if it
// cannot listen.
func serveSnapshots(c *cli.Context, db *store.DB, logger *slog.Logger) (stop func()) {
	srv, err := store.ListenSnapshotSocket(db, logger)
	if err != nil {
		logger.Warn("read commands cannot read this database until the recording ends", "err", err)
		return func() {}
	}
	qs := newQueryServer(db, logger)
	srv.Handle(queryVerb, qs.handle)
	logger.Debug("answering read commands", "socket", srv.Path())
	// Not c.Context: reads keep working while a signal's shutdown drains.
	ctx, cancel := context.WithCancel(context.WithoutCancel(c.Context))
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := srv.Serve(ctx); err != nil {
			logger.Warn("snapshot server stopped", "err", err)
		}
	})
	return func() {
		// Followers read the last commits and end; other queries get a
		// moment to finish.
		qs.drain(queryDrainGrace)
		cancel()
		wg.Wait()
	}
}

// queryDrainGrace is how long a recorder that stops waits for the queries
// it answers to end before it cuts them off.
const queryDrainGrace = 5 * time.Second

// recordMeetings returns the meetings to record: the --conf-id values, or
// the confID of --ws-url.
func recordMeetings(c *cli.Context) ([]string, error) {
	ids := c.StringSlice(flgConfID)
	if wsURL := c.String(flgWSURL); wsURL != "" {
		if len(ids) > 1 {
			return nil, usagef("--%s connects to one meeting: give at most one --%s", flgWSURL, flgConfID)
		}
		id, err := confIDFromURL(wsURL)
		if err != nil {
			return nil, err
		}
		if len(ids) == 1 && ids[0] != id {
			return nil, usagef("--%s %q does not match the confID in --%s", flgConfID, ids[0], flgWSURL)
		}
		ids = []string{id}
	}
	if len(ids) == 0 {
		return nil, usagef("record needs --%s ID (or --%s URL)", flgConfID, flgWSURL)
	}
	for i, id := range ids {
		if err := store.ValidateMeetingID(id); err != nil {
			return nil, usagef("--%s: %v", flgConfID, err)
		}
		if slices.Contains(ids[:i], id) {
			// Two connections would interleave one meeting's frames.
			return nil, usagef("--%s %s is given twice: give each meeting once", flgConfID, id)
		}
	}
	return ids, nil
}

// recordOptions turns record's flags into recorder options shared by every meeting.
func recordOptions(c *cli.Context) (recorder.Options, error) {
	o, err := connectOptions(c)
	if err != nil {
		return o, err
	}
	o.WSURL = c.String(flgWSURL)
	o.WaitStart = c.Bool(flgWait)
	if o.WSURL != "" {
		if o.WaitStart {
			return o, usagef("--%s needs the token flow: it cannot wait with --%s", flgWait, flgWSURL)
		}
		tok, err := readSecretFile(c.String(flgConfTokenFile), envConfToken)
		if err != nil {
			return o, err
		}
		o.ConfToken = tok
		return o, nil
	}
	o.Password, err = readPassword(c)
	return o, err
}

// connectOptions turns record's connection flags into recorder options
// without a meeting or its credentials.
func connectOptions(c *cli.Context) (recorder.Options, error) {
	o := recorder.Options{
		APIURL:    c.String(flgAPIURL),
		Subscribe: splitList(c.String(flgSubscribe)),
		Heartbeat: c.Duration(flgHeartbeat),
		MaxFrame:  c.Int64(flgMaxFrame),

		AllowCleartext: c.Bool(flgInsecure),
	}
	if o.Heartbeat <= 0 {
		return o, usagef("--%s must be positive", flgHeartbeat)
	}
	if c.Duration(flgFlushInterval) <= 0 {
		return o, usagef("--%s must be positive", flgFlushInterval)
	}
	if o.MaxFrame <= 0 {
		return o, usagef("--%s must be positive", flgMaxFrame)
	}
	if c.String(flgWSURL) == "" {
		if u, err := url.ParseRequestURI(o.APIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return o, usagef("--%s %q: give an http:// or https:// URL", flgAPIURL, o.APIURL)
		}
	}
	client, err := httpClient(c.Bool(flgInsecure), c.String(flgCAFile))
	if err != nil {
		return o, err
	}
	o.HTTPClient = client
	return o, nil
}

// readPassword returns the host password from --password-file or the environment.
func readPassword(c *cli.Context) (confctl.Secret, error) {
	pw, err := readSecretFile(c.String(flgPasswordFile), envPassword)
	if err == nil && pw == "" {
		err = usagef("the token flow needs the host password: give --%s FILE or set $%s (or use --%s)", flgPasswordFile, envPassword, flgWSURL)
	}
	return pw, err
}

// readSecretFile reads a secret from the file at path (its trailing newline
// removed) or, when path is empty, from the environment variable env.
func readSecretFile(path, env string) (confctl.Secret, error) {
	if path == "" {
		return confctl.Secret(os.Getenv(env)), nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read secret file: %w", err)
	}
	pw := strings.TrimRight(string(b), "\r\n")
	if pw == "" {
		return "", usagef("%s is empty: put the secret in it", path)
	}
	return confctl.Secret(pw), nil
}

// confIDFromURL reads the confID query parameter of a connect URL.
func confIDFromURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "ws" && u.Scheme != "wss") {
		return "", usagef("--%s: not a ws:// or wss:// URL", flgWSURL)
	}
	q := u.Query()
	if q.Get("confID") == "" || q.Get("tmpToken") == "" {
		return "", usagef("--%s must carry confID and tmpToken query parameters", flgWSURL)
	}
	return q.Get("confID"), nil
}

// httpClient returns the client for REST and WebSocket dials: TLS verified
// unless insecure, trusting caFile's certificates besides the system's.
func httpClient(insecure bool, caFile string) (*http.Client, error) {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	if insecure {
		t.TLSClientConfig.InsecureSkipVerify = true
	}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("read --%s: %w", flgCAFile, err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, usagef("--%s %s holds no PEM certificate", flgCAFile, caFile)
		}
		t.TLSClientConfig.RootCAs = pool
	}
	return &http.Client{Transport: t, Timeout: 0}, nil
}
