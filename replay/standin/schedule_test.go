package standin_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/confrec/confrec/confctl"
	"github.com/confrec/confrec/replay/standin"
)

// startSchedule starts a Server of NewScheduleServer and registers its
// Close. The harness's conference ID is the first meeting's; use as for
// another.
func startSchedule(t *testing.T, ms []standin.Scheduled, opts *standin.ServerOptions) *harness {
	t.Helper()
	srv, err := standin.NewScheduleServer(ms, opts)
	if err != nil {
		t.Fatalf("NewScheduleServer: %v", err)
	}
	tr := &http.Transport{}
	hc := &http.Client{Transport: tr}
	t.Cleanup(func() {
		srv.Close()
		tr.CloseIdleConnections()
	})
	return &harness{t: t, srv: srv, hc: hc, api: &confctl.Client{BaseURL: srv.URL, HTTPClient: hc}, id: ms[0].Script.ConfID}
}

// as returns a copy of h for conference id.
func (h *harness) as(id string) *harness {
	c := *h
	c.id = id
	return &c
}

// textScript returns a Script of conference id sending "<id>:<i>" at each
// offset.
func textScript(id string, offsets ...time.Duration) *standin.Script {
	s := &standin.Script{ConfID: id}
	for i, off := range offsets {
		s.Steps = append(s.Steps, standin.Step{Offset: off, Kind: standin.StepText, Payload: fmt.Appendf(nil, "%s:%d", id, i)})
	}
	return s
}

// TestScheduleLateJoin: every fresh token flow during a meeting gets every
// step from the first one, in order, byte for byte, however late it
// connects: the steps already due at once, the others when due.
func TestScheduleLateJoin(t *testing.T) {
	ctx := testCtx(t)
	offsets := []time.Duration{0, 0, 0, 20 * time.Millisecond, 40 * time.Millisecond, time.Hour}
	h := startSchedule(t, []standin.Scheduled{{Script: textScript("42", offsets...), Password: "804122"}}, &standin.ServerOptions{Speed: 1})
	for attempt := range 3 {
		// Each fresh token flow connects later than the one before, the
		// second one after every step but the last was due: it was still
		// reading them when the next started.
		ct := h.confToken(ctx, "804122", "")
		c := h.dial(ctx, ct)
		h.subscribe(ctx, c, "1", ct.Token)
		for i := range len(offsets) - 1 {
			expectText(ctx, t, c, fmt.Appendf(nil, "42:%d", i))
		}
		if err := c.CloseNow(); err != nil {
			t.Fatalf("flow %d: close: %v", attempt, err)
		}
	}
}

// TestScheduleNotRunning: before its start, after its end and for an
// unknown conference, the token calls and the push channel answer 400,
// meeting not running; a token taken while the meeting ran stops working
// when it ends.
func TestScheduleNotRunning(t *testing.T) {
	ctx := testCtx(t)
	h := startSchedule(t, []standin.Scheduled{
		{Script: textScript("100", 0, time.Hour)},
		{Script: textScript("200", 0, time.Hour), Start: time.Hour},
		{Script: textScript("300", 0)}, // ends as it starts
		{Script: textScript("400", 0, time.Second)},
	}, &standin.ServerOptions{Speed: 1})
	running := h.confToken(ctx, "", "")
	ending := h.as("400").confToken(ctx, "", "") // the meeting runs for 1s

	for _, tt := range []struct{ name, id string }{
		{"before_start", "200"},
		{"after_end", "300"},
		{"unknown", "999"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var apiErr *confctl.APIError
			_, err := h.api.ConfToken(ctx, tt.id, "", "")
			if !errors.As(err, &apiErr) || apiErr.Status != 400 || apiErr.Code != confctl.MeetingNotRunningCode {
				t.Errorf("ConfToken: %v, want HTTP 400 %s", err, confctl.MeetingNotRunningCode)
			}
			// A token of a running meeting does not open another.
			_, err = h.api.WSToken(ctx, tt.id, running.Token)
			if !errors.As(err, &apiErr) || apiErr.Status != 400 || apiErr.Code != confctl.MeetingNotRunningCode {
				t.Errorf("WSToken: %v, want HTTP 400 %s", err, confctl.MeetingNotRunningCode)
			}
		})
	}

	// Wait for meeting 400 to end: a fresh token flow is refused.
	for {
		_, err := h.api.ConfToken(ctx, "400", "", "")
		if errors.Is(err, confctl.ErrMeetingNotRunning) {
			break
		}
		if err != nil {
			t.Fatalf("ConfToken while meeting 400 runs: %v", err)
		}
		select {
		case <-ctx.Done():
			t.Fatal("meeting 400 never ended")
		case <-time.After(20 * time.Millisecond):
		}
	}
	h4 := h.as("400")
	if _, err := h4.api.ConfToken(ctx, "400", "", ending.Token); !errors.Is(err, confctl.ErrMeetingNotRunning) {
		t.Errorf("keep-alive after the end: %v, want meeting not running", err)
	}
	if _, err := h4.api.WSToken(ctx, "400", ending.Token); !errors.Is(err, confctl.ErrMeetingNotRunning) {
		t.Errorf("WSToken after the end: %v, want meeting not running", err)
	}
	_, resp, err := h4.dialTmp(ctx, ending.WSURL, "400", ending.TmpWSToken)
	if err == nil || resp == nil || resp.StatusCode != http.StatusBadRequest {
		t.Errorf("connect after the end: %v, HTTP %v; want HTTP 400", err, resp)
	}
	// Meeting 100 goes on.
	h.dial(ctx, running)
}

