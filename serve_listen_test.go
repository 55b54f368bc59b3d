package main

import (
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestServeListenNeedsPassword: replay serve on an address other hosts can
// reach refuses to start without a password unless --no-password says so;
// loopback addresses need none. Refused addresses are never bound.
func TestServeListenNeedsPassword(t *testing.T) {
	t.Parallel()
	pwFile := writeFile(t, "pw", testPassword+"\n")
	refused := []struct {
		name string
		env  []string
		args []string
	}{
		{"all interfaces, no host", nil, []string{"--listen", ":8080"}},
		{"all interfaces, IPv4", nil, []string{"--listen", "0.0.0.0:0"}},
		{"all interfaces, IPv6", nil, []string{"--listen", "[::]:0"}},
		{"an interface's address", nil, []string{"--listen", "192.0.2.7:8080"}},
		{"a host name", nil, []string{"--listen", "replay.example.com:8080"}},
		{"empty password variable", []string{"CONFREC_REPLAY_PASSWORD="}, []string{"--listen", "0.0.0.0:0"}},
	}
	for _, tt := range refused {
		t.Run("refused/"+tt.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"replay", "serve", "--scenario", testdata("scenario-short.jsonl")}, tt.args...)
			r := run(t, tt.env, args...)
			msg := strings.TrimSpace(r.stderr)
			if r.code != 2 || strings.Contains(msg, "\n") || !strings.Contains(msg, "--listen") ||
				!strings.Contains(msg, "--password-file") || !strings.Contains(msg, "CONFREC_REPLAY_PASSWORD") ||
				!strings.Contains(msg, "--no-password") {
				t.Errorf("exit %d, stderr %q; want exit 2 and one line naming --listen, --password-file, $CONFREC_REPLAY_PASSWORD and --no-password", r.code, r.stderr)
			}
			if strings.Contains(r.stdout, "listening on") {
				t.Errorf("it listened: %q", r.stdout)
			}
		})
	}

	served := []struct {
		name       string
		env        []string
		args       []string
		wantStatus int // of a token request without a password
	}{
		{"loopback 127.0.0.1", nil, []string{"--listen", "127.0.0.1:0"}, http.StatusOK},
		{"loopback 127.0.0.0/8", nil, []string{"--listen", "127.0.0.2:0"}, http.StatusOK},
		{"localhost", nil, []string{"--listen", "localhost:0"}, http.StatusOK},
		{"all interfaces, --password-file", nil, []string{"--listen", "0.0.0.0:0", "--password-file", pwFile}, http.StatusUnauthorized},
		{"all interfaces, $CONFREC_REPLAY_PASSWORD", serveEnv(), []string{"--listen", "0.0.0.0:0"}, http.StatusUnauthorized},
		{"all interfaces, --password", nil, []string{"--listen", "0.0.0.0:0", "--password", testPassword}, http.StatusUnauthorized},
		{"all interfaces, --no-password", nil, []string{"--listen", "0.0.0.0:0", "--no-password"}, http.StatusOK},
	}
	for _, tt := range served {
		t.Run("served/"+tt.name, func(t *testing.T) {
			t.Parallel()
			srv := startServe(t, tt.env, append([]string{"--scenario", testdata("scenario-short.jsonl")}, tt.args...)...)
			u, err := url.Parse(srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			// Whatever it bound, talk to it on loopback only.
			host := "127.0.0.1"
			if ip := net.ParseIP(u.Hostname()); ip != nil && ip.IsLoopback() {
				host = u.Hostname()
			}
			resp, err := http.Get("http://" + net.JoinHostPort(host, u.Port()) + "/v1/mmc/control/conferences/token?conferenceID=555000111")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("token request without a password: HTTP %d, want %d", resp.StatusCode, tt.wantStatus)
			}
		})
	}

	// localhost is loopback by its name, so it is never looked up: a
	// resolver could answer a LAN address for it, and "localhost." goes
	// to DNS. It binds 127.0.0.1.
	for _, name := range []string{"localhost", "LocalHost.", "localhost."} {
		t.Run("pinned/"+name, func(t *testing.T) {
			t.Parallel()
			srv := startServe(t, nil, "--scenario", testdata("scenario-short.jsonl"), "--listen", name+":0")
			if u, err := url.Parse(srv.URL); err != nil || u.Hostname() != "127.0.0.1" {
				t.Errorf("--listen %s:0 serves on %s, want 127.0.0.1", name, srv.URL)
			}
		})
	}

	t.Run("--no-password with a password", func(t *testing.T) {
		t.Parallel()
		r := run(t, nil, "replay", "serve", "--scenario", testdata("scenario-short.jsonl"), "--no-password", "--password-file", pwFile)
		if r.code != 2 || !strings.Contains(r.stderr, "--no-password") {
			t.Errorf("exit %d, stderr %q; want exit 2 naming --no-password", r.code, r.stderr)
		}
	})
}

// TestLoopbackOnly: which --listen addresses need no password.
func TestLoopbackOnly(t *testing.T) {
	t.Parallel()
	for addr, want := range map[string]bool{
		"127.0.0.1:0": true, "127.255.0.9:80": true, "[::1]:0": true, "[::ffff:127.0.0.1]:0": true,
		"localhost:0": true, "LocalHost.:8080": true,
		":8080": false, "0.0.0.0:0": false, "[::]:0": false, "192.0.2.7:80": false, "[fe80::1%lo]:0": false,
		"[::ffff:10.0.0.1]:0": false, "localhost.example.com:0": false, "127.0.0.1.nip.io:0": false, "127.0.0.1": false,
	} {
		if got := loopbackOnly(addr); got != want {
			t.Errorf("loopbackOnly(%q) = %v, want %v", addr, got, want)
		}
	}
}
