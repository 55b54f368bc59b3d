package standin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/confrec/confrec/confctl"
)

// Defaults for ServerOptions.
const (
	DefaultAddr                = "127.0.0.1:0"
	DefaultTokenLifetime       = confctl.DefaultTokenLifetime
	DefaultWSTokenLifetime     = time.Minute
	DefaultHeartbeatTimeout    = 180 * time.Second
	DefaultAccessTokenLifetime = 12 * time.Hour
)

// maxMessageBytes is the read limit on client messages.
const maxMessageBytes = 64 << 20

// ServerOptions configure NewServer and Serve. A nil *ServerOptions means
// the defaults; the caller's value is never changed.
type ServerOptions struct {
	// Addr is the TCP address to listen on. Empty means DefaultAddr
	// (loopback, a free port).
	Addr string
	// Speed divides the recorded spacing of the steps: 1 plays in real
	// time, 10 ten times faster. 0 plays every step as fast as possible.
	// Negative or NaN is an error (ErrInvalidSpeed).
	Speed float64
	// Password is the host password CreateConfToken requires in
	// X-Password. Empty means any password (or none) is accepted. In a
	// schedule, a meeting's own Scheduled.Password takes its place.
	Password confctl.Secret
	// TokenLifetime is how long a meeting-control token stays valid after
	// it is issued or kept alive. <=0 means DefaultTokenLifetime.
	TokenLifetime time.Duration
	// WSTokenLifetime is how long a WebSocket token (webSocketToken or
	// tmpWsToken) may wait before it is used. <=0 means
	// DefaultWSTokenLifetime.
	WSTokenLifetime time.Duration
	// HeartbeatTimeout is how long a connection may go without a HeartBeat
	// request before the server closes it (1008 "heartbeat timeout"). The
	// clock starts when the connection is accepted. <=0 means
	// DefaultHeartbeatTimeout.
	HeartbeatTimeout time.Duration
	// Logger receives key/value logs of connections and requests; tokens
	// and passwords are never logged. nil discards them.
	Logger *slog.Logger

	// AppID and AppKey are the App ID and App Key of the enterprise's
	// application. With an AppKey the Server also serves the management
	// APIs: App ID authentication, the online meetings and one meeting's
	// details (see Server). Empty AppKey: they are not served (404). An
	// AppKey needs an AppID (ErrNoAppID).
	AppID  string
	AppKey confctl.Secret
	// AccessTokenLifetime is how long an access token of App ID
	// authentication stays valid. <=0 means DefaultAccessTokenLifetime.
	AccessTokenLifetime time.Duration

	// WebhookURL is where the Server POSTs signed enterprise webhook
	// callbacks: meeting.verify once at its start, meeting.started and
	// meeting.end at each meeting's start and end. Empty: none. It must be
	// an http:// or https:// URL (ErrInvalidWebhook) and needs AppKey, which
	// signs the callbacks (ErrNoAppID without AppID).
	WebhookURL string
	// WebhookLoss is the share of callbacks not sent, 0 to 1; WebhookRepeat
	// the share of those sent that are sent twice (same body, same nonce).
	// Outside 0..1 (or NaN) is ErrInvalidWebhook.
	WebhookLoss, WebhookRepeat float64
	// WebhookSeed seeds the draws of WebhookLoss and WebhookRepeat, so that
	// a run can be repeated. 0 means a random seed.
	WebhookSeed int64
}

