package cli

import (
	"bytes"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/confrec/confrec/discover"
	"github.com/confrec/confrec/store"
)

// slowSender connects to addr and sends a callback's headers and the first
// byte of its body, then nothing.
func slowSender(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	fmt.Fprintf(c, "POST /hook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 60000\r\n\r\n{")
	return c
}

// startWebhooks serves d's webhooks on a free loopback port, with the
// read timeout given, and returns the address and serveWebhooks's stop.
func startWebhooks(t *testing.T, d *discover.Discoverer, readTimeout time.Duration) (string, func()) {
	t.Helper()
	defer func(old time.Duration) { webhookReadTimeout = old }(webhookReadTimeout)
	webhookReadTimeout = readTimeout
	set := flag.NewFlagSet("record", flag.ContinueOnError)
	set.String(flgWebhookListen, "127.0.0.1:0", "")
	var logs bytes.Buffer
	stop, err := serveWebhooks(cli.NewContext(cli.NewApp(), set, nil), d, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`addr=(\S+)`).FindStringSubmatch(logs.String())
	if m == nil {
		stop()
		t.Fatalf("no address logged: %s", logs.String())
	}
	return m[1], stop
}

// TestWebhookSlowSenders: a sender that holds back its callback's body is
// cut off after the read timeout, and one still connected does not hold up
// the stop. Not parallel: it sets webhookReadTimeout.
func TestWebhookSlowSenders(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "hooks.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	d, err := discover.New(db, discover.Options{APIURL: "http://127.0.0.1:1", AppID: testAppID, AppKey: testAppKey})
	if err != nil {
		t.Fatal(err)
	}

	addr, stop := startWebhooks(t, d, 300*time.Millisecond)
	slow := slowSender(t, addr)
	slow.SetReadDeadline(time.Now().Add(5 * time.Second))
	start := time.Now()
	b := make([]byte, 4096)
	for {
		if _, err := slow.Read(b); err != nil {
			break // answered and closed, or the deadline
		}
	}
	stop()
	if waited := time.Since(start); waited > 3*time.Second {
		t.Errorf("a sender holding back its body was still connected after %v", waited.Round(time.Second))
	}

	addr, stop = startWebhooks(t, d, time.Hour)
	slowSender(t, addr)
	time.Sleep(50 * time.Millisecond) // in the handler, reading the body
	start = time.Now()
	stop()
	if took := time.Since(start); took > time.Second {
		t.Errorf("stop took %v with a slow sender connected, want under a second", took.Round(100*time.Millisecond))
	}
}
