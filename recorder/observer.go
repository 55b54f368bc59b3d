package recorder

// Observer is told of a recording's events, for metrics. Its methods must
// return quickly and be safe for concurrent use: they are called from the
// goroutines of every meeting recorded, and from timer callbacks.
type Observer interface {
	// SessionStarted is called when a connection was established and its
	// store session begun.
	SessionStarted(confID string)
	// Reconnect is called when a new connection attempt starts after a
	// session ended or a connect failed (after the backoff's wait).
	Reconnect(confID string)
	// TokenFailure is called when a token API call failed, whatever the
	// cause (a meeting no longer running too, but not the recording being
	// stopped): api is "conf_token" (CreateConfToken or its keep-alive)
	// or "ws_token" (CreateWebSocketToken).
	TokenFailure(api string)
}

// The api names of Observer.TokenFailure.
const (
	APIConfToken = "conf_token"
	APIWSToken   = "ws_token"
)

// nopObserver is the Observer of Options without one.
type nopObserver struct{}

func (nopObserver) SessionStarted(string) {}
func (nopObserver) Reconnect(string)      {}
func (nopObserver) TokenFailure(string)   {}
