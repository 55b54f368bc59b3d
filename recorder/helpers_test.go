package recorder_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/confrec/confrec/confctl"
	"github.com/confrec/confrec/replay/standin"
	"github.com/confrec/confrec/store"
)

// testPassword is the host password the replay servers require.
const testPassword = "host-pw-7391-secret"

// openDB opens a real store in t.TempDir and closes it at cleanup.
func openDB(t *testing.T) (*store.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "rec.db")
	db, err := store.Open(path, &store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, path
}

// loadScenario reads a scenario from testdata.
func loadScenario(t *testing.T, name string) *standin.Script {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := standin.ReadScenario(f)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// startReplay starts a replay server playing s with testPassword, closed at
// cleanup.
func startReplay(t *testing.T, s *standin.Script, speed float64) *standin.Server {
	t.Helper()
	srv, err := standin.NewServer([]*standin.Script{s}, &standin.ServerOptions{Speed: speed, Password: testPassword})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

// readFrames returns every stored frame of meeting.
func readFrames(t *testing.T, db *store.DB, meeting string) []store.Frame {
	t.Helper()
	c, err := db.Frames(meeting, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var out []store.Frame
	for c.Next() {
		out = append(out, c.Frame())
	}
	if err := c.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// meeting returns the stored meeting with its sessions.
func meeting(t *testing.T, db *store.DB, id string) store.Meeting {
	t.Helper()
	m, err := db.Meeting(id)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// isLiveReply reports whether f is a reply the replay server makes live (and
// so is not a step of the script).
func isLiveReply(f store.Frame) bool {
	if f.Op != store.Text {
		return false
	}
	env, err := confctl.DecodeEnvelope(f.Payload)
	return err == nil && confctl.IsReplyAction(env.Action) && !env.IsNotification()
}

// playedData returns the In data frames of frames that are not live replies.
func playedData(frames []store.Frame) []store.Frame {
	var out []store.Frame
	for _, f := range frames {
		if f.Dir == store.In && f.Op != store.Close && !isLiveReply(f) {
			out = append(out, f)
		}
	}
	return out
}

// stepData returns the data steps of s.
func stepData(s *standin.Script) []standin.Step {
	var out []standin.Step
	for _, st := range s.Steps {
		if st.Kind == standin.StepText || st.Kind == standin.StepBinary {
			out = append(out, st)
		}
	}
	return out
}

// checkPlayed fails unless got holds exactly the data steps want, in order,
// byte for byte and with their opcodes.
func checkPlayed(t *testing.T, got []store.Frame, want []standin.Step) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("recorded %d played frames, the script has %d", len(got), len(want))
	}
	for i := range want {
		op := store.Text
		if want[i].Kind == standin.StepBinary {
			op = store.Binary
		}
		if w := withoutPasscodes(want[i].Payload); got[i].Op != op || !bytes.Equal(got[i].Payload, w) {
			t.Fatalf("played frame %d: got %v %.80q, want %v %.80q", i, got[i].Op, got[i].Payload, op, w)
		}
	}
}

// secretCapture wraps a real transport and notes every secret that crosses
// it: the password and tokens the client sends, and the tokens the server
// hands out.
type secretCapture struct {
	base *http.Transport

	mu      sync.Mutex
	secrets map[string]bool
}

// newSecretCapture returns an HTTP client whose transport captures secrets.
func newSecretCapture(t *testing.T) (*http.Client, *secretCapture) {
	t.Helper()
	c := &secretCapture{base: http.DefaultTransport.(*http.Transport).Clone(), secrets: map[string]bool{}}
	t.Cleanup(c.base.CloseIdleConnections)
	return &http.Client{Transport: c}, c
}

func (c *secretCapture) add(vs ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, v := range vs {
		if v != "" {
			c.secrets[v] = true
			c.secrets[confctl.ParseConfToken(v)] = true
		}
	}
}

// all returns the secrets seen so far.
func (c *secretCapture) all() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for s := range c.secrets {
		out = append(out, s)
	}
	return out
}

func (c *secretCapture) RoundTrip(req *http.Request) (*http.Response, error) {
	c.add(req.Header.Get("X-Password"), req.Header.Get("X-Conference-Authorization"), req.URL.Query().Get("tmpToken"))
	resp, err := c.base.RoundTrip(req)
	if err != nil || resp.StatusCode == http.StatusSwitchingProtocols {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	var v struct {
		WebSocketToken string `json:"webSocketToken"`
		Data           struct {
			Token          string `json:"token"`
			TmpWSToken     string `json:"tmpWsToken"`
			WebSocketToken string `json:"webSocketToken"`
		} `json:"data"`
	}
	if json.Unmarshal(body, &v) == nil {
		c.add(v.WebSocketToken, v.Data.Token, v.Data.TmpWSToken, v.Data.WebSocketToken)
	}
	return resp, nil
}

// checkNoSecrets fails if the file at path, or text, holds any secret in
// plain or base64 form.
func checkNoSecrets(t *testing.T, path, text string, secrets []string) {
	t.Helper()
	if len(secrets) == 0 {
		t.Fatal("no secrets captured: the check would prove nothing")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range secrets {
		for _, form := range []string{s, base64.StdEncoding.EncodeToString([]byte(s))} {
			if bytes.Contains(b, []byte(form)) {
				t.Errorf("database file holds a secret (%d bytes)", len(s))
			}
			if strings.Contains(text, form) {
				t.Errorf("logs or errors hold a secret (%d bytes)", len(s))
			}
		}
	}
}

// testLog is a slog handler that keeps the text of every record and lets a
// test wait for a message.
type testLog struct {
	h slog.Handler

	mu      sync.Mutex
	buf     bytes.Buffer
	seen    map[string]bool
	waiters map[string]chan struct{}
}

func newTestLog() *testLog {
	l := &testLog{seen: map[string]bool{}, waiters: map[string]chan struct{}{}}
	l.h = slog.NewTextHandler(writerFunc(l.write), &slog.HandlerOptions{Level: slog.LevelDebug})
	return l
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

func (l *testLog) write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(b)
}

// logger returns a logger writing to l.
func (l *testLog) logger() *slog.Logger { return slog.New(&logHandler{l: l, h: l.h}) }

// String returns everything logged.
func (l *testLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// when returns a channel closed once a record with message msg is logged.
func (l *testLog) when(msg string) <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	ch := l.waiters[msg]
	if ch == nil {
		ch = make(chan struct{})
		l.waiters[msg] = ch
		if l.seen[msg] {
			close(ch)
		}
	}
	return ch
}

func (l *testLog) saw(msg string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.seen[msg] {
		return
	}
	l.seen[msg] = true
	if ch := l.waiters[msg]; ch != nil {
		close(ch)
	}
}

type logHandler struct {
	l *testLog
	h slog.Handler
}

func (h *logHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *logHandler) Handle(ctx context.Context, r slog.Record) error {
	err := h.h.Handle(ctx, r)
	h.l.saw(r.Message)
	return err
}
func (h *logHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &logHandler{l: h.l, h: h.h.WithAttrs(as)}
}
func (h *logHandler) WithGroup(name string) slog.Handler {
	return &logHandler{l: h.l, h: h.h.WithGroup(name)}
}
