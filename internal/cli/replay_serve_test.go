package cli

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestReplayRecordedMeeting records a short meeting, replays the recording
// with `replay serve CONFID` and records that into a second database: same
// payloads, same order, same spacing (within 20 ms).
//
// It does not run in parallel with the other tests, and a spacing miss is
// measured again, twice at most: on a loaded two-core machine the scheduler
// alone can delay one frame past 20 ms. Payloads and order must hold every
// time.
func TestReplayRecordedMeeting(t *testing.T) {
	first := filepath.Join(t.TempDir(), "first.db")
	srv := startServe(t, serveEnv(), "--scenario", testdata("scenario-short.jsonl"), "--speed", "1")
	mustRun(t, recordEnv(), "--db", first, "record", "--conf-id", "555000111", "--api-url", srv.URL)
	want := notifications(t, exported(t, first, "555000111"))
	wantPayloads := make([][]byte, len(want))
	for i, r := range want {
		wantPayloads[i] = payload(t, r)
	}
	again := startServe(t, serveEnv(), "--db", first, "555000111", "--speed", "1")

	var misses []string
	for attempt := 1; attempt <= 3; attempt++ {
		second := filepath.Join(t.TempDir(), "second.db")
		mustRun(t, recordEnv(), "--db", second, "record", "--conf-id", "555000111", "--api-url", again.URL)
		got := notifications(t, exported(t, second, "555000111"))
		samePayloads(t, got, wantPayloads)
		misses = misses[:0]
		for i := 1; i < len(want); i++ {
			dw := gap(t, want[i-1], want[i])
			dg := gap(t, got[i-1], got[i])
			if diff := (dg - dw).Abs(); diff > 20*time.Millisecond {
				misses = append(misses, fmt.Sprintf("before frame %d: %v replayed, %v recorded (%v apart)", i, dg, dw, diff))
			}
		}
		if len(misses) == 0 {
			return
		}
		t.Logf("attempt %d: spacing off by more than 20ms: %v", attempt, misses)
	}
	t.Errorf("spacing off by more than 20ms in every attempt: %v", misses)
}

// TestServePassword: with --password the stand-in refuses a wrong host
// password with the service's error shape, and record says so (exit 1)
// without the password in its output.
func TestServePassword(t *testing.T) {
	t.Parallel()
	srv := startServe(t, nil, "--scenario", testdata("scenario-short.jsonl"), "--speed", "0", "--password", testPassword)
	resp, err := http.Get(srv.URL + "/v1/mmc/control/conferences/token?conferenceID=555000111")
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		Code string `json:"error_code"`
		Msg  string `json:"error_msg"`
	}
	json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || body.Code == "" || body.Msg == "" {
		t.Errorf("no password: HTTP %d %+v, want 401 with error_code and error_msg", resp.StatusCode, body)
	}
	db := filepath.Join(t.TempDir(), "rec.db")
	wrong := "not-the-" + testPassword
	r := run(t, []string{"CONFREC_HOST_PASSWORD=" + wrong}, "--db", db, "record", "--conf-id", "555000111", "--api-url", srv.URL)
	if r.code != 1 || !strings.Contains(r.stderr, "refused the host password") {
		t.Errorf("wrong password: exit %d, %q", r.code, r.stderr)
	}
	if strings.Contains(r.stderr, wrong) || strings.Contains(r.stderr, testPassword) {
		t.Error("record's output holds a password")
	}
	mustRun(t, recordEnv(), "--db", db, "record", "--conf-id", "555000111", "--api-url", srv.URL)
}

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
