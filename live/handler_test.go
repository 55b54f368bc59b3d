package live_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/confrec/confrec/live"
	"github.com/confrec/confrec/store"
)

// serve serves a live Handler of db until cleanup, and returns it with its
// base URL.
func serve(t *testing.T, db *store.DB, opts *live.Options) (*live.Handler, string) {
	t.Helper()
	h := live.NewHandler(db, opts)
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		if err := h.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		srv.Close()
	})
	return h, srv.URL
}

// fakeReport is a report writer that says which meeting it was given.
func fakeReport(_ context.Context, w io.Writer, db *store.DB, id string) error {
	m, err := db.Meeting(id)
	if err != nil {
		return err
	}
	_, err = io.WriteString(w, "<!DOCTYPE html><title>report</title>"+id+" "+m.Sessions[0].Reason)
	return err
}

func get(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	resp, err := client.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// TestLiveMeeting follows a meeting while it is written: a page of the
// meeting sees who joins and leaves, the lanes grow by what changed only,
// the list shows the meeting while it is recorded and among the recorded
// once its session ends, and then its report opens.
func TestLiveMeeting(t *testing.T) {
	db := openStore(t)
	m := startMeeting(t, db, confID)
	m.title("Stand-up <b>&</b>")
	m.join("p-ann", "Ann")
	_, base := serve(t, db, &live.Options{Interval: 10 * time.Millisecond, Report: fakeReport})

	list := openStream(t, base+"/events")
	list.next("list", has(`"recording":[{"id":"555000111"`, `"present":1`))
	page := openStream(t, base+"/events?meeting="+confID)
	page.next("meeting", has(`"title":"Stand-up \u003cb\u003e\u0026\u003c/b\u003e"`, `"name":"Ann"`))
	page.next("lanes", has(`"reset":true`, `"i":0,"pid":"p-ann"`))

	m.join("p-zoe", "Zoë")
	page.next("meeting", has(`"name":"Zoë"`))
	lanes := page.next("lanes", has(`"pid":"p-zoe"`))
	var v struct {
		Reset     bool
		Intervals []struct {
			I      int
			PID    string
			Left   int64
			Joined int64
			Name   string
		}
	}
	if err := json.Unmarshal([]byte(lanes), &v); err != nil {
		t.Fatal(err)
	}
	if v.Reset || len(v.Intervals) != 1 || v.Intervals[0].I != 1 || v.Intervals[0].Left != 0 {
		t.Errorf("lanes after a join: %s, want only the new open interval", lanes)
	}

	m.speak("p-zoe", "Zoë")
	page.next("meeting", has(`"speakers":["Zoë"]`, `"ranking":[{"pid":"p-zoe"`))
	m.leave("p-zoe")
	page.next("meeting", func(d string) bool {
		return !strings.Contains(d, `"name":"Zoë","role"`) && strings.Contains(d, `"ranking":[{"pid":"p-zoe"`)
	})
	page.next("lanes", has(`"i":1,"pid":"p-zoe"`, `"left":`+itoa(m.at.UnixMilli())))

	// A recording meeting's report is its live view.
	noRedirect := &http.Client{Transport: client.Transport, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get(base + "/report/" + confID)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/meeting/"+confID {
		t.Errorf("report while recording: %s to %q", resp.Status, resp.Header.Get("Location"))
	}

	m.end()
	page.next("meeting", has(`"recording":false`))
	list.next("list", has(`"recording":[]`, `"recorded":[{"id":"555000111"`, `meeting-ended (1000)`))
	resp, body := get(t, base+"/report/"+confID)
	if resp.StatusCode != http.StatusOK || body != "<!DOCTYPE html><title>report</title>555000111 meeting-ended" {
		t.Errorf("report: %s %q", resp.Status, body)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.HasPrefix(csp, "default-src 'none'") {
		t.Errorf("report's CSP %q", csp)
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

// TestPageFiles: the page and its files are served with a CSP that lets
// it load nothing from elsewhere; unknown meetings and reports are 404.
func TestPageFiles(t *testing.T) {
	db := openStore(t)
	startMeeting(t, db, confID).join("p-ann", "Ann")
	_, base := serve(t, db, nil)
	for path, want := range map[string]string{
		"/":                  "text/html; charset=utf-8",
		"/meeting/" + confID: "text/html; charset=utf-8",
		"/live.js":           "text/javascript; charset=utf-8",
		"/live.css":          "text/css; charset=utf-8",
		"/favicon.svg":       "image/svg+xml",
	} {
		resp, body := get(t, base+path)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != want || body == "" {
			t.Errorf("GET %s: %s %q", path, resp.Status, resp.Header.Get("Content-Type"))
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.HasPrefix(csp, "default-src 'self';") {
			t.Errorf("GET %s: CSP %q", path, csp)
		}
	}
	for _, path := range []string{"/meeting/404000404", "/report/404000404", "/report/" + confID, "/nothing"} {
		if resp, _ := get(t, base+path); resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusSeeOther {
			t.Errorf("GET %s: %s, want 404", path, resp.Status)
		}
	}
}

// TestDisconnectAndClose: a page that goes away leaves no goroutine
// behind, and Close ends the streams still open.
func TestDisconnectAndClose(t *testing.T) {
	db := openStore(t)
	m := startMeeting(t, db, confID)
	m.join("p-ann", "Ann")
	h := live.NewHandler(db, &live.Options{Interval: time.Millisecond})
	srv := httptest.NewServer(h)
	defer srv.Close()
	before := goleak.IgnoreCurrent()

	s := openStream(t, srv.URL+"/events?meeting="+confID)
	s.next("lanes", has(`"reset":true`))
	m.join("p-bob", "Bob") // the hub reads while the page is there
	s.next("lanes", has(`"p-bob"`))
	s.close()
	// The request's goroutines and the hub's reads of the store end.
	goleak.VerifyNone(t, before)

	// Close ends a stream still open: the page sees its end.
	open := openStream(t, srv.URL+"/events")
	open.next("list", has())
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	for range open.events {
	}
	if err := <-open.done; err != nil {
		t.Errorf("stream after Close: %v", err)
	}
	if err := h.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if resp, _ := get(t, srv.URL+"/events"); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("events after Close: %s", resp.Status)
	}
}