// withDefaults returns a copy of o with defaults filled in, or an error for
// an invalid field.
func (o *ServerOptions) withDefaults() (ServerOptions, error) {
	var c ServerOptions
	if o != nil {
		c = *o
	}
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	if math.IsNaN(c.Speed) || c.Speed < 0 {
		return c, fmt.Errorf("%w: %v", ErrInvalidSpeed, c.Speed)
	}
	if c.TokenLifetime <= 0 {
		c.TokenLifetime = DefaultTokenLifetime
	}
	if c.WSTokenLifetime <= 0 {
		c.WSTokenLifetime = DefaultWSTokenLifetime
	}
	if c.HeartbeatTimeout <= 0 {
		c.HeartbeatTimeout = DefaultHeartbeatTimeout
	}
	if c.AccessTokenLifetime <= 0 {
		c.AccessTokenLifetime = DefaultAccessTokenLifetime
	}
	if c.AppKey != "" && c.AppID == "" {
		return c, ErrNoAppID
	}
	if err := c.checkWebhook(); err != nil {
		return c, err
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

// Server is a running stand-in for the meeting service that plays one
// Script per meeting. It answers on one plain-HTTP listener, for every
// meeting it plays (the conferenceID or confID of a request picks the
// Script):
//
//   - GET confctl.ConfTokenPath (CreateConfToken): checks X-Password
//     against the meeting's host password and returns a meeting-control
//     token whose wsURL points back at the server ("ws://HOST:PORT"). Sent
//     with X-Conference-Authorization, it keeps that token alive instead.
//   - GET (or PUT) confctl.WSTokenPath (CreateWebSocketToken): returns a
//     single-use WebSocket token for a valid meeting-control token.
//   - confctl.ConnectPath?confID=..&tmpToken=..: the push channel. The
//     tmpToken (from CreateWebSocketToken, or the tmpWsToken of
//     CreateConfToken) is checked before the upgrade and consumed.
//
// With ServerOptions.AppKey it also answers the management APIs, which
// ask for no meeting password:
//
//   - POST confctl.AppAuthPath (App ID authentication): checks the
//     signature of the Authorization header against the App Key, the App
//     ID and a nonce of 32 to 64 characters never used before, and returns
//     an access token living ServerOptions.AccessTokenLifetime. A refusal
//     is HTTP 401 with an error body.
//   - GET confctl.OnlineMeetingsPath (offset, limit: default 20, at most
//     500) with X-Access-Token: the meetings running at that moment,
//     ordered by start and conference ID, each with state "Created", its
//     subject, organizer, cloud meeting room and start time, and its host
//     password as the "chair" passwordEntry only if Scheduled.PasswordListed.
//   - GET confctl.OnlineConfDetailPath?conferenceID=: one running meeting,
//     the same way (400, meeting not running, for any other).
//
// An unknown or expired access token is HTTP 401; SetManagementDown makes
// all three answer 503.
//
// On the push channel the Server answers Subscribe, HeartBeat and
// ConfControl requests live (replies found in a recording or scenario are
// never played), and once the client has subscribed it plays the steps,
// step i at t0 + Offset/Speed. For a Server of NewServer t0 is when the
// playback's first connection was accepted; for one of NewScheduleServer
// it is the meeting's start, whenever the client connects. Steps already
// due are sent at once, in order. When the steps run out without a close,
// it closes with 1000 "meeting ended".
//
// A playback is one meeting-control token and its keep-alives. Every
// CreateConfToken without X-Conference-Authorization starts a new playback
// from the first step; a client that reconnects with tokens derived from
// the same meeting-control token resumes where its previous connection
// stopped, with no step repeated or skipped. Only one connection plays a
// playback at a time: a new one takes over and the old one is closed
// (1001 "replaced by a new connection"). Once a playback has ended (its
// last step played and the connection closed or dropped) CreateConfToken
// keep-alives and CreateWebSocketToken for its token answer 400 with
// confctl.MeetingNotRunningCode, as the service does after a meeting. A
// StepClose in the middle of a Script closes the connection without
// ending the playback: the client may reconnect and resume.
//
// A meeting of a schedule runs from its start until its last step is due.
// Before and after, the token calls and the push channel answer 400 with
// confctl.MeetingNotRunningCode for it, as for a meeting the Server does
// not play; a connection already open plays on to the end. A meeting of
// NewServer runs as long as the Server.
//
// The service's close codes are undocumented; the Server uses 1000
// "meeting ended", 1008 "heartbeat timeout", 1008 "subscribe refused" and
// 1001 on takeover or Close. Error bodies other than the documented
// password error and "meeting not running" use the stand-in's own codes
// (MMC.111071001, HTTP 401, for a bad or expired token). A client that
// stops reading for 10 seconds while a message is being written to it
// loses its connection (no close frame). permessage-deflate is negotiated
// only when a client offers it.
type Server struct {
	// URL is the server's base URL, "http://HOST:PORT": use it as the
	// REST base URL (confctl.Client.BaseURL). The wsURL it hands out is
	// "ws://" followed by the host the client asked for.
	URL string

	meetings map[string]*meeting // by conference ID
	order    []*meeting          // by start, then conference ID
	schedule bool                // t0 is the meeting's start
	started  time.Time           // when the Server started
	opts     ServerOptions
	log      *slog.Logger
	ln       net.Listener
	hs       *http.Server
	hook     *webhook // nil without ServerOptions.WebhookURL

	ctx    context.Context // cancelled by Close: ends every session
	cancel context.CancelFunc

	serveDone chan struct{}  // closed when hs.Serve has returned
	schedDone chan struct{}  // closed when runSchedule has returned; nil if none runs
	wg        sync.WaitGroup // HTTP connections and WebSocket handlers
	closeOnce sync.Once

	managementDown atomic.Bool // SetManagementDown

	mu           sync.Mutex
	closed       bool
	playbacks    map[string]*playback // by meeting-control token
	wsTokens     map[string]wsToken   // by WebSocket token
	lastID       int                  // of the last playback
	accessTokens map[string]time.Time // expiry by access token
	nonces       map[string]struct{}  // of App ID authentications
}

// meeting is one meeting a Server plays, with its schedule. It never
// changes once the Server has started.
type meeting struct {
	script   *Script
	start    time.Time      // when it starts running
	end      time.Time      // when it stops running; zero: never
	password confctl.Secret // host password; empty: any
	confUUID string

	// What the management APIs show.
	subject   string
	organizer string
	vmrID     string
	listed    bool // passwordEntry holds the chair password
}

// running reports whether the meeting runs at now.
func (m *meeting) running(now time.Time) bool {
	return !now.Before(m.start) && (m.end.IsZero() || !now.After(m.end))
}

// connKey is the request context key holding the request's net.Conn.
type connKey struct{}

// NewServer starts a Server playing scripts, one meeting each, listening on
// opts.Addr. It serves at once, in goroutines owned by the Server; call
// Close to stop it. Every meeting runs as long as the Server, and each
// playback starts with its first connection.
func NewServer(scripts []*Script, opts *ServerOptions) (*Server, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("new replay server: %w", err)
	}
	if len(scripts) == 0 {
		return nil, fmt.Errorf("new replay server: %w", ErrNoScript)
	}
	now := time.Now()
	ms := make([]*meeting, 0, len(scripts))
	for _, s := range scripts {
		if s == nil {
			return nil, fmt.Errorf("new replay server: %w", ErrNoScript)
		}
		ms = append(ms, &meeting{script: s, start: now, password: o.Password, confUUID: newUUID()})
	}
	return newServer(ms, false, now, o)
}

// newServer starts a Server playing meetings, which started at started.
func newServer(ms []*meeting, schedule bool, started time.Time, o ServerOptions) (*Server, error) {
	byID := make(map[string]*meeting, len(ms))
	steps := 0
	for _, m := range ms {
		switch id := m.script.ConfID; {
		case id == "":
			return nil, fmt.Errorf("new replay server: %w", ErrNoConfID)
		case byID[id] != nil:
			return nil, fmt.Errorf("new replay server: %w: %s", ErrDuplicateConfID, id)
		}
		byID[m.script.ConfID] = m
		steps += len(m.script.Steps)
	}
	order := slices.Clone(ms)
	slices.SortFunc(order, func(a, b *meeting) int {
		if c := a.start.Compare(b.start); c != 0 {
			return c
		}
		return strings.Compare(a.script.ConfID, b.script.ConfID)
	})
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", o.Addr, err)
	}
	srv := &Server{
		URL:          "http://" + ln.Addr().String(),
		meetings:     byID,
		order:        order,
		schedule:     schedule,
		started:      started,
		opts:         o,
		log:          o.Logger,
		ln:           ln,
		hook:         newWebhook(o),
		serveDone:    make(chan struct{}),
		playbacks:    make(map[string]*playback),
		wsTokens:     make(map[string]wsToken),
		accessTokens: make(map[string]time.Time),
		nonces:       make(map[string]struct{}),
	}
	srv.ctx, srv.cancel = context.WithCancel(context.Background())

	mux := http.NewServeMux()
	mux.HandleFunc("GET "+confctl.ConfTokenPath, srv.handleConfToken)
	mux.HandleFunc("GET "+confctl.WSTokenPath, srv.handleWSToken)
	// The official request example for CreateWebSocketToken uses PUT.
	mux.HandleFunc("PUT "+confctl.WSTokenPath, srv.handleWSToken)
	mux.HandleFunc(confctl.ConnectPath, srv.handleConnect)
	if o.AppKey != "" {
		mux.HandleFunc("POST "+confctl.AppAuthPath, srv.handleAppAuth)
		mux.HandleFunc("GET "+confctl.OnlineMeetingsPath, srv.handleOnlineMeetings)
		mux.HandleFunc("GET "+confctl.OnlineConfDetailPath, srv.handleOnlineConfDetail)
	}
	srv.hs = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(o.Logger.Handler(), slog.LevelDebug),
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			return context.WithValue(ctx, connKey{}, c)
		},
		ConnState: func(_ net.Conn, st http.ConnState) {
			switch st {
			case http.StateNew:
				srv.wg.Add(1)
			case http.StateHijacked, http.StateClosed:
				srv.wg.Done()
			}
		},
	}
	srv.log.Info("replay server listening", "url", srv.URL, "meetings", len(byID),
		"steps", steps, "speed", o.Speed, "schedule", schedule, "management", o.AppKey != "")
	go func() {
		defer close(srv.serveDone)
		if err := srv.hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			srv.log.Error("replay server stopped", "err", err)
		}
	}()
	if evs := srv.events(); len(evs) > 0 {
		srv.schedDone = make(chan struct{})
		go srv.runSchedule(evs)
	}
	return srv, nil
}

