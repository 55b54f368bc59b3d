package metrics_test

import (
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/confrec/confrec/metrics"
	"github.com/confrec/confrec/recorder"
	"github.com/confrec/confrec/store"
)

// *Metrics is what record gives recorder.Options.Observer.
var _ recorder.Observer = (*metrics.Metrics)(nil)

// serve serves h on a loopback address until the test ends and returns
// its base URL.
func serve(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// client makes one connection a request, so none stays open for goleak.
var client = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

// get returns the status and body of a GET of url.
func get(t *testing.T, url string) (int, string) {
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
	return resp.StatusCode, string(b)
}

// scrape parses what base's /metrics serves, in the text format.
func scrape(t *testing.T, base string) map[string]*dto.MetricFamily {
	t.Helper()
	code, body := get(t, base+"/metrics")
	if code != http.StatusOK {
		t.Fatalf("GET /metrics: %d\n%s", code, body)
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	mfs, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse /metrics: %v\n%s", err, body)
	}
	return mfs
}

// value returns the value of the sample of family name whose labels are
// exactly labels (name=value pairs), failing if there is none.
func value(t *testing.T, mfs map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	t.Helper()
	mf := mfs[name]
	if mf == nil {
		t.Fatalf("no metric %s", name)
	}
	for _, m := range mf.GetMetric() {
		if len(m.GetLabel())*2 != len(labels) {
			continue
		}
		match := true
		for i, l := range m.GetLabel() {
			if l.GetName() != labels[2*i] || l.GetValue() != labels[2*i+1] {
				match = false
			}
		}
		if !match {
			continue
		}
		switch mf.GetType() {
		case dto.MetricType_COUNTER:
			return m.GetCounter().GetValue()
		case dto.MetricType_GAUGE:
			return m.GetGauge().GetValue()
		case dto.MetricType_HISTOGRAM:
			return float64(m.GetHistogram().GetSampleCount())
		}
	}
	t.Fatalf("no sample of %s with labels %v", name, labels)
	return 0
}

func TestScrape(t *testing.T) {
	m := metrics.New("v1.2.3-test")
	base := serve(t, m.Handler(nil, nil))

	// Everything is there at zero before anything happened.
	mfs := scrape(t, base)
	want := map[string]dto.MetricType{
		"confrec_frames_stored_total":          dto.MetricType_COUNTER,
		"confrec_frame_bytes_total":            dto.MetricType_COUNTER,
		"confrec_meetings_recording":           dto.MetricType_GAUGE,
		"confrec_meetings_unrecordable":        dto.MetricType_GAUGE,
		"confrec_sessions_total":               dto.MetricType_COUNTER,
		"confrec_reconnects_total":             dto.MetricType_COUNTER,
		"confrec_token_failures_total":         dto.MetricType_COUNTER,
		"confrec_discovery_polls_total":        dto.MetricType_COUNTER,
		"confrec_discovery_errors_total":       dto.MetricType_COUNTER,
		"confrec_store_commit_seconds":         dto.MetricType_HISTOGRAM,
		"confrec_store_queue_frames":           dto.MetricType_GAUGE,
		"confrec_last_frame_timestamp_seconds": dto.MetricType_GAUGE,
		"confrec_build_info":                   dto.MetricType_GAUGE,
		"go_goroutines":                        dto.MetricType_GAUGE,
		"process_start_time_seconds":           dto.MetricType_GAUGE,
	}
	for name, typ := range want {
		if mf := mfs[name]; mf == nil || mf.GetType() != typ || mf.GetHelp() == "" {
			t.Errorf("%s: %v, want a %v with help", name, mf, typ)
		}
	}
	for name := range mfs {
		if strings.HasPrefix(name, "confrec_") {
			if _, ok := want[name]; !ok {
				t.Errorf("metric %s is not in the test's list", name)
			}
		}
	}
	for _, api := range []string{"conf_token", "ws_token", "app_auth", "online_list", "conf_detail"} {
		if v := value(t, mfs, "confrec_token_failures_total", "api", api); v != 0 {
			t.Errorf("token failures of %s at start = %v", api, v)
		}
	}
	if v := value(t, mfs, "confrec_frames_stored_total", "direction", "in"); v != 0 {
		t.Errorf("frames in at start = %v", v)
	}
	if v := value(t, mfs, "confrec_build_info", "goversion", runtime.Version(), "version", "v1.2.3-test"); v != 1 {
		t.Errorf("build_info = %v, want 1", v)
	}

	last := time.Date(2026, 11, 27, 10, 23, 6, 449_000_000, time.UTC)
	m.StoreCommit(store.CommitStats{Duration: 3 * time.Millisecond, FramesIn: 5, FramesOut: 2, Bytes: 1000, Last: last})
	m.StoreCommit(store.CommitStats{Duration: 2 * time.Second, FramesIn: 1, Bytes: 24, Last: last.Add(-time.Second)})
	m.StoreCommit(store.CommitStats{Duration: time.Millisecond}) // a commit of sessions or labels only
	queued := 7
	m.SetQueue(func() int { return queued })
	m.SetRecording(3)
	m.SetUnrecordable(1)
	m.SessionStarted("986512347")
	m.SessionStarted("986512347")
	m.Reconnect("986512347")
	m.TokenFailure(recorder.APIConfToken)
	m.TokenFailure(recorder.APIWSToken)
	m.TokenFailure(metrics.APIOnlineList)
	m.TokenFailure("an api nobody knows")
	m.DiscoveryPoll(nil)
	m.DiscoveryPoll(errors.New("online list: HTTP 500"))

	mfs = scrape(t, base)
	checks := []struct {
		name   string
		labels []string
		want   float64
	}{
		{"confrec_frames_stored_total", []string{"direction", "in"}, 6},
		{"confrec_frames_stored_total", []string{"direction", "out"}, 2},
		{"confrec_frame_bytes_total", nil, 1024},
		{"confrec_store_commit_seconds", nil, 3},
		{"confrec_store_queue_frames", nil, 7},
		{"confrec_last_frame_timestamp_seconds", nil, float64(last.UnixNano()) / 1e9},
		{"confrec_meetings_recording", nil, 3},
		{"confrec_meetings_unrecordable", nil, 1},
		{"confrec_sessions_total", nil, 2},
		{"confrec_reconnects_total", nil, 1},
		{"confrec_token_failures_total", []string{"api", "conf_token"}, 1},
		{"confrec_token_failures_total", []string{"api", "ws_token"}, 1},
		{"confrec_token_failures_total", []string{"api", "online_list"}, 1},
		{"confrec_token_failures_total", []string{"api", "app_auth"}, 0},
		{"confrec_token_failures_total", []string{"api", "other"}, 1},
		{"confrec_discovery_polls_total", nil, 2},
		{"confrec_discovery_errors_total", nil, 1},
	}
	for _, c := range checks {
		if got := value(t, mfs, c.name, c.labels...); math.Abs(got-c.want) > 1e-6 {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if n := len(mfs["confrec_token_failures_total"].GetMetric()); n != 6 {
		t.Errorf("token failures have %d label values, want 6 (an unknown API is other)", n)
	}
	h := mfs["confrec_store_commit_seconds"].GetMetric()[0].GetHistogram()
	if got := h.GetSampleSum(); math.Abs(got-2.004) > 1e-9 {
		t.Errorf("commit seconds sum %v, want 2.004", got)
	}
	// No label holds a meeting.
	for name, mf := range mfs {
		for _, s := range mf.GetMetric() {
			for _, l := range s.GetLabel() {
				if strings.Contains(l.GetValue(), "986512347") || strings.Contains(strings.ToLower(l.GetName()), "conf") {
					t.Errorf("%s has label %s=%q", name, l.GetName(), l.GetValue())
				}
			}
		}
	}

	queued = 0 // read at the scrape
	if v := value(t, scrape(t, base), "confrec_store_queue_frames"); v != 0 {
		t.Errorf("queue after it drained = %v", v)
	}
}

func TestHealth(t *testing.T) {
	m := metrics.New("test")
	var storeErr error
	pollErr := errors.New("no poll has finished yet")
	live := []metrics.Check{{Name: "loop", Check: func() error { return nil }}}
	ready := []metrics.Check{
		{Name: "store", Check: func() error { return storeErr }},
		{Name: "discovery", Check: func() error { return pollErr }},
	}
	base := serve(t, m.Handler(live, ready))

	tests := []struct {
		name     string
		setup    func()
		path     string
		wantCode int
		wantBody string
	}{
		{name: "live", path: "/livez", wantCode: 200, wantBody: "ok\n"},
		{name: "live_verbose", path: "/livez?verbose", wantCode: 200, wantBody: "[+]ping ok\n[+]loop ok\nlivez check passed\n"},
		{name: "no_poll_yet", path: "/readyz", wantCode: 503,
			wantBody: "[+]ping ok\n[+]store ok\n[-]discovery failed: reason withheld\nreadyz check failed\n"},
		{name: "no_poll_yet_verbose", path: "/readyz?verbose", wantCode: 503,
			wantBody: "[+]ping ok\n[+]store ok\n[-]discovery failed: no poll has finished yet\nreadyz check failed\n"},
		{name: "polled", setup: func() { pollErr = nil }, path: "/readyz", wantCode: 200, wantBody: "ok\n"},
		{name: "polled_verbose", path: "/readyz?verbose=1", wantCode: 200,
			wantBody: "[+]ping ok\n[+]store ok\n[+]discovery ok\nreadyz check passed\n"},
		{name: "poll_failed", setup: func() { pollErr = errors.New("online list:\nHTTP 503") }, path: "/readyz?verbose", wantCode: 503,
			wantBody: "[+]ping ok\n[+]store ok\n[-]discovery failed: online list: HTTP 503\nreadyz check failed\n"},
		{name: "store_failed", setup: func() { pollErr = nil; storeErr = store.ErrClosed }, path: "/readyz?verbose", wantCode: 503,
			wantBody: "[+]ping ok\n[-]store failed: store is closed\n[+]discovery ok\nreadyz check failed\n"},
		{name: "live_while_not_ready", path: "/livez", wantCode: 200, wantBody: "ok\n"},
		{name: "unknown_path", path: "/healthz", wantCode: 404},
	}
	for _, tt := range tests { // in order: each case builds on the one before
		if tt.setup != nil {
			tt.setup()
		}
		code, body := get(t, base+tt.path)
		if code != tt.wantCode || (tt.wantBody != "" && body != tt.wantBody) {
			t.Errorf("%s: GET %s = %d\n%s\nwant %d\n%s", tt.name, tt.path, code, body, tt.wantCode, tt.wantBody)
		}
	}

	resp, err := client.Post(base+"/readyz", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /readyz = %d, want 405", resp.StatusCode)
	}
}
