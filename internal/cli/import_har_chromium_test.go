package cli

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/confrec/confrec/interchange"
)

var updateHAR = flag.Bool("update-har", false, "capture testdata/"+chromiumHAR+" again with headless chromium")

// chromiumHAR is the HAR that real chromium captured of a meeting played by
// `replay serve`: see TestCaptureChromiumHAR.
const chromiumHAR = "chromium-short.har"

// capturePage does what a browser client of the meeting does: the token
// flow, the WebSocket, Subscribe, and reading until the server closes.
const capturePage = `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>capture</title></head><body><script>
const confID = "555000111", password = PASSWORD;
async function main() {
  const r = await fetch("/v1/mmc/control/conferences/token?conferenceID=" + confID,
    {headers: {"X-Password": password, "X-Login-Type": "1"}});
  const t = (await r.json()).data;
  const w = await fetch("/v1/mmc/control/conferences/wsToken?conferenceID=" + confID,
    {headers: {"X-Conference-Authorization": t.token}});
  const tmp = (await w.json()).webSocketToken;
  const ws = new WebSocket(t.wsURL + "/cms/open/websocket/confctl/increment/conn?confID=" + confID +
    "&tmpToken=" + encodeURIComponent(tmp));
  ws.onopen = () => ws.send(JSON.stringify({action: "Subscribe", sequence: String(Date.now()).padStart(30, "0"),
    data: JSON.stringify({conferenceID: confID, subscribeType: t.supportNotifyType, confToken: "Basic " + btoa(t.token)})}));
  ws.onclose = e => { document.title = "closed " + e.code; };
}
main().catch(e => { document.title = "error " + e; console.error(e); });
</script></body></html>
`

// TestCaptureChromiumHAR writes testdata/chromium-short.har (only with
// -update-har): headless chromium, driven over the DevTools protocol, loads
// capturePage from a front that serves it and passes everything else to a
// `replay serve` of testdata/scenario-short.jsonl (same origin, so the
// stand-in needs no CORS headers). The HAR is written from the protocol's
// Network events as DevTools' "Save all as HAR" does, secrets included, as
// a browser's HAR has them.
func TestCaptureChromiumHAR(t *testing.T) {
	if !*updateHAR {
		t.Skip("run with -update-har to capture testdata/" + chromiumHAR + " with chromium")
	}
	srv := startServe(t, serveEnv(), "--scenario", testdata("scenario-short.jsonl"), "--speed", "1")
	target, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	pw, _ := json.Marshal(testPassword)
	page := strings.Replace(capturePage, "PASSWORD", string(pw), 1)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, page)
	})
	mux.Handle("/", httputil.NewSingleHostReverseProxy(target))
	front := httptest.NewServer(mux)
	defer front.Close()

	h := captureHAR(t, front.URL+"/")
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(h); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(repoRoot, "testdata", chromiumHAR), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d entries, %d bytes", len(h.Log.Entries), buf.Len())
}

// cdpMsg is one DevTools protocol message: a reply (ID) or an event (Method).
type cdpMsg struct {
	ID        int64           `json:"id,omitempty"`
	Method    string          `json:"method,omitempty"`
	Params    json.RawMessage `json:"params,omitempty"`
	Result    json.RawMessage `json:"result,omitempty"`
	Error     *struct{ Message string }
	SessionID string `json:"sessionId,omitempty"`
}

// cdp is a DevTools protocol connection used from one goroutine: call
// reads until its reply, keeping the events it reads meanwhile.
type cdp struct {
	t      *testing.T
	ctx    context.Context
	c      *websocket.Conn
	last   int64
	events []cdpMsg
}

func (c *cdp) read() cdpMsg {
	c.t.Helper()
	_, b, err := c.c.Read(c.ctx)
	if err != nil {
		c.t.Fatalf("read DevTools protocol: %v", err)
	}
	var m cdpMsg
	if err := json.Unmarshal(b, &m); err != nil {
		c.t.Fatalf("DevTools protocol message %.200q: %v", b, err)
	}
	return m
}

