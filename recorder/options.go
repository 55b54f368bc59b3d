package recorder

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/confrec/confrec/confctl"
	"github.com/confrec/confrec/store"
)

// Defaults for Options.
const (
	DefaultHeartbeat      = 60 * time.Second
	DefaultMaxFrame       = confctl.DefaultMaxFrame
	DefaultBackoffMin     = 500 * time.Millisecond
	DefaultBackoffMax     = 30 * time.Second
	DefaultDestroyedGrace = 10 * time.Second
	DefaultRequestTimeout = 30 * time.Second
)

// Options configure Record. The zero value of every field means its
// documented default; Record never changes the caller's value.
//
// Exactly one way to connect must be given: the token flow (Password, with
// APIURL) or direct mode (WSURL).
type Options struct {
	// ConfID is the meeting's conferenceID and the meeting ID in the store.
	// Required, except in direct mode when WSURL carries a confID query
	// parameter, which is then used.
	ConfID string

	// APIURL is the REST base URL of the token flow
	// (CreateConfToken and CreateWebSocketToken). Empty means
	// confctl.DefaultAPIURL. Ignored in direct mode.
	APIURL string
	// Password is the host password for CreateConfToken. It selects the
	// token flow and is required unless WSURL is set; the two are mutually
	// exclusive.
	Password confctl.Secret

	// WSURL selects direct mode: a complete connect URL holding confID and
	// tmpToken (as built by confctl.ConnectURL). Record makes exactly one
	// connection and no REST calls; when that connection drops before the
	// meeting ends, Record returns ErrCannotReconnect. Empty means the
	// token flow.
	WSURL string
	// ConfToken is the meeting-control token sent in Subscribe in direct
	// mode. Empty sends Subscribe with an empty token. Ignored in the
	// token flow, where the token comes from CreateConfToken.
	ConfToken confctl.Secret

	// Subscribe lists the notification kinds to subscribe to. Empty means
	// confctl.DefaultSubscribeTypes().
	Subscribe []string
	// Heartbeat is the interval between HeartBeat requests. A HeartBeat not
	// answered by the next one, with nothing else received meanwhile, marks
	// the connection half-open, and it is dropped. Defaults to DefaultHeartbeat (60s); <=0 means the default.
	Heartbeat time.Duration
	// MaxFrame is the largest message accepted, in bytes. A larger one ends
	// the connection (close 1009) with session reason "frame-too-large".
	// Defaults to DefaultMaxFrame (32 MiB); <=0 means the default.
	MaxFrame int64
	// Backoff bounds the wait before a reconnect or a retried token call:
	// capped exponential growth from Min to Max with full jitter above Min,
	// so there is never a busy loop. Min defaults to DefaultBackoffMin
	// (500ms) and Max to DefaultBackoffMax (30s); <=0 means the default,
	// and a Max below Min is raised to Min.
	Backoff struct {
		Min, Max time.Duration
	}
	// RequestTimeout bounds each token API call (CreateConfToken, its
	// keep-alive, CreateWebSocketToken): a call with no answer by then
	// fails and is retried like any temporary failure, so a stalled
	// service cannot hang the recording. Defaults to DefaultRequestTimeout
	// (30s); <=0 means the default.
	RequestTimeout time.Duration
	// AllowCleartext lets an https APIURL hand out a cleartext (ws:// or
	// http://) wsURL. Without it Record refuses such an answer with
	// ErrDowngrade: the connect URL's tmpToken and the control token in
	// Subscribe would travel unencrypted. An http APIURL is cleartext
	// already, and direct mode connects where it is told: neither is
	// checked.
	AllowCleartext bool
	// HTTPClient sends the REST calls and the WebSocket handshake; its
	// Transport's TLS configuration applies to both. Nil means
	// http.DefaultClient.
	HTTPClient *http.Client
	// Logger receives key/value logs of connects, retries and session ends.
	// Nil discards them. Logs never hold a secret.
	Logger *slog.Logger
	// Observer is told of sessions begun, reconnects and failed token
	// calls, for metrics. Nil means nobody is told.
	Observer Observer
	// DestroyedGrace is how long to wait for the server to close the socket
	// after ConfDynamicInfoNotify says the meeting is "Destroyed" before
	// closing it ourselves. Defaults to DefaultDestroyedGrace (10s); <=0
	// means the default.
	DestroyedGrace time.Duration

	// WaitStart makes Record wait for a meeting that is not running yet:
	// while the token service says it is not running and no session has
	// connected, Record asks again with the backoff's growing waits
	// instead of returning ErrNotRunning. Token flow only.
	WaitStart bool

	// minRenewGap is the shortest wait between two successful renewals of
	// the control token; <=0 means minRenewGap (10s). Only tests set it.
	minRenewGap time.Duration
}