// TestSchedulePasswords: each meeting checks its own host password; one
// without falls back to ServerOptions.Password, then to any password.
func TestSchedulePasswords(t *testing.T) {
	ctx := testCtx(t)
	ms := []standin.Scheduled{
		{Script: textScript("1", time.Hour), Password: "pw-one"},
		{Script: textScript("2", time.Hour)},
	}
	withGlobal := startSchedule(t, ms, &standin.ServerOptions{Password: "pw-all", Speed: 1})
	without := startSchedule(t, ms, &standin.ServerOptions{Speed: 1})
	tests := []struct {
		name     string
		h        *harness
		id       string
		password confctl.Secret
		ok       bool
	}{
		{"own_password", withGlobal, "1", "pw-one", true},
		{"own_password_not_global", withGlobal, "1", "pw-all", false},
		{"own_password_missing", withGlobal, "1", "", false},
		{"global_password", withGlobal, "2", "pw-all", true},
		{"global_not_another_meetings", withGlobal, "2", "pw-one", false},
		{"own_password_no_global", without, "1", "pw-one", true},
		{"wrong_own_password_no_global", without, "1", "nope", false},
		{"no_password_at_all", without, "2", "anything", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.h.api.ConfToken(ctx, tt.id, tt.password, "")
			var apiErr *confctl.APIError
			switch {
			case tt.ok && err != nil:
				t.Errorf("ConfToken: %v, want a token", err)
			case !tt.ok && (!errors.As(err, &apiErr) || apiErr.Status != 401 || apiErr.Code != "MMC.111070001"):
				t.Errorf("ConfToken: %v, want HTTP 401 password error", err)
			}
		})
	}
}

func TestNewScheduleServerErrors(t *testing.T) {
	const key = "app-key-never-shown"
	ok := func(id string) standin.Scheduled { return standin.Scheduled{Script: textScript(id, 0)} }
	tests := []struct {
		name string
		ms   []standin.Scheduled
		opts *standin.ServerOptions
		want error
	}{
		{"none", nil, nil, standin.ErrNoScript},
		{"nil_script", []standin.Scheduled{{}}, nil, standin.ErrNoScript},
		{"no_conf_id", []standin.Scheduled{{Script: &standin.Script{}}}, nil, standin.ErrNoConfID},
		{"duplicate", []standin.Scheduled{ok("1"), ok("2"), ok("1")}, nil, standin.ErrDuplicateConfID},
		{"negative_start", []standin.Scheduled{{Script: textScript("1", 0), Start: -time.Second}}, nil, standin.ErrNegativeStart},
		{"negative_speed", []standin.Scheduled{ok("1")}, &standin.ServerOptions{Speed: -1}, standin.ErrInvalidSpeed},
		{"app_key_without_id", []standin.Scheduled{ok("1")}, &standin.ServerOptions{AppKey: key}, standin.ErrNoAppID},
		{"webhook_without_key", []standin.Scheduled{ok("1")}, &standin.ServerOptions{AppID: "a", WebhookURL: "http://127.0.0.1:9/"}, standin.ErrNoAppID},
		{"webhook_not_http", []standin.Scheduled{ok("1")}, &standin.ServerOptions{AppID: "a", AppKey: key, WebhookURL: "ftp://user:" + key + "@127.0.0.1/"}, standin.ErrInvalidWebhook},
		{"webhook_relative", []standin.Scheduled{ok("1")}, &standin.ServerOptions{AppID: "a", AppKey: key, WebhookURL: "/hook"}, standin.ErrInvalidWebhook},
		{"loss_above_1", []standin.Scheduled{ok("1")}, &standin.ServerOptions{WebhookLoss: 1.5}, standin.ErrInvalidWebhook},
		{"repeat_negative", []standin.Scheduled{ok("1")}, &standin.ServerOptions{WebhookRepeat: -0.1}, standin.ErrInvalidWebhook},
		{"loss_nan", []standin.Scheduled{ok("1")}, &standin.ServerOptions{WebhookLoss: math.NaN()}, standin.ErrInvalidWebhook},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, err := standin.NewScheduleServer(tt.ms, tt.opts)
			if err == nil {
				srv.Close()
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), key) {
				t.Errorf("error %q shows the App Key", err)
			}
		})
	}
}

// TestServeSchedule: ServeSchedule serves until its context is done.
func TestServeSchedule(t *testing.T) {
	ctx, cancel := context.WithCancel(testCtx(t))
	urls := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- standin.ServeSchedule(ctx, []standin.Scheduled{{Script: textScript("7", time.Hour)}}, &standin.ServerOptions{Speed: 1},
			func(url string) { urls <- url })
	}()
	var url string
	select {
	case url = <-urls:
	case err := <-done:
		t.Fatalf("ServeSchedule returned before ready: %v", err)
	}
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	api := &confctl.Client{BaseURL: url, HTTPClient: &http.Client{Transport: tr}}
	if _, err := api.ConfToken(ctx, "7", "", ""); err != nil {
		t.Errorf("ConfToken: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("ServeSchedule: %v", err)
	}
	if err := standin.ServeSchedule(testCtx(t), nil, nil, nil); !errors.Is(err, standin.ErrNoScript) {
		t.Errorf("ServeSchedule without meetings: %v", err)
	}
}