func (c *cdp) call(session, method string, params any) json.RawMessage {
	c.t.Helper()
	c.last++
	req := map[string]any{"id": c.last, "method": method, "params": params}
	if session != "" {
		req["sessionId"] = session
	}
	b, _ := json.Marshal(req)
	if err := c.c.Write(c.ctx, websocket.MessageText, b); err != nil {
		c.t.Fatalf("%s: %v", method, err)
	}
	for {
		m := c.read()
		switch {
		case m.ID == c.last && m.Error != nil:
			c.t.Fatalf("%s: %s", method, m.Error.Message)
		case m.ID == c.last:
			return m.Result
		case m.Method != "":
			c.events = append(c.events, m)
		}
	}
}

// waitEvent reads events until one named method arrives.
func (c *cdp) waitEvent(method string) {
	c.t.Helper()
	if slices.ContainsFunc(c.events, func(m cdpMsg) bool { return m.Method == method }) {
		return
	}
	for {
		m := c.read()
		if m.Method != "" {
			c.events = append(c.events, m)
		}
		if m.Method == method {
			return
		}
	}
}

// listenWriter is chromium's stderr: it keeps everything and hands over the
// DevTools URL chromium prints once it listens.
type listenWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	found chan string
	once  sync.Once
}

func (w *listenWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	for line := range strings.Lines(w.buf.String()) {
		if u, ok := strings.CutPrefix(strings.TrimSpace(line), "DevTools listening on "); ok {
			w.once.Do(func() { w.found <- u })
		}
	}
	return len(p), nil
}

func (w *listenWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// captureHAR loads pageURL in headless chromium and returns the HAR of what
// it did once its WebSocket closed.
func captureHAR(t *testing.T, pageURL string) *interchange.HAR {
	t.Helper()
	c, sid := openChromium(t)
	c.call(sid, "Network.enable", map[string]any{})
	c.call(sid, "Page.enable", map[string]any{})
	c.call(sid, "Page.navigate", map[string]any{"url": pageURL})
	c.waitEvent("Network.webSocketClosed")

	h := buildHAR(c, sid)
	c.call("", "Browser.close", map[string]any{})
	return h
}

// openChromium starts headless chromium with its DevTools protocol on a
// free port and returns a connection to it and the session of a blank
// page attached to it. The browser ends at cleanup, and within two
// minutes.
func openChromium(t *testing.T) (*cdp, string) {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium not found: apt-get install -y chromium")
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	cmd := exec.CommandContext(ctx, bin,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
		"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-extensions", "--user-data-dir="+filepath.Join(dir, "profile"),
		"--remote-debugging-port=0", "about:blank")
	cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_CONFIG_HOME="+dir, "XDG_CACHE_HOME="+dir)
	cmd.WaitDelay = 10 * time.Second
	stderr := &listenWriter{found: make(chan string, 1)}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cancel()
		<-exited
	})
	var wsURL string
	select {
	case wsURL = <-stderr.found:
	case err := <-exited:
		exited <- err
		t.Fatalf("chromium exited: %v\n%s", err, stderr)
	case <-ctx.Done():
		t.Fatalf("chromium did not listen: %v\n%s", ctx.Err(), stderr)
	}
	conn, _, err := websocket.Dial(ctx, wsURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.CloseNow() })
	conn.SetReadLimit(64 << 20)
	c := &cdp{t: t, ctx: ctx, c: conn}
	var created struct{ TargetID string }
	json.Unmarshal(c.call("", "Target.createTarget", map[string]any{"url": "about:blank"}), &created)
	var attached struct{ SessionID string }
	json.Unmarshal(c.call("", "Target.attachToTarget", map[string]any{"targetId": created.TargetID, "flatten": true}), &attached)
	return c, attached.SessionID
}

// cdpHeaders turns the protocol's header object into HAR headers, sorted.
func cdpHeaders(m map[string]string) []interchange.HARNameVal {
	out := []interchange.HARNameVal{}
	for k, v := range m {
		for line := range strings.SplitSeq(v, "\n") {
			out = append(out, interchange.HARNameVal{Name: k, Value: line})
		}
	}
	slices.SortFunc(out, func(a, b interchange.HARNameVal) int {
		return strings.Compare(a.Name+"\x00"+a.Value, b.Name+"\x00"+b.Value)
	})
	return out
}

