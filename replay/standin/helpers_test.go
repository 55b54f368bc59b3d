package standin_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/confrec/confrec/confctl"
	"github.com/confrec/confrec/replay/standin"
)

// testTimeout bounds every wait in a test, so that a bug fails the test
// instead of hanging it. It is never a timing assertion.
const testTimeout = 20 * time.Second

// testCtx returns a context cancelled at the end of the test or after
// testTimeout.
func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// harness is a started Server with a client that has its own transport.
type harness struct {
	t   *testing.T
	srv *standin.Server
	hc  *http.Client
	api *confctl.Client
	id  string // conference ID
}

// start starts a Server playing s and registers its Close.
func start(t *testing.T, s *standin.Script, opts *standin.ServerOptions) *harness {
	t.Helper()
	srv, err := standin.NewServer([]*standin.Script{s}, opts)
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	tr := &http.Transport{}
	hc := &http.Client{Transport: tr}
	t.Cleanup(func() {
		srv.Close()
		tr.CloseIdleConnections()
	})
	return &harness{t: t, srv: srv, hc: hc, api: &confctl.Client{BaseURL: srv.URL, HTTPClient: hc}, id: s.ConfID}
}

// confToken calls CreateConfToken and fails the test on error.
func (h *harness) confToken(ctx context.Context, password, current confctl.Secret) confctl.ConfToken {
	h.t.Helper()
	ct, err := h.api.ConfToken(ctx, h.id, password, current)
	if err != nil {
		h.t.Fatalf("ConfToken: %v", err)
	}
	return ct
}

// dialTmp opens the push channel with tmpToken tmp.
func (h *harness) dialTmp(ctx context.Context, wsURL, confID string, tmp confctl.Secret) (*websocket.Conn, *http.Response, error) {
	c, resp, err := websocket.Dial(ctx, confctl.ConnectURL(wsURL, confID, tmp), &websocket.DialOptions{HTTPClient: h.hc})
	if err == nil {
		h.t.Cleanup(func() { _ = c.CloseNow() })
	}
	if resp != nil && resp.Body != nil {
		_ = resp.Body.Close()
	}
	return c, resp, err
}

// dial fetches a WebSocket token for ct and opens the push channel.
func (h *harness) dial(ctx context.Context, ct confctl.ConfToken) *websocket.Conn {
	h.t.Helper()
	tmp, err := h.api.WSToken(ctx, h.id, ct.Token)
	if err != nil {
		h.t.Fatalf("WSToken: %v", err)
	}
	c, _, err := h.dialTmp(ctx, ct.WSURL, h.id, tmp)
	if err != nil {
		h.t.Fatalf("dial: %v", err)
	}
	return c
}

// subscribe sends Subscribe with sequence seq and checks the live reply.
func (h *harness) subscribe(ctx context.Context, c *websocket.Conn, seq string, token confctl.Secret) {
	h.t.Helper()
	write(ctx, h.t, c, confctl.NewSubscribe(seq, h.id, nil, token))
	expectText(ctx, h.t, c, confctl.NewReply(confctl.ActionSubscribe, seq, 0, "SUCCESS"))
}

// write sends a text message.
func write(ctx context.Context, t *testing.T, c *websocket.Conn, b []byte) {
	t.Helper()
	if err := c.Write(ctx, websocket.MessageText, b); err != nil {
		t.Fatalf("write: %v", err)
	}
}

// expectText reads one message and checks it is the text want.
func expectText(ctx context.Context, t *testing.T, c *websocket.Conn, want []byte) {
	t.Helper()
	typ, b, err := c.Read(ctx)
	if err != nil {
		t.Fatalf("read: %v (want %s)", err, want)
	}
	if typ != websocket.MessageText || string(b) != string(want) {
		t.Fatalf("read %v %s, want text %s", typ, b, want)
	}
}

// message is one received message.
type message struct {
	typ  websocket.MessageType
	data string
}

// readUntilEnd reads messages until the connection ends and returns them
// with the error that ended it.
func readUntilEnd(ctx context.Context, c *websocket.Conn) ([]message, error) {
	var msgs []message
	for {
		typ, b, err := c.Read(ctx)
		if err != nil {
			return msgs, err
		}
		msgs = append(msgs, message{typ, string(b)})
	}
}

// closeOf returns the close status in err, or ok false when the
// connection ended without a close frame.
func closeOf(err error) (code websocket.StatusCode, reason string, ok bool) {
	var ce websocket.CloseError
	if errors.As(err, &ce) {
		return ce.Code, ce.Reason, true
	}
	return 0, "", false
}

// getJSON sends GET url with headers and returns the status and body.
func getJSON(ctx context.Context, t *testing.T, hc *http.Client, url string, hdr map[string]string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("GET: %v", err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("decode body: %v", err)
	}
	return resp.StatusCode, body
}
