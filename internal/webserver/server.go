package webserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// shutdownTimeout bounds how long Close waits for requests in flight.
const shutdownTimeout = 5 * time.Second

// Server serves a handler over HTTP on a TCP address, in the manner of
// httptest's unstarted server: Listen opens the listener, so that an
// address that cannot be used is reported at once; Start serves a handler
// on it in a goroutine of its own; Close stops it and waits for that
// goroutine. Close must be called, whether Start was or not.
type Server struct {
	ln  net.Listener
	srv *http.Server

	once    sync.Once
	started bool
	done    chan error // the Serve goroutine's result, when started
}

// Listen opens a TCP listener on addr (host:port; port 0 picks a free
// one). logger receives the HTTP server's own errors (a failed accept, a
// handler's panic) at warn level; nil discards them.
func Listen(addr string, logger *slog.Logger) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen for http: %w", err)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Server{ln: ln, srv: &http.Server{
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}, done: make(chan error, 1)}, nil
}

// Addr returns the address the server listens on, with the port chosen.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Start serves h on the listener until Close. It may be called once, and
// not after Close.
func (s *Server) Start(h http.Handler) {
	s.srv.Handler = h
	s.started = true
	go func() { s.done <- s.srv.Serve(s.ln) }()
}

// Close stops the server: it stops accepting, lets the requests in flight
// finish for up to a few seconds, closes their connections then, and waits
// for Start's goroutine. Additional calls return nil.
func (s *Server) Close() error {
	var err error
	s.once.Do(func() {
		if !s.started {
			err = s.ln.Close()
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		if serr := s.srv.Shutdown(ctx); serr != nil {
			s.srv.Close() // requests still running: cut them off
		}
		if serr := <-s.done; !errors.Is(serr, http.ErrServerClosed) {
			err = fmt.Errorf("serve http: %w", serr)
		}
	})
	return err
}
