package cli

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/confrec/confrec/confctl"
)

// callbacks is a webhook endpoint on loopback that keeps the callbacks
// whose signature checks with testAppKey, and counts the others.
type callbacks struct {
	mu    sync.Mutex
	got   []confctl.Callback
	bad   int
	more  chan struct{}
	tsURL string
}

func newCallbacks(t *testing.T) *callbacks {
	cb := &callbacks{more: make(chan struct{}, 1)}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		c, err := confctl.ParseCallback(b)
		if err == nil {
			err = c.Check(testAppKey, testAppID, time.Now(), time.Minute)
		}
		cb.mu.Lock()
		if err != nil {
			cb.bad++
		} else {
			cb.got = append(cb.got, c)
		}
		cb.mu.Unlock()
		select {
		case cb.more <- struct{}{}:
		default:
		}
	}))
	t.Cleanup(ts.Close)
	cb.tsURL = ts.URL
	return cb
}

// waitFor waits until a callback of event for meeting has come.
func (cb *callbacks) waitFor(t *testing.T, event, meeting string) {
	t.Helper()
	deadline := time.After(time.Minute)
	for {
		cb.mu.Lock()
		for _, c := range cb.got {
			if c.Event == event && c.MeetingID == meeting {
				cb.mu.Unlock()
				return
			}
		}
		n, bad := len(cb.got), cb.bad
		cb.mu.Unlock()
		select {
		case <-cb.more:
		case <-deadline:
			t.Fatalf("no %s callback of %q among %d (and %d badly signed)", event, meeting, n, bad)
		}
	}
}

