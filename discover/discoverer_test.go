package discover_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/confrec/confrec/confctl"
	"github.com/confrec/confrec/discover"
	"github.com/confrec/confrec/replay/standin"
	"github.com/confrec/confrec/store"
)

const (
	appID  = "discover-test"
	appKey = confctl.Secret("discover-test-key-58c1")
)

// script is a meeting of a few frames that then stays open for d.
func script(id string, d time.Duration) *standin.Script {
	return &standin.Script{ConfID: id, Steps: []standin.Step{
		{Kind: standin.StepText, Payload: []byte(`{"action":"ConfBasicInfoNotify","confID":"` + id + `","data":{"subject":"x"}}`)},
		{Offset: d, Kind: standin.StepText, Payload: []byte(`{"action":"ConfDynamicInfoNotify","confID":"` + id + `","data":{"state":"Destroyed"}}`)},
		{Offset: d, Kind: standin.StepClose, CloseCode: 1000},
	}}
}

// enterprise serves meetings, each with its password listed, on loopback.
func enterprise(t *testing.T, meetings []standin.Scheduled) *standin.Server {
	t.Helper()
	for i := range meetings {
		meetings[i].Password = confctl.Secret("pw-" + meetings[i].Script.ConfID)
		meetings[i].PasswordListed = true
	}
	srv, err := standin.NewScheduleServer(meetings, &standin.ServerOptions{Speed: 1, AppID: appID, AppKey: appKey})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

// openStore opens a new store in t's directory, closed at cleanup.
func openStore(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "db"), &store.Options{FlushInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// run runs d until the returned stop is called, which waits for Run.
func run(t *testing.T, d *discover.Discoverer) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	var err error
	var wg sync.WaitGroup
	wg.Go(func() { err = d.Run(ctx) })
	return func() error { cancel(); wg.Wait(); return err }
}

// waitRecording waits until d records exactly want (sorted), at most 5 s.
func waitRecording(t *testing.T, d *discover.Discoverer, want []string) {
	t.Helper()
	var got []string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		got = d.Recording()
		slices.Sort(got)
		if slices.Equal(got, want) && d.Ready() == nil {
			return
		}
	}
	t.Fatalf("recording %v, want %v (ready: %v)", got, want, d.Ready())
}

// TestFilters: the subject and organizer filters select what is recorded.
func TestFilters(t *testing.T) {
	t.Parallel()
	meetings := []standin.Scheduled{
		{Script: script("101", time.Minute), Subject: "Board meeting", Organizer: "Ann Ito"},
		{Script: script("102", time.Minute), Subject: "Board review", Organizer: "Lee Park"},
		{Script: script("103", time.Minute), Subject: "Stand-up", Organizer: "Ann Ito"},
		{Script: script("104", time.Minute), Subject: "Board (HR, private)", Organizer: "Ann Ito"},
	}
	srv := enterprise(t, meetings)
	tests := []struct {
		name string
		opts discover.Options
		want []string
	}{
		{"none", discover.Options{}, []string{"101", "102", "103", "104"}},
		{"include subject", discover.Options{IncludeSubject: regexp.MustCompile(`^Board`)}, []string{"101", "102", "104"}},
		{"include and exclude subject", discover.Options{IncludeSubject: regexp.MustCompile(`^Board`),
			ExcludeSubject: regexp.MustCompile(`(?i)private`)}, []string{"101", "102"}},
		{"organizer", discover.Options{IncludeOrganizer: regexp.MustCompile(`Ann`),
			ExcludeOrganizer: regexp.MustCompile(`^Lee`)}, []string{"101", "103", "104"}},
		{"exclude organizer", discover.Options{ExcludeOrganizer: regexp.MustCompile(`Ito$`)}, []string{"102"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o := tt.opts
			o.APIURL, o.AppID, o.AppKey, o.Poll = srv.URL, appID, appKey, time.Hour
			d, err := discover.New(openStore(t), o)
			if err != nil {
				t.Fatal(err)
			}
			stop := run(t, d)
			waitRecording(t, d, tt.want)
			if err := stop(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestWebhookVerify: a meeting.verify callback is answered with its event
// and nonce; a GET is refused.
func TestWebhookVerify(t *testing.T) {
	t.Parallel()
	srv := enterprise(t, []standin.Scheduled{{Script: script("201", time.Minute)}})
	d, err := discover.New(openStore(t), discover.Options{APIURL: srv.URL, AppID: appID, AppKey: appKey})
	if err != nil {
		t.Fatal(err)
	}
	hook := httptest.NewServer(d.WebhookHandler())
	defer hook.Close()
	body := confctl.NewCallback(appKey, appID, "nonce-verify-0123456789abcdef012", confctl.EventVerify, "", time.Now())
	resp, err := http.Post(hook.URL, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var answer struct{ Event, Nonce string }
	err = json.NewDecoder(resp.Body).Decode(&answer)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || answer.Event != confctl.EventVerify || answer.Nonce != "nonce-verify-0123456789abcdef012" {
		t.Errorf("verify: HTTP %d, answer %+v, err %v", resp.StatusCode, answer, err)
	}
	resp, err = http.Get(hook.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: HTTP %d, want 405", resp.StatusCode)
	}
}

// TestNewInvalid: New refuses options without an App ID or key, or with an
// API URL that is not http or https.
func TestNewInvalid(t *testing.T) {
	t.Parallel()
	db := openStore(t)
	for _, o := range []discover.Options{
		{AppKey: appKey},
		{AppID: appID},
		{AppID: appID, AppKey: appKey, APIURL: "ftp://example.invalid"},
	} {
		if _, err := discover.New(db, o); err == nil {
			t.Errorf("New(%+v) succeeded", o)
		}
	}
}

// ExampleNew records every meeting a stand-in enterprise runs, found
// through its online list.
func ExampleNew() {
	srv, err := standin.NewScheduleServer([]standin.Scheduled{
		{Script: script("986512347", time.Minute), Subject: "Q1 Roadmap Sync", Password: "chair-pw", PasswordListed: true},
	}, &standin.ServerOptions{Speed: 1, AppID: "my-app", AppKey: "my-app-key"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	dir, err := os.MkdirTemp("", "discover-example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	db, err := store.Open(filepath.Join(dir, "confrec.db"), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()

	d, err := discover.New(db, discover.Options{APIURL: srv.URL, AppID: "my-app", AppKey: "my-app-key", Poll: time.Second})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- d.Run(ctx) }()
	for len(d.Recording()) == 0 {
		time.Sleep(10 * time.Millisecond)
	}
	fmt.Println("recording", d.Recording())
	cancel()
	fmt.Println("run:", <-done)
	// Output:
	// recording [986512347]
	// run: <nil>
}
