package recorder

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/confrec/confrec/confctl"
)

func TestBackoff(t *testing.T) {
	tests := []struct {
		name     string
		min, max time.Duration
		ceilings []time.Duration // the most each successive wait may be
	}{
		{"doubles_to_cap", 10 * time.Millisecond, 70 * time.Millisecond,
			[]time.Duration{10, 20, 40, 70, 70, 70}},
		{"min_equals_max", 30 * time.Millisecond, 30 * time.Millisecond,
			[]time.Duration{30, 30, 30}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 50 { // the jitter is random: try it often
				b := backoff{min: tt.min, max: tt.max}
				for i, c := range tt.ceilings {
					c *= time.Millisecond
					if d := b.next(); d < tt.min || d > c {
						t.Fatalf("wait %d = %v, want within [%v, %v]", i, d, tt.min, c)
					}
				}
				b.reset()
				if d := b.next(); d != tt.min {
					t.Fatalf("first wait after reset = %v, want %v", d, tt.min)
				}
			}
		})
	}
}

func TestRetryable(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{&confctl.APIError{Op: "create conference token", Status: 500}, true},
		{&confctl.APIError{Op: "create conference token", Status: 401}, true},
		{&confctl.APIError{Op: "create conference token", Status: 403}, false},
		{&confctl.APIError{Op: "create conference token", Status: 404}, false}, // not running
		{fmt.Errorf("get control token: %w", confctl.ErrInvalidResponse), false},
		{&dialError{status: 0, err: errors.New("connection refused")}, true},
		{&dialError{status: 401, err: errors.New("expired tmpToken")}, true},
		{&dialError{status: 503, err: errors.New("busy")}, true},
		{&dialError{status: 404, err: errors.New("wrong path")}, false},
		{&dialError{status: 101, err: errors.New("bad Sec-WebSocket-Accept")}, false},
		{errors.New("connection reset by peer"), true},
		{fmt.Errorf("create conference token: %w", &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}), false},
		{&dialError{status: 0, err: fmt.Errorf("handshake: %w", x509.HostnameError{Host: "x"})}, false},
	}
	for _, tt := range tests {
		if got := retryable(tt.err); got != tt.want {
			t.Errorf("retryable(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

func TestRenewAt(t *testing.T) {
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		expireAt time.Time
		lifetime time.Duration
		minGap   time.Duration
		want     time.Time
	}{
		{"margin_is_a_quarter_of_the_lifetime", now.Add(8 * time.Minute), 8 * time.Minute, minRenewGap, now.Add(6 * time.Minute)},
		{"margin_is_at_most_5m", now.Add(time.Hour), time.Hour, minRenewGap, now.Add(55 * time.Minute)},
		{"past_expiry_counts_from_now", now.Add(-time.Hour), 30 * time.Minute, minRenewGap, now.Add(25 * time.Minute)},
		{"expiry_bounded_by_the_lifetime", now.Add(10 * time.Hour), 30 * time.Minute, minRenewGap, now.Add(25 * time.Minute)},
		{"not_extended_waits_the_margin", now.Add(time.Minute), 30 * time.Minute, minRenewGap, now.Add(5 * time.Minute)},
		{"short_lifetime_waits_the_min_gap", now.Add(time.Second), 2 * time.Second, minRenewGap, now.Add(minRenewGap)},
		{"no_lifetime_means_the_default", time.Time{}, 0, minRenewGap, now.Add(confctl.DefaultTokenLifetime - maxRenewMargin)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := renewAt(confctl.ConfToken{ExpireAt: tt.expireAt, Lifetime: tt.lifetime}, now, tt.minGap)
			if !got.Equal(tt.want) {
				t.Errorf("renewAt = now%+v, want now%+v", got.Sub(now), tt.want.Sub(now))
			}
		})
	}
}
