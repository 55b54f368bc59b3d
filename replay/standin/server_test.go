package standin_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/confrec/confrec/confctl"
	"github.com/confrec/confrec/replay/standin"
)

const scenarioPath = "../../testdata/scenario-basic.jsonl"

// scenarioInFrames returns, independently of ReadScenario, the exact bytes
// of every "in" frame of the scenario that is neither a control line nor a
// reply, in order.
func scenarioInFrames(t *testing.T) [][]byte {
	t.Helper()
	f, err := os.Open(scenarioPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var l struct {
			Dir   string `json:"dir"`
			Frame struct {
				Control string `json:"_control"`
				Action  string `json:"action"`
			} `json:"frame"`
		}
		if err := json.Unmarshal(line, &l); err != nil {
			t.Fatalf("scenario: %v", err)
		}
		if l.Dir != "in" || l.Frame.Control != "" || confctl.IsReplyAction(l.Frame.Action) {
			continue
		}
		// "frame" is the last member of every line: the frame's bytes run
		// from after `"frame":` to the line's final '}'.
		i := bytes.Index(line, []byte(`"frame":`))
		if i < 0 || !bytes.HasSuffix(line, []byte("}}")) {
			t.Fatalf("unexpected scenario line %s", line)
		}
		out = append(out, bytes.Clone(line[i+len(`"frame":`):len(line)-1]))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func readScenarioFile(t *testing.T) *standin.Script {
	t.Helper()
	f, err := os.Open(scenarioPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := standin.ReadScenario(f)
	if err != nil {
		t.Fatalf("ReadScenario: %v", err)
	}
	return s
}

// TestScenarioEndToEnd runs the whole token flow against the scenario at
// full speed with confctl's client and a coder/websocket client.
func TestScenarioEndToEnd(t *testing.T) {
	ctx := testCtx(t)
	script := readScenarioFile(t)
	var logs bytes.Buffer // written under slog's handler lock; read after Close
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h := start(t, script, &standin.ServerOptions{Password: "804122", Logger: logger})

	ct := h.confToken(ctx, "804122", "")
	if want := "ws://" + h.srv.Addr().String(); ct.WSURL != want {
		t.Errorf("wsURL = %q, want %q", ct.WSURL, want)
	}
	if ct.Role != 1 || ct.Lifetime != 30*time.Minute || len(ct.SupportNotifyType) == 0 {
		t.Errorf("token = %+v", ct)
	}
	c := h.dial(ctx, ct)

	// HeartBeat first: its echo must come before the Subscribe reply.
	write(ctx, t, c, confctl.NewHeartBeat("000000000000000000000000000001"))
	write(ctx, t, c, confctl.NewSubscribe("seq-1", h.id, nil, ct.Token))
	expectText(ctx, t, c, confctl.NewHeartBeatReply("000000000000000000000000000001"))
	expectText(ctx, t, c, confctl.NewReply(confctl.ActionSubscribe, "seq-1", 0, "SUCCESS"))

	want := scenarioInFrames(t)
	if len(want) < 50 {
		t.Fatalf("only %d frames extracted from the scenario", len(want))
	}
	msgs, err := readUntilEnd(ctx, c)
	if len(msgs) != len(want) {
		t.Fatalf("received %d messages, want %d (end: %v)", len(msgs), len(want), err)
	}
	for i := range want {
		if msgs[i].typ != websocket.MessageText || msgs[i].data != string(want[i]) {
			t.Fatalf("message %d = %v %s\nwant %s", i, msgs[i].typ, msgs[i].data, want[i])
		}
	}
	if code, reason, ok := closeOf(err); !ok || code != websocket.StatusNormalClosure || reason != "" {
		t.Errorf("end = %v, want close 1000 with empty reason", err)
	}

	// The meeting is over for this token.
	if _, err := h.api.ConfToken(ctx, h.id, "", ct.Token); !errors.Is(err, confctl.ErrMeetingNotRunning) {
		t.Errorf("keep-alive after the end: %v, want ErrMeetingNotRunning", err)
	}
	var apiErr *confctl.APIError
	if _, err := h.api.WSToken(ctx, h.id, ct.Token); !errors.As(err, &apiErr) ||
		apiErr.Status != http.StatusBadRequest || apiErr.Code != confctl.MeetingNotRunningCode {
		t.Errorf("WSToken after the end: %v, want 400 %s", err, confctl.MeetingNotRunningCode)
	}

	h.srv.Close()
	if logs.Len() == 0 {
		t.Fatal("nothing logged")
	}
	for name, secret := range map[string]string{"password": "804122", "token": ct.Token.Reveal(), "tmpWsToken": ct.TmpWSToken.Reveal()} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("the %s appears in the logs", name)
		}
	}
}

func text(s string) standin.Step {
	return standin.Step{Kind: standin.StepText, Payload: []byte(s)}
}

// connPlan is what one connection of a playback must receive.
type connPlan struct {
	msgs []message
	// drop: the connection ends without a close frame; else it closes
	// with code and reason.
	drop   bool
	code   websocket.StatusCode
	reason string
}

func texts(ss ...string) []message {
	var m []message
	for _, s := range ss {
		m = append(m, message{websocket.MessageText, s})
	}
	return m
}

// TestPlaybackResume plays scripts over successive connections of one
// playback (reconnecting with a kept-alive token) and checks that every
// connection gets exactly its share, then that the playback has ended.
func TestPlaybackResume(t *testing.T) {
	bin := standin.Step{Kind: standin.StepBinary, Payload: []byte{0, 1, 2, 0xff}}
	closeStep := func(code uint16, reason string) standin.Step {
		return standin.Step{Kind: standin.StepClose, CloseCode: code, CloseReason: reason}
	}
	drop := standin.Step{Kind: standin.StepDrop}
	tests := []struct {
		name  string
		steps []standin.Step
		conns []connPlan
	}{
		{"drop_then_resume",
			[]standin.Step{text("t1"), text("t2"), drop, text("t3"), text("t4"), closeStep(4001, "bye")},
			[]connPlan{{msgs: texts("t1", "t2"), drop: true}, {msgs: texts("t3", "t4"), code: 4001, reason: "bye"}}},
		{"close_in_the_middle",
			[]standin.Step{text("t1"), closeStep(4000, "first"), text("t2")},
			[]connPlan{{msgs: texts("t1"), code: 4000, reason: "first"}, {msgs: texts("t2"), code: 1000, reason: "meeting ended"}}},
		{"no_close_step",
			[]standin.Step{text("t1"), bin},
			[]connPlan{{msgs: append(texts("t1"), message{websocket.MessageBinary, "\x00\x01\x02\xff"}), code: 1000, reason: "meeting ended"}}},
		{"drop_last",
			[]standin.Step{text("t1"), drop},
			[]connPlan{{msgs: texts("t1"), drop: true}}},
		{"two_drops",
			[]standin.Step{drop, text("t1"), drop, text("t2")},
			[]connPlan{{drop: true}, {msgs: texts("t1"), drop: true}, {msgs: texts("t2"), code: 1000, reason: "meeting ended"}}},
		{"empty_script",
			nil,
			[]connPlan{{code: 1000, reason: "meeting ended"}}},
		{"close_without_status",
			[]standin.Step{closeStep(0, "")},
			[]connPlan{{code: websocket.StatusNoStatusRcvd}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testCtx(t)
			h := start(t, &standin.Script{ConfID: "986512347", Steps: tt.steps}, nil)
			runPlan(ctx, t, h, tt.conns)
		})
	}
}

// runPlan plays a fresh playback through the connections of plan.
func runPlan(ctx context.Context, t *testing.T, h *harness, plan []connPlan) {
	t.Helper()
	ct := h.confToken(ctx, "", "")
	for i, p := range plan {
		if i > 0 {
			kept := h.confToken(ctx, "", ct.Token)
			if kept.Token.Reveal() != ct.Token.Reveal() {
				t.Fatalf("connection %d: keep-alive returned a new token", i)
			}
		}
		c := h.dial(ctx, ct)
		h.subscribe(ctx, c, "s", ct.Token)
		msgs, err := readUntilEnd(ctx, c)
		if !reflect.DeepEqual(msgs, p.msgs) {
			t.Errorf("connection %d received %v, want %v", i, msgs, p.msgs)
		}
		code, reason, closed := closeOf(err)
		switch {
		case p.drop && closed:
			t.Errorf("connection %d closed with %d %q, want a drop", i, code, reason)
		case !p.drop && (!closed || code != p.code || reason != p.reason):
			t.Errorf("connection %d ended with %v, want close %d %q", i, err, p.code, p.reason)
		}
	}
	if _, err := h.api.ConfToken(ctx, h.id, "", ct.Token); !errors.Is(err, confctl.ErrMeetingNotRunning) {
		t.Errorf("keep-alive after the last step: %v, want ErrMeetingNotRunning", err)
	}
	// A fresh token starts the meeting over.
	fresh := h.confToken(ctx, "", "")
	if fresh.Token.Reveal() == ct.Token.Reveal() {
		t.Errorf("fresh CreateConfToken returned the old token")
	}
	c := h.dial(ctx, fresh)
	h.subscribe(ctx, c, "again", fresh.Token)
	msgs, _ := readUntilEnd(ctx, c)
	if !reflect.DeepEqual(msgs, plan[0].msgs) {
		t.Errorf("new playback received %v, want %v", msgs, plan[0].msgs)
	}
}

// TestTakeover checks that a second connection of a playback closes the
// first and resumes after what the first received, and that requests are
// answered live during playback.
func TestTakeover(t *testing.T) {
	ctx := testCtx(t)
	script := &standin.Script{ConfID: "986512347", Steps: []standin.Step{
		text("t1"),
		{Offset: time.Hour, Kind: standin.StepText, Payload: []byte("t2")},
	}}
	h := start(t, script, &standin.ServerOptions{Speed: 1})
	ct := h.confToken(ctx, "", "")

	c1 := h.dial(ctx, ct)
	h.subscribe(ctx, c1, "1", ct.Token)
	expectText(ctx, t, c1, []byte("t1"))

	c2 := h.dial(ctx, ct)
	msgs, err := readUntilEnd(ctx, c1)
	if code, reason, ok := closeOf(err); len(msgs) != 0 || !ok || code != websocket.StatusGoingAway || reason != "replaced by a new connection" {
		t.Errorf("first connection got %v then %v, want close 1001", msgs, err)
	}

	h.subscribe(ctx, c2, "2", ct.Token)
	write(ctx, t, c2, confctl.NewHeartBeat("hb"))
	expectText(ctx, t, c2, confctl.NewHeartBeatReply("hb"))
	write(ctx, t, c2, []byte(`{"action":"ConfControl","sequence":"cc","type":"REALTIMESUBTITLE","data":"{}"}`))
	expectText(ctx, t, c2, confctl.NewReply(confctl.ActionConfControl, "cc", 0, "SUCCESS"))
	write(ctx, t, c2, []byte(`not json`))
	write(ctx, t, c2, []byte(`{"action":"Unknown","sequence":"u"}`))

	type result struct {
		msgs []message
		err  error
	}
	done := make(chan result)
	go func() {
		m, err := readUntilEnd(ctx, c2)
		done <- result{m, err}
	}()
	h.srv.Close()
	r := <-done
	if len(r.msgs) != 0 {
		t.Errorf("second connection got %v after its replies, want nothing", r.msgs)
	}
	if code, reason, ok := closeOf(r.err); !ok || code != websocket.StatusGoingAway || reason != "server closed" {
		t.Errorf("second connection ended with %v, want close 1001 server closed", r.err)
	}
}

func TestHeartbeatTimeout(t *testing.T) {
	ctx := testCtx(t)
	script := &standin.Script{ConfID: "1", Steps: []standin.Step{{Offset: time.Hour, Kind: standin.StepText, Payload: []byte("late")}}}
	h := start(t, script, &standin.ServerOptions{Speed: 1, HeartbeatTimeout: 50 * time.Millisecond})
	ct := h.confToken(ctx, "", "")
	// No Subscribe either: the idle clock starts at the upgrade, and a
	// Subscribe reply racing the timeout would make the test flaky.
	c := h.dial(ctx, ct)
	_, err := readUntilEnd(ctx, c)
	if code, reason, ok := closeOf(err); !ok || code != websocket.StatusPolicyViolation || reason != "heartbeat timeout" {
		t.Errorf("end = %v, want close 1008 heartbeat timeout", err)
	}
	// The meeting goes on.
	h.confToken(ctx, "", ct.Token)
}

func TestSubscribeRefused(t *testing.T) {
	tests := []struct {
		name string
		msg  func(token confctl.Secret) []byte
	}{
		{"unknown_token", func(confctl.Secret) []byte { return confctl.NewSubscribe("s", "986512347", nil, "not-a-token") }},
		{"other_conference", func(tok confctl.Secret) []byte { return confctl.NewSubscribe("s", "42", nil, tok) }},
		{"data_not_object", func(confctl.Secret) []byte { return []byte(`{"action":"Subscribe","sequence":"s","data":[1]}`) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testCtx(t)
			h := start(t, &standin.Script{ConfID: "986512347", Steps: []standin.Step{text("t1")}}, nil)
			ct := h.confToken(ctx, "", "")
			c := h.dial(ctx, ct)
			write(ctx, t, c, tt.msg(ct.Token))
			msgs, err := readUntilEnd(ctx, c)
			if len(msgs) != 1 {
				t.Fatalf("received %v, want one reply", msgs)
			}
			env, derr := confctl.DecodeEnvelope([]byte(msgs[0].data))
			var data struct {
				ReturnCode int `json:"returnCode"`
			}
			if derr != nil || env.Action != "Subscribe" || env.Sequence != "s" || json.Unmarshal(env.Data, &data) != nil || data.ReturnCode == 0 {
				t.Errorf("reply = %s, want a failed Subscribe reply", msgs[0].data)
			}
			if code, _, ok := closeOf(err); !ok || code != websocket.StatusPolicyViolation {
				t.Errorf("end = %v, want close 1008", err)
			}
		})
	}
}

// TestConnectRefused checks the tmpToken rules: single use, limited life,
// bound to the conference.
func TestConnectRefused(t *testing.T) {
	ctx := testCtx(t)
	script := &standin.Script{ConfID: "986512347", Steps: []standin.Step{text("t1")}}
	h := start(t, script, nil)
	ct := h.confToken(ctx, "", "")

	tmp, err := h.api.WSToken(ctx, h.id, ct.Token)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := h.dialTmp(ctx, ct.WSURL, h.id, tmp); err != nil {
		t.Fatalf("first use: %v", err)
	}
	if _, resp, err := h.dialTmp(ctx, ct.WSURL, h.id, tmp); err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("reused tmpToken: err %v, resp %v; want HTTP 401", err, resp)
	}

	// tmpWsToken from CreateConfToken is usable once too.
	if _, _, err := h.dialTmp(ctx, ct.WSURL, h.id, ct.TmpWSToken); err != nil {
		t.Errorf("tmpWsToken: %v", err)
	}

	tmp2, err := h.api.WSToken(ctx, h.id, ct.Token)
	if err != nil {
		t.Fatal(err)
	}
	if _, resp, err := h.dialTmp(ctx, ct.WSURL, "42", tmp2); err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong confID: err %v; want HTTP 401", err)
	}
	if _, resp, err := h.dialTmp(ctx, ct.WSURL, h.id, "made-up"); err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("unknown tmpToken: err %v; want HTTP 401", err)
	}

	// A server whose WebSocket tokens expire at once.
	h2 := start(t, script, &standin.ServerOptions{WSTokenLifetime: time.Nanosecond})
	ct2 := h2.confToken(ctx, "", "")
	tmp3, err := h2.api.WSToken(ctx, h2.id, ct2.Token)
	if err != nil {
		t.Fatal(err)
	}
	if _, resp, err := h2.dialTmp(ctx, ct2.WSURL, h2.id, tmp3); err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("expired tmpToken: err %v; want HTTP 401", err)
	}
}