// Addr returns the address the server listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Close stops accepting connections, closes every live WebSocket
// connection (1001 "server closed", waiting for the client's close frame
// at most a few seconds) and every HTTP connection, abandons the webhook
// callbacks not yet sent (and the one being sent), and returns once all of
// the Server's goroutines have exited. Additional calls do nothing.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		s.cancel()
		_ = s.hs.Close() // only the listener's close error; nothing to do about it
		<-s.serveDone
		s.wg.Wait()
		if s.schedDone != nil {
			<-s.schedDone
		}
		if s.hook != nil {
			s.hook.close()
		}
		s.log.Info("replay server closed", "url", s.URL)
	})
}

// Serve runs a Server playing scripts until ctx is done, then closes it and
// returns nil. ready, if not nil, is called with Server.URL as soon as the
// server accepts connections (a CLI prints it there). It returns NewServer's
// error if the server cannot start.
func Serve(ctx context.Context, scripts []*Script, opts *ServerOptions, ready func(url string)) error {
	srv, err := NewServer(scripts, opts)
	if err != nil {
		return err
	}
	return srv.serveUntil(ctx, ready)
}

// serveUntil calls ready, waits for ctx and closes s.
func (s *Server) serveUntil(ctx context.Context, ready func(url string)) error {
	defer s.Close()
	if ready != nil {
		ready(s.URL)
	}
	<-ctx.Done()
	return nil
}