func harQuery(u string) []interchange.HARNameVal {
	out := []interchange.HARNameVal{}
	pu, err := url.Parse(u)
	if err != nil {
		return out
	}
	for kv := range strings.SplitSeq(pu.RawQuery, "&") {
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		k, _ = url.QueryUnescape(k)
		v, _ = url.QueryUnescape(v)
		out = append(out, interchange.HARNameVal{Name: k, Value: v})
	}
	return out
}

func isoTime(wall float64) string {
	return interchange.EpochTime(wall).Time().Format(interchange.HARDateLayout)
}

// buildHAR writes the HAR of session sid's Network events as DevTools does:
// an entry per fetch or document request, with its response body, and an
// entry per WebSocket with its messages.
func buildHAR(c *cdp, sid string) *interchange.HAR {
	t := c.t
	t.Helper()
	type request struct {
		RequestID string
		Type      string
		Timestamp float64
		WallTime  float64
		Request   struct {
			URL     string
			Method  string
			Headers map[string]string
		}
		Response *struct {
			Status     int
			StatusText string
			Headers    map[string]string
			MimeType   string
			Protocol   string
			RemoteIP   string `json:"remoteIPAddress"`
		}
		respTime float64
		// WebSocket
		ws       bool
		wsURL    string
		messages []interchange.HARWSMessage
	}
	var order []string
	reqs := map[string]*request{}
	get := func(id string) *request {
		r := reqs[id]
		if r == nil {
			r = &request{RequestID: id}
			reqs[id] = r
			order = append(order, id)
		}
		return r
	}
	for _, m := range c.events {
		if m.SessionID != sid {
			continue
		}
		var p struct {
			RequestID string
			Timestamp float64
			WallTime  float64
			URL       string
			Type      string
			Request   json.RawMessage
			Response  json.RawMessage
		}
		if err := json.Unmarshal(m.Params, &p); err != nil {
			t.Fatalf("%s: %v", m.Method, err)
		}
		switch m.Method {
		case "Network.requestWillBeSent":
			if p.Type != "Fetch" && p.Type != "Document" {
				continue
			}
			r := get(p.RequestID)
			r.Type, r.Timestamp, r.WallTime = p.Type, p.Timestamp, p.WallTime
			json.Unmarshal(p.Request, &r.Request)
		case "Network.responseReceived":
			if r := reqs[p.RequestID]; r != nil {
				json.Unmarshal(p.Response, &r.Response)
				r.respTime = p.Timestamp
			}
		case "Network.webSocketCreated":
			r := get(p.RequestID)
			r.ws, r.wsURL = true, p.URL
		case "Network.webSocketWillSendHandshakeRequest":
			r := get(p.RequestID)
			r.Timestamp, r.WallTime = p.Timestamp, p.WallTime
			json.Unmarshal(p.Request, &r.Request)
		case "Network.webSocketHandshakeResponseReceived":
			if r := reqs[p.RequestID]; r != nil {
				json.Unmarshal(p.Response, &r.Response)
				r.respTime = p.Timestamp
			}
		case "Network.webSocketFrameSent", "Network.webSocketFrameReceived":
			r := reqs[p.RequestID]
			if r == nil {
				continue
			}
			var f struct {
				Opcode      int
				PayloadData string
			}
			json.Unmarshal(p.Response, &f)
			typ := interchange.HARReceive
			if m.Method == "Network.webSocketFrameSent" {
				typ = interchange.HARSend
			}
			// DevTools' pseudo wall time: the handshake's wall time plus
			// the monotonic time since.
			wall := r.WallTime + (p.Timestamp - r.Timestamp)
			r.messages = append(r.messages, interchange.HARWSMessage{Type: typ, Time: interchange.EpochTime(wall), Opcode: f.Opcode, Data: f.PayloadData})
		}
	}
	h := &interchange.HAR{Log: interchange.HARLog{
		Version: "1.2",
		Creator: interchange.HARCreator{Name: "WebInspector", Version: "537.36"},
		Entries: []interchange.HAREntry{},
	}}
	for _, id := range order {
		r := reqs[id]
		if r.Response == nil {
			t.Fatalf("request %s (%s) has no response", id, r.Request.URL)
		}
		wait := (r.respTime - r.Timestamp) * 1000
		e := interchange.HAREntry{
			ResourceType: strings.ToLower(r.Type),
			Request: interchange.HARRequest{
				Method:      r.Request.Method,
				URL:         r.Request.URL,
				HTTPVersion: "HTTP/1.1",
				Headers:     cdpHeaders(r.Request.Headers),
				QueryString: harQuery(r.Request.URL),
				Cookies:     []interchange.HARNameVal{},
				HeadersSize: -1,
			},
			Response: interchange.HARResponse{
				Status:      r.Response.Status,
				StatusText:  r.Response.StatusText,
				HTTPVersion: "HTTP/1.1",
				Headers:     cdpHeaders(r.Response.Headers),
				Cookies:     []interchange.HARNameVal{},
				Content:     interchange.HARContent{MimeType: r.Response.MimeType},
				HeadersSize: -1,
				BodySize:    -1,
			},
			ServerIPAddress: r.Response.RemoteIP,
			StartedDateTime: isoTime(r.WallTime),
			Time:            wait,
			Timings:         interchange.HARTimings{Blocked: -1, DNS: -1, SSL: -1, Connect: -1, Wait: wait},
		}
		if r.ws {
			e.ResourceType = "websocket"
			e.Request.Method = "GET"
			e.Request.URL = r.wsURL
			e.Request.QueryString = harQuery(r.wsURL)
			e.Response.Content = interchange.HARContent{MimeType: "x-unknown"}
			e.Response.BodySize = 0
			e.WebSocketMessages = r.messages
			if e.WebSocketMessages == nil {
				e.WebSocketMessages = []interchange.HARWSMessage{}
			}
		} else {
			var body struct {
				Body          string
				Base64Encoded bool
			}
			json.Unmarshal(c.call(sid, "Network.getResponseBody", map[string]any{"requestId": id}), &body)
			e.Response.Content.Text = body.Body
			e.Response.Content.Size = len(body.Body)
			if body.Base64Encoded {
				e.Response.Content.Encoding = "base64"
			}
		}
		h.Log.Entries = append(h.Log.Entries, e)
	}
	if !slices.ContainsFunc(h.Log.Entries, func(e interchange.HAREntry) bool { return len(e.WebSocketMessages) > 0 }) {
		t.Fatalf("no WebSocket messages captured: %s", fmt.Sprint(len(c.events), " events"))
	}
	return h
}