// TestRESTErrors checks the REST answers byte for byte where the service's
// bodies are known.
func TestRESTErrors(t *testing.T) {
	ctx := testCtx(t)
	h := start(t, &standin.Script{ConfID: "986512347"}, &standin.ServerOptions{Password: "804122"})
	good := h.confToken(ctx, "804122", "")
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(good.Token.Reveal()))
	tokenURL := h.srv.URL + confctl.ConfTokenPath + "?conferenceID="
	wsTokenURL := h.srv.URL + confctl.WSTokenPath + "?conferenceID="
	passwordError := map[string]any{"error_code": "MMC.111070001", "error_msg": "password error"}
	notRunning := map[string]any{"error_code": confctl.MeetingNotRunningCode, "error_msg": "conference not exist or not running"}

	tests := []struct {
		name       string
		url        string
		hdr        map[string]string
		wantStatus int
		wantBody   map[string]any // nil: not compared
		wantToken  string         // for 200 from CreateConfToken: "same", "new"
	}{
		{"wrong_password", tokenURL + "986512347", map[string]string{"X-Login-Type": "1", "X-Password": "000000"}, 401, passwordError, ""},
		{"no_password", tokenURL + "986512347", map[string]string{"X-Login-Type": "1"}, 401, passwordError, ""},
		{"unknown_conference", tokenURL + "123", map[string]string{"X-Login-Type": "1", "X-Password": "804122"}, 400, notRunning, ""},
		{"keep_alive", tokenURL + "986512347", map[string]string{"X-Conference-Authorization": good.Token.Reveal()}, 200, nil, "same"},
		{"keep_alive_basic", tokenURL + "986512347", map[string]string{"X-Conference-Authorization": basic}, 200, nil, "same"},
		{"keep_alive_unknown_token", tokenURL + "986512347", map[string]string{"X-Conference-Authorization": "nope"}, 401, nil, ""},
		{"unknown_token_reauth", tokenURL + "986512347", map[string]string{"X-Conference-Authorization": "nope", "X-Password": "804122"}, 200, nil, "new"},
		{"wstoken_unknown_conference", wsTokenURL + "123", map[string]string{"X-Conference-Authorization": good.Token.Reveal()}, 400, notRunning, ""},
		{"wstoken_bad_token", wsTokenURL + "986512347", map[string]string{"X-Conference-Authorization": "nope"}, 401, nil, ""},
		{"wstoken_no_token", wsTokenURL + "986512347", nil, 401, nil, ""},
		{"wstoken_basic", wsTokenURL + "986512347", map[string]string{"X-Conference-Authorization": basic}, 200, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := getJSON(ctx, t, h.hc, tt.url, tt.hdr)
			if status != tt.wantStatus {
				t.Errorf("status %d, want %d (body %v)", status, tt.wantStatus, body)
			}
			if tt.wantBody != nil && !reflect.DeepEqual(body, tt.wantBody) {
				t.Errorf("body %v, want %v", body, tt.wantBody)
			}
			if status >= 400 {
				if _, ok := body["error_code"].(string); !ok {
					t.Errorf("error body %v has no error_code", body)
				}
			}
			if tt.wantToken != "" {
				data, _ := body["data"].(map[string]any)
				tok, _ := data["token"].(string)
				if same := tok == good.Token.Reveal(); same != (tt.wantToken == "same") || tok == "" {
					t.Errorf("token same=%v, want %s", same, tt.wantToken)
				}
				for _, k := range []string{"tmpWsToken", "wsURL", "role", "expireTime", "confTokenExpireTime", "supportNotifyType"} {
					if _, ok := data[k]; !ok {
						t.Errorf("data has no %s", k)
					}
				}
			}
		})
	}

	// confctl's client sees a wrong password as a 401 APIError.
	var apiErr *confctl.APIError
	if _, err := h.api.ConfToken(ctx, h.id, "000000", ""); !errors.As(err, &apiErr) || apiErr.Status != 401 || apiErr.Code != "MMC.111070001" {
		t.Errorf("ConfToken with a wrong password: %v", err)
	}
}

