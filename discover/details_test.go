package discover_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/confrec/confrec/confctl"
	"github.com/confrec/confrec/discover"
	"github.com/confrec/confrec/store"
)

// managementAPI is a management API whose online list and meeting details
// a test writes; it counts the calls of each path, the token API's under
// "other".
type managementAPI struct {
	*httptest.Server
	list   func(poll int) []confctl.ConferenceInfo
	detail func(id string) confctl.ConferenceInfo

	mu    sync.Mutex
	calls map[string]int
}

func startManagementAPI(t *testing.T) *managementAPI {
	t.Helper()
	a := &managementAPI{calls: map[string]int{}}
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		path := r.URL.Path
		switch path {
		case confctl.AppAuthPath, confctl.OnlineMeetingsPath, confctl.OnlineConfDetailPath:
		default:
			path = "other"
		}
		a.calls[path]++
		polls := a.calls[confctl.OnlineMeetingsPath]
		a.mu.Unlock()
		switch path {
		case confctl.AppAuthPath:
			json.NewEncoder(w).Encode(map[string]any{"accessToken": "access-token-0123456789", "validPeriod": 3600})
		case confctl.OnlineMeetingsPath:
			offset, _ := strconv.Atoi(r.URL.Query().Get("offset"))
			var data []json.RawMessage
			if offset == 0 {
				for _, ci := range a.list(polls) {
					data = append(data, confctl.EncodeConferenceInfo(ci))
				}
			}
			json.NewEncoder(w).Encode(map[string]any{"offset": offset, "count": len(data), "data": data})
		case confctl.OnlineConfDetailPath:
			ci := a.detail(r.URL.Query().Get("conferenceID"))
			json.NewEncoder(w).Encode(map[string]any{"conferenceData": confctl.EncodeConferenceInfo(ci)})
		default:
			http.Error(w, "not here", http.StatusNotFound)
		}
	}))
	t.Cleanup(a.Close)
	return a
}

func (a *managementAPI) count(path string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.calls[path]
}

// running is a meeting in "Created", with the host password listed if pw
// is not empty.
func running(id, confUUID, pw string) confctl.ConferenceInfo {
	ci := confctl.ConferenceInfo{ConferenceID: id, ConfUUID: confUUID, State: confctl.StateCreated, Subject: "Meeting " + id}
	if pw != "" {
		ci.PasswordEntry = []confctl.PasswordEntry{{Role: "chair", Password: confctl.Secret(pw)}}
	}
	return ci
}