// chromiumSecrets returns the secrets the captured HAR holds: the host password, the
// control token (bare and as sent), and the WebSocket token.
func chromiumSecrets(t *testing.T, h *interchange.HAR) []string {
	t.Helper()
	secrets := []string{testPassword}
	for _, e := range h.Log.Entries {
		for _, q := range e.Request.QueryString {
			if q.Name == "tmpToken" {
				secrets = append(secrets, q.Value)
			}
		}
		if strings.HasSuffix(e.Request.URL, "wsToken?conferenceID=555000111") {
			var body struct{ WebSocketToken string }
			json.Unmarshal([]byte(e.Response.Content.Text), &body)
			secrets = append(secrets, body.WebSocketToken)
		}
		if strings.Contains(e.Request.URL, "/token?") {
			var body struct{ Data struct{ Token string } }
			json.Unmarshal([]byte(e.Response.Content.Text), &body)
			secrets = append(secrets, body.Data.Token, base64.StdEncoding.EncodeToString([]byte(body.Data.Token)))
		}
	}
	if len(secrets) != 5 || slices.Contains(secrets, "") {
		t.Fatalf("the HAR shows %d secrets %q, want the password, the control token (bare and base64) and two WebSocket tokens", len(secrets), secrets)
	}
	return secrets
}

