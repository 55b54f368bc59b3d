package recorder

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/confrec/confrec/confctl"
)

// backoff computes the waits between attempts: capped exponential growth
// from min to max with full jitter above min. The first wait after reset is
// min, so the loop is never busy. A backoff is owned by one goroutine.
type backoff struct {
	min, max time.Duration
	n        int // attempts since the last reset
}

// next returns the wait before the next attempt and counts the attempt.
func (b *backoff) next() time.Duration {
	ceil := b.min
	for i := 0; i < b.n && ceil < b.max; i++ {
		ceil *= 2
	}
	ceil = min(ceil, b.max)
	b.n++
	if ceil <= b.min {
		return b.min
	}
	return b.min + rand.N(ceil-b.min+1)
}

// reset starts the growth again from min, after a connection that worked.
func (b *backoff) reset() { b.n = 0 }

// wait blocks for d or until ctx is done, whichever comes first, and returns
// ctx.Err() in the latter case.
func wait(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// retryable reports whether a failed connect attempt (token call or dial)
// may succeed later: network errors, temporary REST errors (401, 429, 5xx)
// and handshake refusals that fresh tokens may cure. It is false for a
// meeting that is not running, for a host password never accepted
// (ErrPasswordRefused), for other REST errors (400, 403, ...), for a
// refused redirect (confctl.ErrRedirectRefused) or downgrade
// (ErrDowngrade), for malformed token responses, for handshakes refused as a client error, and
// for a server certificate that does not verify: waiting does not fix
// trust, the user must (--ca-file).
func retryable(err error) bool {
	if errors.Is(err, confctl.ErrMeetingNotRunning) || errors.Is(err, confctl.ErrInvalidResponse) ||
		errors.Is(err, ErrPasswordRefused) || errors.Is(err, confctl.ErrRedirectRefused) || errors.Is(err, ErrDowngrade) ||
		errors.Is(err, confctl.ErrMissingConferenceID) || untrusted(err) {
		return false
	}
	var ae *confctl.APIError
	if errors.As(err, &ae) {
		return ae.Temporary()
	}
	var de *dialError
	if errors.As(err, &de) {
		switch {
		case de.status == 0, de.status >= 500:
			return true
		case de.status == http.StatusUnauthorized, de.status == http.StatusForbidden,
			de.status == http.StatusRequestTimeout, de.status == http.StatusTooManyRequests:
			return true
		case de.status == http.StatusSwitchingProtocols:
			return false // the server answered but broke the protocol
		}
		return false
	}
	return true
}

// untrusted reports whether err is a TLS server certificate that failed
// verification.
func untrusted(err error) bool {
	var (
		verify    *tls.CertificateVerificationError
		authority x509.UnknownAuthorityError
		hostname  x509.HostnameError
		invalid   x509.CertificateInvalidError
	)
	return errors.As(err, &verify) || errors.As(err, &authority) || errors.As(err, &hostname) || errors.As(err, &invalid)
}