// TestSpacing checks that steps arrive in order and never before they are
// due. Only lower bounds are asserted: a loaded machine may be late, never
// early.
func TestSpacing(t *testing.T) {
	tests := []struct {
		name    string
		speed   float64
		offsets []time.Duration
	}{
		{"speed_1", 1, []time.Duration{0, 30 * time.Millisecond, 60 * time.Millisecond, 90 * time.Millisecond}},
		{"speed_10", 10, []time.Duration{0, 300 * time.Millisecond, 600 * time.Millisecond, 900 * time.Millisecond}},
		{"unordered_offsets", 1, []time.Duration{40 * time.Millisecond, 10 * time.Millisecond, 50 * time.Millisecond}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testCtx(t)
			s := &standin.Script{ConfID: "1"}
			for i, off := range tt.offsets {
				s.Steps = append(s.Steps, standin.Step{Offset: off, Kind: standin.StepText, Payload: []byte{'0' + byte(i)}})
			}
			h := start(t, s, &standin.ServerOptions{Speed: tt.speed})
			ct := h.confToken(ctx, "", "")
			began := time.Now() // before the connection is accepted, so before t0
			c := h.dial(ctx, ct)
			h.subscribe(ctx, c, "1", ct.Token)
			for i, off := range tt.offsets {
				expectText(ctx, t, c, []byte{'0' + byte(i)})
				elapsed := time.Since(began)
				due := time.Duration(float64(off) / tt.speed)
				if elapsed < due {
					t.Errorf("step %d arrived after %v, before it was due (%v)", i, elapsed, due)
				}
			}
		})
	}
}

