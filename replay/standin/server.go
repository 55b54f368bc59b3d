package standin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/confrec/confrec/confctl"
)

// Defaults for ServerOptions.
const (
	DefaultAddr             = "127.0.0.1:0"
	DefaultTokenLifetime    = confctl.DefaultTokenLifetime
	DefaultWSTokenLifetime  = time.Minute
	DefaultHeartbeatTimeout = 180 * time.Second
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
	// X-Password. Empty means any password (or none) is accepted.
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
//     against ServerOptions.Password and returns a meeting-control token
//     whose wsURL points back at the server ("ws://HOST:PORT"). Sent with
//     X-Conference-Authorization, it keeps that token alive instead.
//   - GET (or PUT) confctl.WSTokenPath (CreateWebSocketToken): returns a
//     single-use WebSocket token for a valid meeting-control token.
//   - confctl.ConnectPath?confID=..&tmpToken=..: the push channel. The
//     tmpToken (from CreateWebSocketToken, or the tmpWsToken of
//     CreateConfToken) is checked before the upgrade and consumed.
//
// On the push channel the Server answers Subscribe, HeartBeat and
// ConfControl requests live (replies found in a recording or scenario are
// never played), and once the client has subscribed it plays the steps,
// step i at t0 + Offset/Speed where t0 is when the playback's first
// connection was accepted. Steps already due are sent at once, in order.
// When the steps run out without a close, it closes with 1000 "meeting
// ended".
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
// The service's close codes are undocumented; the Server uses 1000
// "meeting ended", 1008 "heartbeat timeout", 1008 "subscribe refused" and
// 1001 on takeover or Close. Error bodies other than the documented
// password error and "meeting not running" use the stand-in's own code
// MMC.111071001 (HTTP 401) for a bad or expired token. A client that stops
// reading for 10 seconds while a message is being written to it loses its
// connection (no close frame). permessage-deflate is negotiated only when
// a client offers it.
type Server struct {
	// URL is the server's base URL, "http://HOST:PORT": use it as the
	// REST base URL (confctl.Client.BaseURL). The wsURL it hands out is
	// "ws://" followed by the host the client asked for.
	URL string

	scripts map[string]*Script // by conference ID
	opts    ServerOptions
	log     *slog.Logger
	ln      net.Listener
	hs      *http.Server

	ctx    context.Context // cancelled by Close: ends every session
	cancel context.CancelFunc

	serveDone chan struct{}  // closed when hs.Serve has returned
	wg        sync.WaitGroup // HTTP connections and WebSocket handlers
	closeOnce sync.Once

	mu        sync.Mutex
	closed    bool
	playbacks map[string]*playback // by meeting-control token
	wsTokens  map[string]wsToken   // by WebSocket token
	lastID    int                  // of the last playback
}

// connKey is the request context key holding the request's net.Conn.
type connKey struct{}

// NewServer starts a Server playing scripts, one meeting each, listening on
// opts.Addr. It serves at once, in goroutines owned by the Server; call
// Close to stop it.
func NewServer(scripts []*Script, opts *ServerOptions) (*Server, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("new replay server: %w", err)
	}
	if len(scripts) == 0 {
		return nil, fmt.Errorf("new replay server: %w", ErrNoScript)
	}
	byID := make(map[string]*Script, len(scripts))
	steps := 0
	for _, s := range scripts {
		switch {
		case s == nil:
			return nil, fmt.Errorf("new replay server: %w", ErrNoScript)
		case s.ConfID == "":
			return nil, fmt.Errorf("new replay server: %w", ErrNoConfID)
		case byID[s.ConfID] != nil:
			return nil, fmt.Errorf("new replay server: %w: %s", ErrDuplicateConfID, s.ConfID)
		}
		byID[s.ConfID] = s
		steps += len(s.Steps)
	}
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", o.Addr, err)
	}
	srv := &Server{
		URL:       "http://" + ln.Addr().String(),
		scripts:   byID,
		opts:      o,
		log:       o.Logger,
		ln:        ln,
		serveDone: make(chan struct{}),
		playbacks: make(map[string]*playback),
		wsTokens:  make(map[string]wsToken),
	}
	srv.ctx, srv.cancel = context.WithCancel(context.Background())

	mux := http.NewServeMux()
	mux.HandleFunc("GET "+confctl.ConfTokenPath, srv.handleConfToken)
	mux.HandleFunc("GET "+confctl.WSTokenPath, srv.handleWSToken)
	// The official request example for CreateWebSocketToken uses PUT.
	mux.HandleFunc("PUT "+confctl.WSTokenPath, srv.handleWSToken)
	mux.HandleFunc(confctl.ConnectPath, srv.handleConnect)
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
		"steps", steps, "speed", o.Speed)
	go func() {
		defer close(srv.serveDone)
		if err := srv.hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			srv.log.Error("replay server stopped", "err", err)
		}
	}()
	return srv, nil
}

// Addr returns the address the server listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Close stops accepting connections, closes every live WebSocket
// connection (1001 "server closed", waiting for the client's close frame
// at most a few seconds) and every HTTP connection, and returns once all
// of the Server's goroutines have exited. Additional calls do nothing.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		s.cancel()
		_ = s.hs.Close() // only the listener's close error; nothing to do about it
		<-s.serveDone
		s.wg.Wait()
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
	defer srv.Close()
	if ready != nil {
		ready(srv.URL)
	}
	<-ctx.Done()
	return nil
}
