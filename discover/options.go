package discover

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"time"

	"github.com/confrec/confrec/confctl"
	"github.com/confrec/confrec/recorder"
)

// Defaults for Options.
const (
	DefaultPoll     = 30 * time.Second
	DefaultPageSize = confctl.MaxOnlinePage
	// CallbackMaxAge is how far a webhook callback's timestamp may be from
	// now: an older one is refused as stale.
	CallbackMaxAge = 5 * time.Minute
)

// ErrInvalidOptions is matched by New's error for incomplete or
// contradictory Options.
var ErrInvalidOptions = errors.New("invalid discovery options")

// ErrAppKeyRefused is matched by Run's error when the very first App ID
// authentication is refused (HTTP 401 or 403): the App ID or App Key is
// wrong, and nothing would ever be discovered.
var ErrAppKeyRefused = errors.New("the service refused the App ID or App Key: check --app-id and the App Key")

// Options configure a Discoverer. The zero value of every field means its
// documented default; New never changes the caller's value.
type Options struct {
	// APIURL is the REST base URL of the management and token APIs. Empty
	// means confctl.DefaultAPIURL.
	APIURL string
	// AppID and AppKey authenticate the enterprise's application; both
	// required. UserID is the user the access token acts for (empty: the
	// enterprise's default administrator).
	AppID  string
	AppKey confctl.Secret
	UserID string

	// Poll is the interval between two discovery polls of the online
	// list. Defaults to DefaultPoll; <=0 means the default.
	Poll time.Duration
	// PageSize is the limit of each online-list page, at most
	// confctl.MaxOnlinePage. <=0 means DefaultPageSize.
	PageSize int

	// Passwords is the operator's passwords file, consulted first for a
	// meeting's host password (and re-read at each poll); nil means none.
	Passwords *Passwords

	// Include and Exclude select meetings by subject and organizer: a
	// meeting is recorded when it matches every non-nil Include and no
	// non-nil Exclude.
	IncludeSubject, ExcludeSubject     *regexp.Regexp
	IncludeOrganizer, ExcludeOrganizer *regexp.Regexp

	// Record is the template of each meeting's recorder options: APIURL,
	// Password and ConfID are set per meeting; the rest (heartbeat, frame
	// limit, HTTP client, logger, observer) is used as given. Its
	// RequestTimeout (<=0: recorder.DefaultRequestTimeout) bounds each
	// management call too.
	Record recorder.Options

	// HTTPClient sends the management calls. Nil means Record.HTTPClient,
	// else http.DefaultClient.
	HTTPClient *http.Client
	// Logger receives the discovery's logs. Nil means Record.Logger, else
	// nothing. Logs never hold a secret.
	Logger *slog.Logger
	// Observer is told of polls, token failures and the number of
	// meetings recorded and unrecordable. Nil means nobody.
	Observer Observer

	// Claimer, when not nil, shares the meetings with other recorders:
	// a meeting is recorded only with its Claim, its recording stops when
	// the Claim is lost, and the Claim is released when it ends. Nil
	// means this recorder records every meeting.
	Claimer Claimer
}

// Observer is told of the discovery's events, for metrics. Its methods
// must return quickly and be safe for concurrent use.
type Observer interface {
	// DiscoveryPoll is called after each poll of the online list, with
	// its error (nil: every page was read).
	DiscoveryPoll(err error)
	// TokenFailure is called when a management call fails: api is
	// "app_auth", "online_list" or "conf_detail".
	TokenFailure(api string)
	// SetRecording and SetUnrecordable report how many meetings are
	// being recorded and how many are running but cannot be recorded.
	SetRecording(n int)
	SetUnrecordable(n int)
}

// NopObserver is an Observer that does nothing: what a nil
// Options.Observer means.
type NopObserver struct{}

func (NopObserver) DiscoveryPoll(error) {}
func (NopObserver) TokenFailure(string) {}
func (NopObserver) SetRecording(int)    {}
func (NopObserver) SetUnrecordable(int) {}

// withDefaults returns a copy of o with defaults filled in, or an error
// wrapping ErrInvalidOptions.
func (o *Options) withDefaults() (Options, error) {
	c := *o
	if c.APIURL == "" {
		c.APIURL = confctl.DefaultAPIURL
	}
	if u, err := url.Parse(c.APIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Options{}, fmt.Errorf("%w: API URL %q is not an http or https URL", ErrInvalidOptions, c.APIURL)
	}
	if c.AppID == "" || c.AppKey == "" {
		return Options{}, fmt.Errorf("%w: an App ID and its App Key are required", ErrInvalidOptions)
	}
	if c.Poll <= 0 {
		c.Poll = DefaultPoll
	}
	if c.PageSize <= 0 || c.PageSize > confctl.MaxOnlinePage {
		c.PageSize = DefaultPageSize
	}
	if c.HTTPClient == nil {
		c.HTTPClient = c.Record.HTTPClient
	}
	if c.HTTPClient == nil {
		c.HTTPClient = http.DefaultClient
	}
	if c.Logger == nil {
		c.Logger = c.Record.Logger
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Observer == nil {
		c.Observer = NopObserver{}
	}
	if c.Record.RequestTimeout <= 0 {
		c.Record.RequestTimeout = recorder.DefaultRequestTimeout
	}
	c.Record.APIURL = c.APIURL
	if c.Record.HTTPClient == nil {
		c.Record.HTTPClient = c.HTTPClient
	}
	if c.Record.Logger == nil {
		c.Record.Logger = c.Logger
	}
	return c, nil
}
