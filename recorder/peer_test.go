package recorder_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/confrec/confrec/confctl"
	"github.com/confrec/confrec/recorder"
	"github.com/confrec/confrec/store"
)

// peer is a small real meeting service for the cases the replay server does
// not play: REST errors on demand, short-lived tokens, and a push channel
// whose behaviour each test scripts per connection.
type peer struct {
	t      *testing.T
	srv    *httptest.Server
	confID string
	// lifetime is the control token's lifetime (expireTime is now+lifetime).
	lifetime time.Duration
	// serve runs connection n (from 1) until it returns.
	serve func(ctx context.Context, n int, c *websocket.Conn)

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup // WebSocket handlers

	mu sync.Mutex
	// stall is the kind of token API request ("token", "keepalive" or
	// "wstoken") whose first one gets no answer until the test ends.
	stall string
	// expire, when set, gives the expireTime of a token handed out at now
	// instead of now+lifetime.
	expire     func(now time.Time) time.Time
	requests   map[string]int // token API requests received by kind
	statuses   []int          // statuses for the next ConfToken calls; 200 when empty
	tokenCalls int            // ConfToken calls received
	conns      int
	keepAlive  chan string // the token of every keep-alive call
}

const peerToken = "peer-control-token-5c1d"

func newPeer(t *testing.T, confID string, serve func(ctx context.Context, n int, c *websocket.Conn)) *peer {
	p := &peer{t: t, confID: confID, lifetime: time.Hour, serve: serve, keepAlive: make(chan string, 100), requests: map[string]int{}}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	mux := http.NewServeMux()
	mux.HandleFunc(confctl.ConfTokenPath, p.confToken)
	mux.HandleFunc(confctl.WSTokenPath, p.wsToken)
	mux.HandleFunc(confctl.ConnectPath, p.connect)
	p.srv = httptest.NewServer(mux)
	t.Cleanup(func() {
		p.cancel()
		p.srv.Close()
		p.wg.Wait()
	})
	return p
}

func (p *peer) fail(statuses ...int) {
	p.mu.Lock()
	p.statuses = append(p.statuses, statuses...)
	p.mu.Unlock()
}

// arrive counts a token API request of kind and, if it is the first of the
// kind p stalls, blocks until the test ends.
func (p *peer) arrive(kind string) {
	p.mu.Lock()
	p.requests[kind]++
	stall := kind == p.stall && p.requests[kind] == 1
	p.mu.Unlock()
	if stall {
		<-p.ctx.Done()
	}
}

// count returns how many token API requests of kind p has received.
func (p *peer) count(kind string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.requests[kind]
}

