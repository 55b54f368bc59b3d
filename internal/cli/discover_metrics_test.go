package cli

import (
	"net/http"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/confrec/confrec/replay/standin"
)

// TestDiscoverMetrics: the /metrics of record --discover, parsed with
// Prometheus' own parser, follow a stand-in enterprise's schedule
// (confrec_meetings_recording, confrec_meetings_unrecordable); /readyz
// turns 503 while the management API is down and 200 again after, while
// the recordings go on whole; the failures are counted; and once every
// meeting has ended confrec_frames_stored_total is the frames `info`
// reports.
func TestDiscoverMetrics(t *testing.T) {
	t.Parallel()
	ids := confIDs(750000001, 7)
	starts := []time.Duration{0, 0, 3 * time.Second, 3 * time.Second, 10 * time.Second, 10 * time.Second}
	var meetings []standin.Scheduled
	for i, start := range starts {
		m := scheduled(t, ids[i], start, 1)
		m.PasswordListed = true
		meetings = append(meetings, m)
	}
	unrecordable := scheduled(t, ids[6], 0, 3) // no password anywhere
	meetings = append(meetings, unrecordable)
	e := startEnterprise(t, meetings, &standin.ServerOptions{AccessTokenLifetime: 3 * time.Second})
	db := t.TempDir() + "/metrics.db"
	r := startRecord(t, nil, `msg="serving metrics"`, discoverArgs(db, e.srv.URL, appKeyFile(t),
		"--poll", "500ms", "--metrics-listen", "127.0.0.1:0")...)
	base := "http://" + metricsAddr.FindStringSubmatch(r.logs.String())[1]

	// expected is how many recordable meetings run at t, and whether t is
	// within margin of a meeting's start or end.
	expected := func(t time.Time, margin time.Duration) (n int, near bool) {
		for i := range meetings[:6] {
			start, end := e.started.Add(meetings[i].Start), e.end(&meetings[i])
			if !t.Before(start) && t.Before(end) {
				n++
			}
			near = near || absDur(t.Sub(start)) < margin || absDur(t.Sub(end)) < margin
		}
		return n, near
	}
	readyz := func() int { code, _ := httpGet(t, base+"/readyz", "", ""); return code }

	var checked int
	sample := func() {
		at := time.Now()
		mfs := scrapeMetrics(t, base)
		if want, near := expected(at, 1500*time.Millisecond); !near {
			checked++
			if got := metricValue(mfs, "confrec_meetings_recording", "", ""); got != float64(want) {
				t.Errorf("%v after the start: confrec_meetings_recording %v, want %d", at.Sub(e.started).Round(time.Millisecond), got, want)
			}
			if got := metricValue(mfs, "confrec_meetings_unrecordable", "", ""); at.Sub(e.started) > time.Second && got != 1 {
				t.Errorf("%v after the start: confrec_meetings_unrecordable %v, want 1", at.Sub(e.started).Round(time.Millisecond), got)
			}
		}
	}
	// Until the first meetings end, then the management API goes down.
	for time.Since(e.started) < 7*time.Second {
		sample()
		time.Sleep(150 * time.Millisecond)
	}
	e.srv.SetManagementDown(true)
	waitFor(t, "readyz 503 while the management API is down", 5*time.Second, func() bool { return readyz() == http.StatusServiceUnavailable })
	e.srv.SetManagementDown(false)
	waitFor(t, "readyz 200 once the management API is back", 5*time.Second, func() bool { return readyz() == http.StatusOK })
	for time.Now().Before(e.end(&meetings[5]).Add(time.Second)) {
		sample()
		time.Sleep(150 * time.Millisecond)
	}
	if checked < 10 {
		t.Errorf("only %d samples away from a meeting's start or end: the schedule proves little", checked)
	}
	waitLog(t, r, regexp.MustCompile(`msg="recording ended" meeting=\d+ how=meeting-ended`), 6, time.Now().Add(30*time.Second))
	waitFor(t, "the store's queue to drain", 10*time.Second, func() bool {
		return metricValue(scrapeMetrics(t, base), "confrec_store_queue_frames", "", "") == 0
	})

	mfs := scrapeMetrics(t, base)
	stored := 0
	for _, id := range ids[:6] {
		stored += info(t, db, id).Frames
	}
	in := metricValue(mfs, "confrec_frames_stored_total", "direction", "in")
	out := metricValue(mfs, "confrec_frames_stored_total", "direction", "out")
	if in+out != float64(stored) {
		t.Errorf("confrec_frames_stored_total in %v + out %v, want the %d frames info reports", in, out, stored)
	}
	for _, name := range []string{"confrec_discovery_polls_total", "confrec_discovery_errors_total"} {
		if metricValue(mfs, name, "", "") <= 0 {
			t.Errorf("%s is not above 0", name)
		}
	}
	if failures := metricValue(mfs, "confrec_token_failures_total", "api", "online_list") +
		metricValue(mfs, "confrec_token_failures_total", "api", "app_auth"); failures <= 0 {
		t.Errorf("no failed management call counted while the API was down")
	}
	if got := metricValue(mfs, "confrec_sessions_total", "", ""); got < 6 {
		t.Errorf("confrec_sessions_total %v, want at least 6", got)
	}
	if err := r.stop(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	for i, id := range ids[:6] {
		samePayloads(t, notifications(t, exported(t, db, id)), sent(&meetings[i]))
	}
}

// waitFor polls cond until it holds, and fails the test after timeout.
func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(timeout); !cond(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within %v", what, timeout)
		}
	}
}

func absDur(d time.Duration) time.Duration { return max(d, -d) }