func TestNewServerErrors(t *testing.T) {
	tests := []struct {
		name   string
		script *standin.Script
		opts   *standin.ServerOptions
		want   error
	}{
		{"nil_script", nil, nil, standin.ErrNoScript},
		{"no_conf_id", &standin.Script{}, nil, standin.ErrNoConfID},
		{"negative_speed", &standin.Script{ConfID: "1"}, &standin.ServerOptions{Speed: -1}, standin.ErrInvalidSpeed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, err := standin.NewServer([]*standin.Script{tt.script}, tt.opts)
			if err == nil {
				srv.Close()
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
	if _, err := standin.NewServer([]*standin.Script{{ConfID: "1"}}, &standin.ServerOptions{Addr: "256.0.0.1:http"}); err == nil ||
		!strings.Contains(err.Error(), "listen") {
		t.Errorf("bad address: %v", err)
	}
}

// TestCompression checks that permessage-deflate is used when the client
// offers it and that large frames arrive intact.
func TestCompression(t *testing.T) {
	ctx := testCtx(t)
	big := `{"action":"ParticipantsNotify","data":"` + strings.Repeat("abc", 2000) + `"}`
	h := start(t, &standin.Script{ConfID: "1", Steps: []standin.Step{text(big), text("small")}}, nil)
	ct := h.confToken(ctx, "", "")
	tmp, err := h.api.WSToken(ctx, h.id, ct.Token)
	if err != nil {
		t.Fatal(err)
	}
	c, resp, err := websocket.Dial(ctx, confctl.ConnectURL(ct.WSURL, h.id, tmp), &websocket.DialOptions{
		HTTPClient:      h.hc,
		CompressionMode: websocket.CompressionContextTakeover,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if ext := resp.Header.Get("Sec-WebSocket-Extensions"); !strings.Contains(ext, "permessage-deflate") {
		t.Errorf("extensions %q, want permessage-deflate", ext)
	}
	h.subscribe(ctx, c, "1", ct.Token)
	msgs, _ := readUntilEnd(ctx, c)
	if !reflect.DeepEqual(msgs, texts(big, "small")) {
		t.Errorf("received %d messages, not the script", len(msgs))
	}
}
