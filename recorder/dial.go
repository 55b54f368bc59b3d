package recorder

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/confrec/confrec/confctl"
)

// dialTimeout bounds one WebSocket handshake.
const dialTimeout = 30 * time.Second

// link is an open WebSocket connection and what the session records about it.
type link struct {
	ws         *websocket.Conn
	url        string // connect URL, redacted
	remoteAddr string
	extensions []string
	confToken  confctl.Secret // sent in Subscribe
}

// dialError is a failed WebSocket handshake. status is the HTTP status of the
// server's answer, 0 when there was none (a network error).
type dialError struct {
	status int
	err    error // redacted
}

func (e *dialError) Error() string {
	if e.status != 0 {
		return fmt.Sprintf("dial WebSocket: HTTP %d: %v", e.status, e.err)
	}
	return fmt.Sprintf("dial WebSocket: %v", e.err)
}

func (e *dialError) Unwrap() error { return e.err }

// connect opens one connection: in direct mode to Options.WSURL, in the
// token flow after getting (or keeping alive) the control token and a fresh
// single-use WebSocket token.
func (r *recorder) connect(ctx context.Context) (*link, error) {
	if r.o.direct() {
		l, err := r.dial(ctx, r.o.WSURL, r.o.ConfToken)
		var de *dialError
		if errors.As(err, &de) && (de.status == http.StatusUnauthorized || de.status == http.StatusForbidden) {
			return nil, fmt.Errorf("%w: %w", ErrTmpTokenRefused, err)
		}
		return l, err
	}
	t, err := r.tokens.renew(ctx)
	if err != nil {
		return nil, err
	}
	if err := r.checkWSURL(t.WSURL); err != nil {
		return nil, err
	}
	tmp, err := r.tokens.wsToken(ctx, t.Token)
	if err != nil {
		return nil, fmt.Errorf("get WebSocket token: %w", err)
	}
	r.red.Add(tmp.Reveal())
	return r.dial(ctx, confctl.ConnectURL(t.WSURL, r.o.ConfID, tmp), t.Token)
}

// checkWSURL checks the token API's wsURL before any token is sent to it:
// it must be a ws, wss, http or https URL, and not cleartext when the API is
// https unless Options.AllowCleartext. A server on another host than the
// API is normal (the service's examples connect to a bare IP): it is logged
// at info, host only, when the server changes, as is an allowed downgrade
// at warn.
//
//go:noinline
func (r *recorder) checkWSURL(wsURL string) error {
	if wsURL == "" {
		return fmt.Errorf("get control token: %w: no wsURL", confctl.ErrInvalidResponse)
	}
	u, err := url.Parse(wsURL)
	if err != nil || u.Host == "" {
		// url.Parse quotes the URL: never wrap err.
		return fmt.Errorf("get control token: %w: wsURL is not a URL with a host", confctl.ErrInvalidResponse)
	}
	host := r.red.RedactString(u.Host)
	var cleartext bool
	switch u.Scheme {
	case "ws", "http":
		cleartext = true
	case "wss", "https":
	default:
		return fmt.Errorf("get control token: %w: wsURL scheme %q is not ws or wss", confctl.ErrInvalidResponse, r.red.RedactString(u.Scheme))
	}
	api, err := url.Parse(r.o.APIURL)
	if err != nil {
		return fmt.Errorf("%w: API URL does not parse", ErrInvalidOptions)
	}
	downgrade := cleartext && api.Scheme == "https"
	if downgrade && !r.o.AllowCleartext {
		return fmt.Errorf("get control token: wsURL %s://%s: %w", u.Scheme, host, ErrDowngrade)
	}
	if server := u.Scheme + "://" + host; server != r.wsServer {
		r.wsServer = server
		if downgrade {
			r.log.Warn("connecting in cleartext: the https token API handed out a ws:// URL", "meeting", r.o.ConfID, "ws_host", host)
		}
		if hostPort(u) != hostPort(api) {
			r.log.Info("the WebSocket server is not the token API's host", "meeting", r.o.ConfID, "ws_host", host, "api_host", api.Host)
		}
	}
	return nil
}

// hostPort returns u's host and port, the scheme's default port when it
// has none.
func hostPort(u *url.URL) string {
	if p := u.Port(); p != "" {
		return net.JoinHostPort(u.Hostname(), p)
	}
	switch u.Scheme {
	case "https", "wss":
		return net.JoinHostPort(u.Hostname(), "443")
	}
	return net.JoinHostPort(u.Hostname(), "80")
}

// dial performs the WebSocket handshake on rawURL without compression and
// sets the read limit. Its errors are *dialError with redacted text.
func (r *recorder) dial(ctx context.Context, rawURL string, confToken confctl.Secret) (*link, error) {
	var (
		mu     sync.Mutex
		remote string
	)
	trace := &httptrace.ClientTrace{
		GotConn: func(info httptrace.GotConnInfo) {
			if info.Conn == nil {
				return
			}
			mu.Lock()
			remote = info.Conn.RemoteAddr().String()
			mu.Unlock()
		},
	}
	dctx, cancel := context.WithTimeout(httptrace.WithClientTrace(ctx, trace), dialTimeout)
	defer cancel()
	ws, resp, err := websocket.Dial(dctx, rawURL, &websocket.DialOptions{
		HTTPClient:      r.o.HTTPClient,
		CompressionMode: websocket.CompressionDisabled,
	})
	if err != nil {
		de := &dialError{err: r.red.Err(err)}
		if resp != nil {
			de.status = resp.StatusCode
		}
		return nil, de
	}
	ws.SetReadLimit(r.o.MaxFrame)
	l := &link{ws: ws, url: r.red.RedactURL(rawURL), confToken: confToken}
	mu.Lock()
	l.remoteAddr = remote
	mu.Unlock()
	for _, v := range resp.Header.Values("Sec-WebSocket-Extensions") {
		for e := range strings.SplitSeq(v, ",") {
			if e = strings.TrimSpace(e); e != "" {
				l.extensions = append(l.extensions, e)
			}
		}
	}
	return l, nil
}