// TestImportChromiumHAR imports the HAR real chromium captured
// (TestCaptureChromiumHAR): no secret it holds reaches the store, the
// frames are the browser's, and `replay serve` plays the imported meeting
// to a recorder, which receives what the browser received.
func TestImportChromiumHAR(t *testing.T) {
	t.Parallel()
	raw := readFile(t, testdata(chromiumHAR))
	var h interchange.HAR
	if err := json.Unmarshal(raw, &h); err != nil {
		t.Fatal(err)
	}
	secrets := chromiumSecrets(t, &h)
	var browser []interchange.HARWSMessage
	for _, e := range h.Log.Entries {
		browser = append(browser, e.WebSocketMessages...)
	}
	for _, s := range secrets {
		if !bytes.Contains(raw, []byte(s)) {
			t.Fatalf("the HAR does not hold %q: the test would prove nothing", s)
		}
	}

	dir := t.TempDir()
	db := filepath.Join(dir, "imported.db")
	r := mustRun(t, nil, "--db", db, "import", "har", testdata(chromiumHAR))
	if want := fmt.Sprintf("imported meeting 555000111: 1 session(s), %d frames", len(browser)); !strings.Contains(r.stdout, want) {
		t.Errorf("import said %q, want %q", r.stdout, want)
	}
	if got := labels(t, db, "555000111")["imported"]; got != "har:"+chromiumHAR {
		t.Errorf("label imported = %q", got)
	}

	// Nothing the store gives back holds a secret.
	harOut := filepath.Join(dir, "again.har")
	mustRun(t, nil, "--db", db, "export", "har", "555000111", "-o", harOut)
	texts := map[string][]byte{
		"export frames": []byte(mustRun(t, nil, "--db", db, "export", "frames", "555000111").stdout),
		"info":          []byte(mustRun(t, nil, "--db", db, "info", "555000111", "--format", "json").stdout),
		"export har":    readFile(t, harOut),
		"database":      readFile(t, db),
	}
	for what, text := range texts {
		for _, s := range secrets {
			if bytes.Contains(text, []byte(s)) {
				t.Errorf("%s holds the secret %q", what, s)
			}
		}
	}

	// The frames are the browser's messages, the Subscribe redacted.
	recs := exported(t, db, "555000111")
	if len(recs) != len(browser) {
		t.Fatalf("%d frames, want %d", len(recs), len(browser))
	}
	for i, m := range browser {
		r := recs[i]
		if want := map[string]string{"send": "out", "receive": "in"}[m.Type]; r.Dir != want || r.Opcode != "text" {
			t.Errorf("frame %d: %s %s, want %s text", i+1, r.Dir, r.Opcode, want)
		}
		if !mustTime(t, r.Time).Equal(m.Time.Time()) {
			t.Errorf("frame %d at %s, want %s", i+1, r.Time, m.Time.Time())
		}
		if r.Action == "Subscribe" && r.Dir == "out" {
			if !strings.Contains(*r.Payload, `\"confToken\":\"[redacted:`) {
				t.Errorf("Subscribe stored as %s", *r.Payload)
			}
			continue
		}
		if got := payload(t, r); string(got) != m.Data {
			t.Errorf("frame %d: %q, want %q", i+1, got, m.Data)
		}
	}

	// replay serve plays it: a recorder receives the browser's notifications.
	var want [][]byte
	for _, m := range browser {
		if m.Type == "receive" {
			var head struct{ Action string }
			json.Unmarshal([]byte(m.Data), &head)
			if !isReply(head.Action) {
				want = append(want, []byte(m.Data))
			}
		}
	}
	srv := startServe(t, serveEnv(), "--db", db, "555000111", "--speed", "20")
	second := filepath.Join(dir, "second.db")
	mustRun(t, recordEnv(), "--db", second, "record", "--conf-id", "555000111", "--api-url", srv.URL)
	samePayloads(t, notifications(t, exported(t, second, "555000111")), want)
}