// withDefaults returns a copy of o with defaults filled in, or an error
// wrapping ErrInvalidOptions.
func (o *Options) withDefaults() (Options, error) {
	c := *o
	c.Subscribe = append([]string(nil), o.Subscribe...)
	if len(c.Subscribe) == 0 {
		c.Subscribe = confctl.DefaultSubscribeTypes()
	}
	if c.APIURL == "" {
		c.APIURL = confctl.DefaultAPIURL
	}
	if c.Heartbeat <= 0 {
		c.Heartbeat = DefaultHeartbeat
	}
	if c.MaxFrame <= 0 {
		c.MaxFrame = DefaultMaxFrame
	}
	if c.Backoff.Min <= 0 {
		c.Backoff.Min = DefaultBackoffMin
	}
	if c.Backoff.Max <= 0 {
		c.Backoff.Max = DefaultBackoffMax
	}
	c.Backoff.Max = max(c.Backoff.Max, c.Backoff.Min)
	if c.minRenewGap <= 0 {
		c.minRenewGap = minRenewGap
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = DefaultRequestTimeout
	}
	if c.HTTPClient == nil {
		c.HTTPClient = http.DefaultClient
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.DestroyedGrace <= 0 {
		c.DestroyedGrace = DefaultDestroyedGrace
	}
	if c.Observer == nil {
		c.Observer = nopObserver{}
	}

	switch {
	case c.WSURL != "" && c.Password != "":
		return Options{}, fmt.Errorf("%w: give either a password (token flow) or a WebSocket URL (direct mode), not both", ErrInvalidOptions)
	case c.WSURL == "" && c.Password == "":
		return Options{}, fmt.Errorf("%w: a password (token flow) or a WebSocket URL (direct mode) is required", ErrInvalidOptions)
	}
	if c.WSURL != "" {
		u, err := url.Parse(c.WSURL)
		if err != nil {
			// url.Parse quotes the URL, tmpToken included: never wrap err.
			return Options{}, fmt.Errorf("%w: WebSocket URL does not parse", ErrInvalidOptions)
		}
		switch u.Scheme {
		case "ws", "wss", "http", "https":
		default:
			return Options{}, fmt.Errorf("%w: WebSocket URL scheme %q is not ws, wss, http or https", ErrInvalidOptions, u.Scheme)
		}
		if id := u.Query().Get("confID"); id != "" {
			if c.ConfID == "" {
				c.ConfID = id
			} else if c.ConfID != id {
				return Options{}, fmt.Errorf("%w: conference ID %q differs from the WebSocket URL's confID %q", ErrInvalidOptions, c.ConfID, id)
			}
		}
	} else if u, err := url.Parse(c.APIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Options{}, fmt.Errorf("%w: API URL %q is not an http or https URL", ErrInvalidOptions, c.APIURL)
	}
	if err := store.ValidateMeetingID(c.ConfID); err != nil {
		return Options{}, fmt.Errorf("%w: conference ID: %w", ErrInvalidOptions, err)
	}
	return c, nil
}

// direct reports whether the options select direct mode.
func (o *Options) direct() bool { return o.WSURL != "" }

// urlSecrets returns the values of the query parameters of a connect URL
// that are credentials.
func urlSecrets(raw string) []string {
	u, err := url.Parse(raw)
	if err != nil {
		return nil
	}
	var out []string
	for k, vs := range u.Query() {
		switch k {
		case "tmpToken", "token", "confToken", "webSocketToken":
			out = append(out, vs...)
		}
	}
	return out
}