// newDiscoverer returns a Discoverer of a and its log.
func newDiscoverer(t *testing.T, a *managementAPI, poll time.Duration) (*discover.Discoverer, *syncBuffer) {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "d.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	logs := &syncBuffer{}
	d, err := discover.New(db, discover.Options{APIURL: a.URL, AppID: "app", AppKey: "app-key-0123", Poll: poll,
		Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return d, logs
}

// runFor runs d for dur.
func runFor(t *testing.T, d *discover.Discoverer, dur time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), dur)
	defer cancel()
	if err := d.Run(ctx); err != nil {
		t.Fatal(err)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestUnrecordableDetailsOncePerRun: a meeting with no host password
// anywhere has its details asked once per run (confUUID), not at every
// poll: with a thousand such meetings, a poll would be a thousand calls.
func TestUnrecordableDetailsOncePerRun(t *testing.T) {
	t.Parallel()
	a := startManagementAPI(t)
	a.list = func(poll int) []confctl.ConferenceInfo {
		third := "uuid-3"
		if poll > 5 {
			third = "uuid-3-again" // the meeting room's next run
		}
		return []confctl.ConferenceInfo{running("1", "uuid-1", ""), running("2", "uuid-2", ""), running("3", third, "")}
	}
	a.detail = func(id string) confctl.ConferenceInfo { return running(id, "", "") }
	d, logs := newDiscoverer(t, a, 20*time.Millisecond)
	runFor(t, d, 400*time.Millisecond)
	if polls := a.count(confctl.OnlineMeetingsPath); polls < 8 {
		t.Fatalf("%d polls, want 8 or more", polls)
	}
	if got := a.count(confctl.OnlineConfDetailPath); got != 4 {
		t.Errorf("%d detail calls, want 4: one for each of the 3 meetings, and one for the new run of one", got)
	}
	if a.count("other") != 0 {
		t.Errorf("a meeting without a password was recorded:\n%s", logs)
	}
}

// TestWebhookStartedAsksDetailsOnce: a meeting.started callback for a
// meeting without a password reads its details once, not a second time to
// look for the password there.
func TestWebhookStartedAsksDetailsOnce(t *testing.T) {
	t.Parallel()
	a := startManagementAPI(t)
	a.list = func(int) []confctl.ConferenceInfo { return nil }
	a.detail = func(id string) confctl.ConferenceInfo { return running(id, "uuid-"+id, "") }
	d, logs := newDiscoverer(t, a, time.Hour)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	body := confctl.NewCallback("app-key-0123", "app", "nonce-0123456789abcdef0123456789ab", confctl.EventStarted, "42", time.Now())
	w := httptest.NewRecorder()
	d.WebhookHandler().ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/hook", bytes.NewReader(body)))
	if w.Code != http.StatusOK {
		t.Fatalf("callback answered %d: %s", w.Code, w.Body)
	}
	for deadline := time.Now().Add(10 * time.Second); !bytes.Contains([]byte(logs.String()), []byte("meeting cannot be recorded")); {
		if time.Now().After(deadline) {
			t.Fatalf("the meeting was never found unrecordable:\n%s", logs)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := a.count(confctl.OnlineConfDetailPath); got != 1 {
		t.Errorf("%d detail calls for one callback, want 1", got)
	}
}

// TestDetailsOfAnotherMeeting: details that name another meeting do not
// give their host password to the meeting asked about.
func TestDetailsOfAnotherMeeting(t *testing.T) {
	t.Parallel()
	a := startManagementAPI(t)
	a.list = func(int) []confctl.ConferenceInfo { return []confctl.ConferenceInfo{running("1", "uuid-1", "")} }
	a.detail = func(string) confctl.ConferenceInfo { return running("999", "uuid-999", "pw-of-999") }
	d, logs := newDiscoverer(t, a, time.Hour)
	runFor(t, d, 300*time.Millisecond)
	if a.count("other") != 0 {
		t.Errorf("meeting 1 was recorded with another meeting's password:\n%s", logs)
	}
	if !bytes.Contains([]byte(logs.String()), []byte("answered its details with another meeting's")) {
		t.Errorf("the log does not say why meeting 1 cannot be recorded:\n%s", logs)
	}
}

// TestOddMeetingIDsLoggedOncePerPoll: meetings whose IDs the store cannot
// hold (a control character, too long) are skipped with one log line a
// poll, not one each: a list of many would flood the log at every poll.
func TestOddMeetingIDsLoggedOncePerPoll(t *testing.T) {
	t.Parallel()
	a := startManagementAPI(t)
	a.list = func(int) []confctl.ConferenceInfo {
		var l []confctl.ConferenceInfo
		for i := range 100 {
			l = append(l, running(fmt.Sprintf("1\n%d", i), "uuid", "pw-odd"), running(strings.Repeat("9", 200)+fmt.Sprint(i), "uuid", "pw-odd"))
		}
		return l
	}
	a.detail = func(id string) confctl.ConferenceInfo { return running(id, "uuid", "") }
	d, logs := newDiscoverer(t, a, 20*time.Millisecond)
	runFor(t, d, 200*time.Millisecond)
	polls := a.count(confctl.OnlineMeetingsPath)
	lines := strings.Count(logs.String(), "\n")
	if lines > polls+2 {
		t.Errorf("%d log lines for %d polls, want one a poll:\n%s", lines, polls, tail(logs.String(), 5))
	}
	if a.count("other") != 0 || a.count(confctl.OnlineConfDetailPath) != 0 {
		t.Errorf("a meeting with an odd ID was looked up or recorded")
	}
}

func tail(s string, n int) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(l[max(0, len(l)-n):], "\n")
}

// TestStalledManagementCall: an online list that never answers fails the
// poll after Record.RequestTimeout, so that /readyz says so and the next
// poll tries again, instead of stalling the discovery for good.
func TestStalledManagementCall(t *testing.T) {
	t.Parallel()
	stalled := make(chan struct{})
	var polls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case confctl.AppAuthPath:
			json.NewEncoder(w).Encode(map[string]any{"accessToken": "access-token-0123456789", "validPeriod": 3600})
		case confctl.OnlineMeetingsPath:
			if polls.Add(1) == 2 {
				select { // the second poll's answer never comes
				case <-stalled:
				case <-r.Context().Done():
				}
				return
			}
			json.NewEncoder(w).Encode(map[string]any{"offset": 0, "count": 0, "data": []any{}})
		}
	}))
	defer srv.Close()
	defer close(stalled)
	db, err := store.Open(filepath.Join(t.TempDir(), "d.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	obs := &pollObserver{}
	opts := discover.Options{APIURL: srv.URL, AppID: "app", AppKey: "app-key-0123", Poll: 50 * time.Millisecond, Observer: obs}
	opts.Record.RequestTimeout = 200 * time.Millisecond
	d, err := discover.New(db, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline) && len(obs.results()) < 3; {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	got := obs.results()
	if len(got) < 3 || got[0] != "" || !strings.Contains(got[1], "no answer within 200ms") || got[2] != "" {
		t.Errorf("polls ended with %q; want a success, a failure saying \"no answer within 200ms\", a success", got)
	}
}

// pollObserver keeps each poll's error text ("" for none).
type pollObserver struct {
	mu    sync.Mutex
	polls []string
}

func (o *pollObserver) DiscoveryPoll(err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	s := ""
	if err != nil {
		s = err.Error()
	}
	o.polls = append(o.polls, s)
}

func (o *pollObserver) results() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.polls)
}