// TestServeSchedule runs `replay serve --schedule` with the management APIs
// and a webhook: the online list shows the running meeting only, with the
// password it lists; record joins it late (a second after its start, at
// speed 60) and still records every frame of the scenario, in order, byte
// for byte; the webhook gets meeting.verify, meeting.started and
// meeting.end, signed with the App Key.
func TestServeSchedule(t *testing.T) {
	t.Parallel()
	// A recorded meeting for the schedule's "recorded" line.
	db := filepath.Join(t.TempDir(), "recorded.db")
	short := startServe(t, serveEnv(), "--scenario", testdata("scenario-short.jsonl"), "--speed", "0")
	mustRun(t, recordEnv(), "--db", db, "record", "--conf-id", "555000111", "--api-url", short.URL)

	dir := t.TempDir()
	scenario, err := os.ReadFile(testdata("scenario-basic.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "scenarios"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "scenarios", "basic.jsonl"), scenario, 0o600); err != nil {
		t.Fatal(err)
	}
	schedule := filepath.Join(dir, "schedule.jsonl")
	if err := os.WriteFile(schedule, []byte(`# two meetings
{"conf_id":"986512347","scenario":"scenarios/basic.jsonl","password":"`+testPassword+`","subject":"Q1 Roadmap Sync","organizer":"Dana","password_listed":true}
{"conf_id":"986512399","start":"1h","recorded":"555000111","password":"another-pw-1234"}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	keyFile := writeFile(t, "app-key", testAppKey+"\n")
	hooks := newCallbacks(t)
	srv := startServe(t, nil, "--db", db, "--schedule", schedule, "--speed", "60",
		"--app-id", testAppID, "--app-key-file", keyFile, "--webhook-url", hooks.tsURL)

	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	api := &confctl.Client{BaseURL: srv.URL, HTTPClient: &http.Client{Transport: tr}}
	tok, err := api.AppAuth(ctx, testAppID, testAppKey, "")
	if err != nil {
		t.Fatalf("AppAuth: %v", err)
	}
	page, err := api.OnlineMeetings(ctx, tok.Token, 0, 20)
	if err != nil {
		t.Fatalf("OnlineMeetings: %v", err)
	}
	if len(page.Meetings) != 1 || page.Meetings[0].ConferenceID != "986512347" || page.Meetings[0].Subject != "Q1 Roadmap Sync" ||
		page.Meetings[0].ChairPassword() != testPassword {
		t.Fatalf("online meetings %+v, want 986512347 with its subject and chair password", page.Meetings)
	}
	if _, err := api.ConfToken(ctx, "986512399", "another-pw-1234", ""); !errors.Is(err, confctl.ErrMeetingNotRunning) {
		t.Errorf("the meeting of an hour from now: %v, want meeting not running", err)
	}
	if _, err := api.AppAuth(ctx, testAppID, "not-the-key", ""); err == nil {
		t.Error("AppAuth with a wrong key succeeded")
	}
	hooks.waitFor(t, confctl.EventVerify, "")
	hooks.waitFor(t, confctl.EventStarted, "986512347")

	// Join a second late, as a recorder that started late or crashed.
	select {
	case <-time.After(time.Second):
	case <-ctx.Done():
		t.Fatal(ctx.Err())
	}
	rec := filepath.Join(t.TempDir(), "rec.db")
	mustRun(t, recordEnv(), "--db", rec, "record", "--conf-id", "986512347", "--api-url", srv.URL)
	want := scenarioInFrames(t, testdata("scenario-basic.jsonl"))
	samePayloads(t, notifications(t, exported(t, rec, "986512347")), want)
	hooks.waitFor(t, confctl.EventEnd, "986512347")
	if _, err := api.ConfToken(ctx, "986512347", testPassword, ""); !errors.Is(err, confctl.ErrMeetingNotRunning) {
		t.Errorf("after meeting.end: %v, want meeting not running", err)
	}
	hooks.mu.Lock()
	defer hooks.mu.Unlock()
	if hooks.bad != 0 {
		t.Errorf("%d callbacks were not signed with the App Key", hooks.bad)
	}
	var events []string
	for _, c := range hooks.got {
		events = append(events, c.Event+" "+c.MeetingID)
	}
	if wantEvents := []string{"meeting.verify ", "meeting.started 986512347", "meeting.end 986512347"}; !reflect.DeepEqual(events, wantEvents) {
		t.Errorf("callbacks %q, want %q", events, wantEvents)
	}
}

// TestServeScheduleRefused: the command lines and schedules replay serve
// --schedule refuses, each with one line naming the problem and no secret.
func TestServeScheduleRefused(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	scenario := testdata("scenario-short.jsonl")
	line := func(id, extra string) string {
		return `{"conf_id":"` + id + `","scenario":"` + scenario + `"` + extra + "}\n"
	}
	secret := "pw-never-shown-0b9f"
	someUnprotected := write("some.jsonl", line("1", `,"password":"`+secret+`"`)+line("2", ""))
	bad := write("bad.jsonl", line("1", "")+`{"conf_id":"2","scenario":"x.jsonl","password":"`+secret+`","speed":2}`+"\n")
	missing := write("missing.jsonl", line("1", "")+`{"conf_id":"2","scenario":"no-such.jsonl"}`+"\n")
	empty := write("empty.jsonl", "# nothing\n")
	keyFile := write("key", testAppKey+"\n")
	tests := []struct {
		name string
		env  []string
		args []string
		code int
		want []string // in the one line of stderr
	}{
		{"with a CONFID", nil, []string{"--schedule", someUnprotected, "123"}, 2, []string{"--schedule"}},
		{"with --scenario", nil, []string{"--schedule", someUnprotected, "--scenario", scenario}, 2, []string{"--schedule"}},
		{"speed 0", nil, []string{"--schedule", someUnprotected, "--speed", "0"}, 2, []string{"--speed"}},
		{"reachable, a meeting without password", nil, []string{"--schedule", someUnprotected, "--listen", "0.0.0.0:0"}, 2,
			[]string{"--listen", "--password-file", "--no-password", `"password"`}},
		{"unknown member", nil, []string{"--schedule", bad}, 1, []string{"schedule line 2", `"speed"`}},
		{"missing scenario", nil, []string{"--schedule", missing}, 1, []string{"schedule line 2", "no-such.jsonl"}},
		{"no meeting", nil, []string{"--schedule", empty}, 1, []string{"no meeting"}},
		{"missing schedule", nil, []string{"--schedule", filepath.Join(dir, "none.jsonl")}, 1, []string{"open schedule"}},
		{"app key without app id", nil, []string{"--schedule", someUnprotected, "--app-key-file", keyFile}, 2, []string{"--app-id"}},
		{"app id without key", nil, []string{"--schedule", someUnprotected, "--app-id", testAppID}, 2, []string{"--app-key-file", "CONFREC_APP_KEY"}},
		{"webhook without app", nil, []string{"--schedule", someUnprotected, "--webhook-url", "http://127.0.0.1:9/"}, 2, []string{"--webhook-url", "--app-id"}},
		{"webhook not http", []string{"CONFREC_APP_KEY=" + testAppKey}, []string{"--schedule", someUnprotected, "--app-id", testAppID,
			"--webhook-url", "ftp://user:" + secret + "@127.0.0.1/"}, 2, []string{"--webhook-url"}},
		{"webhook loss above 1", nil, []string{"--schedule", someUnprotected, "--webhook-loss", "1.5"}, 2, []string{"--webhook-loss"}},
		{"webhook repeat without url", nil, []string{"--schedule", someUnprotected, "--webhook-repeat", "0.5"}, 2, []string{"--webhook-url"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := run(t, tt.env, append([]string{"replay", "serve"}, tt.args...)...)
			msg := strings.TrimSpace(r.stderr)
			if r.code != tt.code || strings.Contains(msg, "\n") {
				t.Errorf("exit %d, stderr %q; want exit %d and one line", r.code, r.stderr, tt.code)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("stderr %q does not name %s", msg, w)
				}
			}
			if strings.Contains(r.stderr+r.stdout, secret) || strings.Contains(r.stderr+r.stdout, testAppKey) {
				t.Errorf("output shows a secret: %q", r.stderr)
			}
			if strings.Contains(r.stdout, "listening on") {
				t.Errorf("it listened: %q", r.stdout)
			}
		})
	}

	// Every meeting with its own password: other hosts may connect.
	t.Run("reachable, every meeting with a password", func(t *testing.T) {
		t.Parallel()
		every := write("every.jsonl", line("1", `,"password":"`+secret+`"`)+line("2", `,"password":"`+secret+`-2"`))
		srv := startServe(t, nil, "--schedule", every, "--listen", "0.0.0.0:0")
		port := srv.URL[strings.LastIndexByte(srv.URL, ':')+1:]
		tr := &http.Transport{}
		defer tr.CloseIdleConnections()
		api := &confctl.Client{BaseURL: "http://127.0.0.1:" + port, HTTPClient: &http.Client{Transport: tr}}
		_, err := api.ConfToken(t.Context(), "1", "wrong", "")
		var apiErr *confctl.APIError
		if !errors.As(err, &apiErr) || apiErr.Status != http.StatusUnauthorized {
			t.Errorf("a wrong password: %v, want HTTP 401", err)
		}
	})
}