func (p *peer) confToken(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-Conference-Authorization") != "" {
		p.arrive("keepalive")
	} else {
		p.arrive("token")
	}
	p.mu.Lock()
	p.tokenCalls++
	status := http.StatusOK
	if len(p.statuses) > 0 {
		status, p.statuses = p.statuses[0], p.statuses[1:]
	}
	p.mu.Unlock()
	if status != http.StatusOK {
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"error_code":"TEST.%d","error_msg":"refused %s"}`, status, testPassword)
		return
	}
	if r.Header.Get("X-Password") != testPassword {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if auth := r.Header.Get("X-Conference-Authorization"); auth != "" {
		select {
		case p.keepAlive <- auth:
		default: // a test that floods keep-alives must not block the service
		}
	}
	now := time.Now()
	exp := now.Add(p.lifetime)
	p.mu.Lock()
	if p.expire != nil {
		exp = p.expire(now)
	}
	p.mu.Unlock()
	json.NewEncoder(w).Encode(map[string]any{"data": map[string]any{
		"token": peerToken, "wsURL": "ws://" + r.Host, "role": 1,
		"expireTime": exp.UnixMilli(), "confTokenExpireTime": max(int64(p.lifetime/time.Second), 1),
	}})
}

func (p *peer) wsToken(w http.ResponseWriter, r *http.Request) {
	p.arrive("wstoken")
	if r.Header.Get("X-Conference-Authorization") != peerToken {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	p.mu.Lock()
	n := p.conns + 1
	p.mu.Unlock()
	fmt.Fprintf(w, `{"webSocketToken":"peer-ws-token-%d-9e7"}`, n)
}

func (p *peer) connect(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.conns++
	n := p.conns
	p.mu.Unlock()
	if r.URL.Query().Get("tmpToken") != fmt.Sprintf("peer-ws-token-%d-9e7", n) {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	c, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	p.wg.Add(1)
	defer p.wg.Done()
	defer c.CloseNow()
	p.serve(p.ctx, n, c)
}

// answer reads c until it ends, replying to Subscribe and HeartBeat.
func answer(ctx context.Context, c *websocket.Conn) {
	for {
		_, b, err := c.Read(ctx)
		if err != nil {
			return
		}
		env, err := confctl.DecodeEnvelope(b)
		if err != nil {
			continue
		}
		var reply []byte
		switch env.Action {
		case confctl.ActionSubscribe:
			reply = confctl.NewReply(env.Action, env.Sequence, 0, "SUCCESS")
		case confctl.ActionHeartBeat:
			reply = confctl.NewHeartBeatReply(env.Sequence)
		default:
			continue
		}
		if c.Write(ctx, websocket.MessageText, reply) != nil {
			return
		}
	}
}

// announceDestroyed answers the Subscribe on c and announces "Destroyed".
// It reports false when the connection failed.
func announceDestroyed(ctx context.Context, confID string, c *websocket.Conn) bool {
	_, b, err := c.Read(ctx)
	if err != nil {
		return false
	}
	env, _ := confctl.DecodeEnvelope(b)
	return c.Write(ctx, websocket.MessageText, confctl.NewReply(env.Action, env.Sequence, 0, "SUCCESS")) == nil &&
		c.Write(ctx, websocket.MessageText, destroyed(confID)) == nil
}

// endMeeting answers the Subscribe on c, announces "Destroyed" and closes.
func endMeeting(ctx context.Context, confID string, c *websocket.Conn) {
	if !announceDestroyed(ctx, confID, c) {
		return
	}
	c.Close(websocket.StatusNormalClosure, "")
}

func (p *peer) options(log *testLog) recorder.Options {
	o := recorder.Options{ConfID: p.confID, APIURL: p.srv.URL, Password: testPassword, Logger: log.logger(),
		HTTPClient: p.srv.Client()}
	o.Backoff.Min, o.Backoff.Max = time.Millisecond, 20*time.Millisecond
	return o
}

func TestRecordDetectsHalfOpen(t *testing.T) {
	p := newPeer(t, "700200100", func(ctx context.Context, n int, c *websocket.Conn) {
		if n == 1 {
			// Reads everything and answers nothing: a half-open connection
			// as the recorder sees it.
			for {
				if _, _, err := c.Read(ctx); err != nil {
					return
				}
			}
		}
		endMeeting(ctx, "700200100", c)
	})
	db, path := openDB(t)
	log := newTestLog()
	opts := p.options(log)
	opts.Heartbeat = 50 * time.Millisecond

	res, err := recorder.Record(t.Context(), db, opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Ended != recorder.MeetingEnded || res.Sessions != 2 {
		t.Fatalf("Result = %+v, want MeetingEnded after 2 sessions", res)
	}
	m := meeting(t, db, p.confID)
	if s := m.Sessions[0]; s.Reason != "dropped" || !strings.Contains(s.Err, "heartbeat not answered") {
		t.Errorf("first session ended %+v, want dropped for a missed heartbeat", s.SessionEnd)
	}
	if s := m.Sessions[1]; s.Reason != "meeting-ended" {
		t.Errorf("second session ended %+v, want meeting-ended", s.SessionEnd)
	}
	var hb int
	for _, f := range readFrames(t, db, p.confID) {
		if f.Session == 1 && f.Dir == store.Out && strings.Contains(string(f.Payload), `"HeartBeat"`) {
			hb++
		}
	}
	if hb != 1 {
		t.Errorf("session 1 sent %d heartbeats, want 1 (the unanswered one)", hb)
	}
	db.Close()
	checkNoSecrets(t, path, log.String(), []string{testPassword, peerToken, "peer-ws-token-1-9e7", "peer-ws-token-2-9e7"})
}

// calls returns how many ConfToken calls p has received.
func (p *peer) calls() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.tokenCalls
}

func TestRecordTokenErrors(t *testing.T) {
	tests := []struct {
		name     string
		password confctl.Secret // "" means testPassword
		statuses []int          // for the first ConfToken calls
		later    []int          // for the ConfToken calls after a first session, which the server closes
		wantErr  error
		wantAPI  int // the wrapped APIError's status, with wantErr
		wantEnd  recorder.EndKind
		sessions int
		retries  int // "connect failed" logged
		calls    int // ConfToken calls, 0 = not checked
		wantText string
	}{
		{name: "forbidden_is_fatal", statuses: []int{403}, wantErr: errAny, wantAPI: 403, calls: 1},
		{name: "wrong_password_is_final", password: "not-the-host-password", wantErr: recorder.ErrPasswordRefused, wantAPI: 401, calls: 1},
		{name: "password_never_accepted_is_final", statuses: []int{500, 401}, wantErr: recorder.ErrPasswordRefused, wantAPI: 401, retries: 1, calls: 2},
		// After a session, the keep-alive's 401 falls back to the password,
		// which is refused too; then 500 and 503; then the service recovers.
		{name: "temporary_errors_are_retried", later: []int{401, 401, 500, 503}, wantEnd: recorder.MeetingEnded, sessions: 2, retries: 3, calls: 6},
		{name: "not_running_at_first_is_an_error", statuses: []int{404}, wantErr: recorder.ErrNotRunning, wantAPI: 404, calls: 1,
			wantText: "meeting 700200200 is not running: the token API refused it before anything was recorded"},
		{name: "not_running_after_a_session_ends_cleanly", later: []int{404}, wantEnd: recorder.MeetingEnded, sessions: 1, calls: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p *peer
			p = newPeer(t, "700200200", func(ctx context.Context, n int, c *websocket.Conn) {
				if n == 1 && tt.later != nil {
					p.fail(tt.later...)
					_, b, err := c.Read(ctx)
					if err != nil {
						return
					}
					env, _ := confctl.DecodeEnvelope(b)
					c.Write(ctx, websocket.MessageText, confctl.NewReply(env.Action, env.Sequence, 0, "SUCCESS"))
					c.Close(websocket.StatusGoingAway, "")
					return
				}
				endMeeting(ctx, "700200200", c)
			})
			p.fail(tt.statuses...)
			db, _ := openDB(t)
			log := newTestLog()
			opts := p.options(log)
			if tt.password != "" {
				opts.Password = tt.password
			}

			res, err := recorder.Record(t.Context(), db, opts)
			if (err != nil) != (tt.wantErr != nil) {
				t.Fatalf("Record error = %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				var ae *confctl.APIError
				if tt.wantErr != errAny && !errors.Is(err, tt.wantErr) {
					t.Errorf("Record error = %v, want %v", err, tt.wantErr)
				}
				if !errors.As(err, &ae) || ae.Status != tt.wantAPI {
					t.Errorf("Record error = %v, want the %d APIError", err, tt.wantAPI)
				}
				if !strings.Contains(err.Error(), tt.wantText) {
					t.Errorf("Record error = %q, want it to say %q", err, tt.wantText)
				}
			}
			if res.Ended != tt.wantEnd || res.Sessions != tt.sessions {
				t.Errorf("Result = %+v, want %v after %d sessions", res, tt.wantEnd, tt.sessions)
			}
			// A recording that ended for good, after a session, says so
			// in the store; one that recorded nothing leaves no label.
			m, merr := db.Meeting("700200200")
			switch {
			case tt.sessions > 0 && (merr != nil || m.Labels[recorder.LabelEnded] != tt.wantEnd.String()):
				t.Errorf("label %s = %q (%v), want %q", recorder.LabelEnded, m.Labels[recorder.LabelEnded], merr, tt.wantEnd)
			case tt.sessions == 0 && merr == nil && m.Labels[recorder.LabelEnded] != "":
				t.Errorf("label %s = %q after no session, want none", recorder.LabelEnded, m.Labels[recorder.LabelEnded])
			}
			if tt.sessions > 0 {
				// Recorded again (here stopped at once), it is no longer ended.
				ctx, cancel := context.WithCancel(t.Context())
				cancel()
				if _, err := recorder.Record(ctx, db, p.options(newTestLog())); err != nil {
					t.Fatalf("Record again, stopped: %v", err)
				}
				if m, err := db.Meeting("700200200"); err != nil || m.Labels[recorder.LabelEnded] != "" {
					t.Errorf("label %s = %q (%v) once recorded again, want cleared", recorder.LabelEnded, m.Labels[recorder.LabelEnded], err)
				}
			}
			if tt.calls != 0 && p.calls() != tt.calls {
				t.Errorf("%d ConfToken calls, want %d", p.calls(), tt.calls)
			}
			text := log.String()
			if err != nil {
				text += err.Error()
			}
			if strings.Contains(text, testPassword) {
				t.Errorf("logs or error hold the password:\n%s", text)
			}
			if retries := strings.Count(text, "connect failed"); retries != tt.retries {
				t.Errorf("%d failed attempts logged, want %d:\n%s", retries, tt.retries, text)
			}
		})
	}
}

// errAny stands for any error in a test table.
var errAny = errors.New("any error")

func TestRecordKeepsTokenAlive(t *testing.T) {
	p := newPeer(t, "700200300", func(ctx context.Context, _ int, c *websocket.Conn) { answer(ctx, c) })
	// confTokenExpireTime is 1s, expireTime 400ms away: renewed 250ms
	// before it expires, every 150ms.
	p.lifetime = 400 * time.Millisecond
	db, _ := openDB(t)
	log := newTestLog()

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan struct{})
	var res recorder.Result
	var err error
	go func() {
		defer close(done)
		res, err = recorder.Record(ctx, db, recorder.WithMinRenewGap(p.options(log), time.Millisecond))
	}()
	for range 2 {
		select {
		case tok := <-p.keepAlive:
			if tok != peerToken {
				t.Errorf("keep-alive sent another token (%d bytes)", len(tok))
			}
		case <-done:
			t.Fatalf("Record returned before keeping the token alive: %+v, %v", res, err)
		}
	}
	cancel()
	<-done
	if err != nil || res.Ended != recorder.Stopped || res.Sessions != 1 {
		t.Errorf("Record = %+v, %v; want Stopped after 1 session", res, err)
	}
}

func TestRecordStalledTokenAPI(t *testing.T) {
	tests := []struct {
		stall string // the kind of request whose first one never gets an answer
	}{{"token"}, {"wstoken"}, {"keepalive"}}
	for _, tt := range tests {
		t.Run(tt.stall, func(t *testing.T) {
			const confID = "700200500"
			p := newPeer(t, confID, func(ctx context.Context, _ int, c *websocket.Conn) {
				if tt.stall == "keepalive" {
					answer(ctx, c) // until the test has seen the keep-alive retried
					return
				}
				endMeeting(ctx, confID, c)
			})
			p.mu.Lock()
			p.stall = tt.stall
			p.mu.Unlock()
			if tt.stall == "keepalive" {
				p.lifetime = 400 * time.Millisecond // kept alive within a second
			}
			db, _ := openDB(t)
			log := newTestLog()
			opts := p.options(log)
			opts.RequestTimeout = 100 * time.Millisecond
			opts = recorder.WithMinRenewGap(opts, time.Millisecond)

			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			if tt.stall == "keepalive" {
				go func() {
					// The stalled keep-alive never reaches p.keepAlive: this
					// is the retry, answered.
					select {
					case <-p.keepAlive:
					case <-ctx.Done():
					}
					cancel()
				}()
			}
			res, err := recorder.Record(ctx, db, opts)
			if err != nil {
				t.Fatal(err)
			}
			if n := p.count(tt.stall); n < 2 {
				t.Errorf("%d %s requests, want the stalled one and a retry", n, tt.stall)
			}
			if want := recorder.MeetingEnded; tt.stall == "keepalive" {
				if res.Ended != recorder.Stopped || res.Sessions != 1 {
					t.Errorf("Result = %+v, want Stopped after 1 session", res)
				}
			} else if res.Ended != want || res.Sessions != 1 {
				t.Errorf("Result = %+v, want %v after 1 session", res, want)
			}
			if !strings.Contains(log.String(), "no answer within 100ms") {
				t.Errorf("the timeout is not logged:\n%s", log.String())
			}
		})
	}
}

func TestRecordKeepAlivePacing(t *testing.T) {
	tests := []struct {
		name   string
		expire func(start time.Time) func(now time.Time) time.Time
	}{
		// A server clock an hour behind ours: every expireTime is past.
		{"expire_time_in_the_past", func(time.Time) func(time.Time) time.Time {
			return func(now time.Time) time.Time { return now.Add(-time.Hour) }
		}},
		// Keep-alives that do not extend the expiry, which is soon.
		{"expire_time_not_extended", func(start time.Time) func(time.Time) time.Time {
			return func(time.Time) time.Time { return start.Add(50 * time.Millisecond) }
		}},
	}
	const heartbeats = 20
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const confID = "700200600"
			answered := make(chan struct{})
			p := newPeer(t, confID, func(ctx context.Context, n int, c *websocket.Conn) {
				// Answers Subscribe and HeartBeats; after the last of them
				// the test stops the recording.
				count := 0
				for {
					_, b, err := c.Read(ctx)
					if err != nil {
						return
					}
					env, _ := confctl.DecodeEnvelope(b)
					reply := confctl.NewReply(env.Action, env.Sequence, 0, "SUCCESS")
					if env.Action == confctl.ActionHeartBeat {
						reply = confctl.NewHeartBeatReply(env.Sequence)
						if count++; count == heartbeats {
							close(answered)
						}
					}
					if c.Write(ctx, websocket.MessageText, reply) != nil {
						return
					}
				}
			})
			p.mu.Lock()
			p.expire = tt.expire(time.Now())
			p.mu.Unlock()
			db, _ := openDB(t)
			log := newTestLog()
			opts := p.options(log)
			opts.Heartbeat = 10 * time.Millisecond

			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			go func() {
				select {
				case <-answered:
				case <-ctx.Done():
				}
				cancel()
			}()
			res, err := recorder.Record(ctx, db, opts)
			if err != nil || res.Ended != recorder.Stopped || res.Sessions != 1 {
				t.Fatalf("Record = %+v, %v; want Stopped after 1 session", res, err)
			}
			if n := p.count("keepalive"); n > 2 {
				t.Errorf("%d keep-alives while %d heartbeats were answered, want at most 2", n, heartbeats)
			}
		})
	}
}

func TestRecordInvalidOptions(t *testing.T) {
	const tmp = "tmp-token-never-printed"
	tests := []struct {
		name string
		opts recorder.Options
	}{
		{"no_connection", recorder.Options{ConfID: "1"}},
		{"both_modes", recorder.Options{ConfID: "1", Password: "pw-1234", WSURL: "ws://h/c?confID=1&tmpToken=" + tmp}},
		{"no_conf_id", recorder.Options{Password: "pw-1234"}},
		{"bad_conf_id", recorder.Options{ConfID: "a\nb", Password: "pw-1234"}},
		{"bad_api_url", recorder.Options{ConfID: "1", Password: "pw-1234", APIURL: "ftp://x"}},
		{"bad_ws_scheme", recorder.Options{WSURL: "ftp://h/c?confID=1&tmpToken=" + tmp}},
		{"unparsable_ws_url", recorder.Options{ConfID: "1", WSURL: "ws://h/%zz?tmpToken=" + tmp}},
		{"conf_id_mismatch", recorder.Options{ConfID: "2", WSURL: "ws://h/c?confID=1&tmpToken=" + tmp}},
	}
	db, _ := openDB(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := recorder.Record(t.Context(), db, tt.opts)
			if !errors.Is(err, recorder.ErrInvalidOptions) {
				t.Fatalf("Record error = %v, want ErrInvalidOptions", err)
			}
			if strings.Contains(err.Error(), tmp) || strings.Contains(err.Error(), "pw-1234") {
				t.Errorf("error holds a secret: %v", err)
			}
		})
	}
	if ms, err := db.Meetings(); err != nil || len(ms) != 0 {
		t.Errorf("invalid options stored %d meetings (%v)", len(ms), err)
	}
}

func TestRecordDirectDialErrorIsRedacted(t *testing.T) {
	const tmp = "tmp-token-must-not-leak"
	// A port that was just free: the dial is refused.
	srv := httptest.NewServer(http.NotFoundHandler())
	addr := srv.Listener.Addr().String()
	srv.Close()
	db, _ := openDB(t)
	log := newTestLog()

	_, err := recorder.Record(t.Context(), db, recorder.Options{
		WSURL: "ws://" + addr + confctl.ConnectPath + "?confID=700200400&tmpToken=" + tmp, Logger: log.logger(),
	})
	if err == nil {
		t.Fatal("Record succeeded against a closed port")
	}
	if strings.Contains(err.Error(), tmp) || strings.Contains(log.String(), tmp) {
		t.Errorf("error or logs hold the tmpToken: %v", err)
	}
	if !strings.Contains(err.Error(), "tmpToken=[redacted:") {
		t.Errorf("error does not show the redacted URL: %v", err)
	}
}

func TestRecordDirectTmpTokenRefused(t *testing.T) {
	const tmp = "tmp-token-already-used"
	tests := []struct {
		status  int
		refused bool
	}{{401, true}, {403, true}, {404, false}}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.status), func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
			}))
			defer srv.Close()
			db, _ := openDB(t)
			log := newTestLog()

			_, err := recorder.Record(t.Context(), db, recorder.Options{
				WSURL:  "ws://" + srv.Listener.Addr().String() + confctl.ConnectPath + "?confID=700200700&tmpToken=" + tmp,
				Logger: log.logger(), HTTPClient: srv.Client(),
			})
			if err == nil {
				t.Fatal("Record succeeded with a refused handshake")
			}
			if errors.Is(err, recorder.ErrTmpTokenRefused) != tt.refused {
				t.Errorf("Record error = %v, want ErrTmpTokenRefused: %v", err, tt.refused)
			}
			if tt.refused && !strings.Contains(err.Error(), "single-use and valid for 60 s: copy a fresh connect URL") {
				t.Errorf("Record error = %v, want the advice", err)
			}
			if strings.Contains(err.Error(), tmp) || strings.Contains(log.String(), tmp) {
				t.Errorf("error or logs hold the tmpToken: %v", err)
			}
		})
	}
}

// TestRecordClosesAfterDestroyedGrace: a server that announces "Destroyed"
// and then keeps the connection open (answering heartbeats) is closed by
// the recorder with 1000 "meeting ended" once DestroyedGrace has passed,
// and the recording ends as the meeting did.
func TestRecordClosesAfterDestroyedGrace(t *testing.T) {
	const confID = "700200700"
	p := newPeer(t, confID, func(ctx context.Context, n int, c *websocket.Conn) {
		if !announceDestroyed(ctx, confID, c) {
			return
		}
		answer(ctx, c) // never closes first
	})
	db, _ := openDB(t)
	log := newTestLog()
	opts := p.options(log)
	opts.Heartbeat = 20 * time.Millisecond
	opts.DestroyedGrace = 50 * time.Millisecond

	res, err := recorder.Record(t.Context(), db, opts)
	if err != nil || res.Ended != recorder.MeetingEnded || res.Sessions != 1 {
		t.Fatalf("Record = %+v, %v; want MeetingEnded after 1 session", res, err)
	}
	if s := meeting(t, db, confID).Sessions[0]; s.Reason != "meeting-ended" || s.CloseCode != 1000 || s.CloseReason != "meeting ended" {
		t.Errorf("session ended %+v, want meeting-ended with our 1000 \"meeting ended\"", s.SessionEnd)
	}
	var closes int
	for _, f := range readFrames(t, db, confID) {
		if f.Dir == store.Out && f.Op == store.Close {
			closes++
			if code, reason, _ := f.CloseStatus(); code != 1000 || reason != "meeting ended" {
				t.Errorf("close frame sent: %d %q, want 1000 \"meeting ended\"", code, reason)
			}
		}
	}
	if closes != 1 {
		t.Errorf("%d close frames sent, want 1", closes)
	}
}
