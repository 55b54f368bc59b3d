package confctl_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/confrec/confrec/confctl"
)

// headerLog is a server that notes every request it gets: the target a
// redirect names. It must never see one.
type headerLog struct {
	mu   sync.Mutex
	seen []http.Header
}

func (l *headerLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	l.mu.Lock()
	l.seen = append(l.seen, r.Header.Clone())
	l.mu.Unlock()
	reply(http.StatusOK, `{"data":{"token":"`+testToken+`","wsURL":"wss://x"},"webSocketToken":"`+testWSToken+`"}`)(w, r)
}

func (l *headerLog) requests() []http.Header {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.seen
}

// TestClientRefusesRedirects: both token calls follow no redirect, whatever
// its status, to another host or the same one, and over TLS to plain HTTP:
// the target never sees the password or the token, and the error names the
// status and the target's scheme://host only.
func TestClientRefusesRedirects(t *testing.T) {
	var sink headerLog
	target := httptest.NewServer(&sink)
	defer target.Close()

	tests := []struct {
		name   string
		status int
		tls    bool
		same   bool // redirect to the API's own host
	}{
		{name: "301", status: http.StatusMovedPermanently},
		{name: "302", status: http.StatusFound},
		{name: "303", status: http.StatusSeeOther},
		{name: "307", status: http.StatusTemporaryRedirect},
		{name: "308", status: http.StatusPermanentRedirect},
		{name: "https_to_http", status: http.StatusFound, tls: true},
		{name: "same_host", status: http.StatusTemporaryRedirect, same: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var api *httptest.Server
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Query().Get("moved") != "" {
					sink.ServeHTTP(w, r) // the API's own host, second request
					return
				}
				to := target.URL
				if tt.same {
					to = api.URL
				}
				http.Redirect(w, r, to+r.URL.Path+"?moved=1&tmpToken="+testTmp, tt.status)
			})
			if tt.tls {
				api = httptest.NewTLSServer(h)
			} else {
				api = httptest.NewServer(h)
			}
			defer api.Close()
			c := &confctl.Client{BaseURL: api.URL, HTTPClient: api.Client()}
			wantTarget := target.URL
			if tt.same {
				wantTarget = api.URL
			}

			_, err := c.ConfToken(context.Background(), testConfID, testPassword, testToken)
			_, err2 := c.WSToken(context.Background(), testConfID, testToken)
			for i, err := range []error{err, err2} {
				if err == nil {
					t.Fatal("err = nil: the redirect was followed")
				}
				t.Logf("err: %v", err)
				assertNoSecrets(t, err)
				var re *confctl.RedirectError
				if !errors.As(err, &re) || !errors.Is(err, confctl.ErrRedirectRefused) {
					t.Fatalf("err = %v, want a *RedirectError matching ErrRedirectRefused", err)
				}
				if re.Status != tt.status || re.Target != wantTarget {
					t.Errorf("RedirectError = %+v, want status %d, target %s", re, tt.status, wantTarget)
				}
				prefix := []string{"create conference token: ", "create websocket token: "}[i]
				for _, s := range []string{prefix, "HTTP " + strconv.Itoa(tt.status), wantTarget, "redirect"} {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("Error() = %q lacks %q", err, s)
					}
				}
				if strings.Contains(err.Error(), "moved") || strings.Contains(err.Error(), "tmpToken") {
					t.Errorf("Error() = %q quotes the redirect's path or query", err)
				}
				if errors.Is(err, confctl.ErrMeetingNotRunning) {
					t.Errorf("a redirect matches ErrMeetingNotRunning: %v", err)
				}
			}
			if seen := sink.requests(); len(seen) != 0 {
				t.Fatalf("the redirect's target got %d requests, the first with headers %v", len(seen), seen[0])
			}
		})
	}
}