func (o *pollObserver) TokenFailure(string) {}
func (o *pollObserver) SetRecording(int)    {}
func (o *pollObserver) SetUnrecordable(int) {}

// TestRefusedCallbacksLogged: refused callbacks, which anyone reaching the
// webhook address can send, are logged once a minute with their number,
// not once each.
func TestRefusedCallbacksLogged(t *testing.T) {
	t.Parallel()
	a := startManagementAPI(t)
	d, logs := newDiscoverer(t, a, time.Hour)
	h := d.WebhookHandler()
	for i := range 200 {
		body := confctl.NewCallback("not-the-key", "app", fmt.Sprintf("nonce-%032d", i), confctl.EventStarted, "42", time.Now())
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/hook", bytes.NewReader(body)))
		if w.Code != http.StatusUnauthorized {
			t.Fatalf("forged callback answered %d", w.Code)
		}
	}
	if n := strings.Count(logs.String(), "webhook callback refused"); n != 1 {
		t.Errorf("200 forged callbacks logged %d times, want once:\n%s", n, tail(logs.String(), 3))
	}
}

// TestAppAuthFailureSaidOnce: a failed App ID authentication fails the
// poll with one clear line that names the call once.
func TestAppAuthFailureSaidOnce(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"error_code":"USG.000000001","error_msg":"down for maintenance"}`, http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	d, _ := newDiscoverer(t, &managementAPI{Server: srv}, time.Hour)
	runFor(t, d, 300*time.Millisecond)
	err := d.Ready()
	if err == nil || strings.Count(err.Error(), "app ID authentication") != 1 || strings.Contains(err.Error(), "\n") {
		t.Errorf("Ready() = %v, want one line naming the app ID authentication once", err)
	}
}
