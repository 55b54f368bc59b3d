package recorder

import "time"

// WithMinRenewGap returns o with the shortest wait between two successful
// renewals of the control token set to d instead of 10s, for tests that
// keep a token alive several times.
func WithMinRenewGap(o Options, d time.Duration) Options {
	o.minRenewGap = d
	return o
}
