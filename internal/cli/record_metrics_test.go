package cli

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// metricsAddr is where a recording's log says it serves metrics.
var metricsAddr = regexp.MustCompile(`msg="serving metrics" addr=(\S+)`)

// metricsClient makes one connection a request, so none stays open for goleak.
var metricsClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

// idleScenario writes a scenario for confID that plays n notifications a
// millisecond apart and then nothing for an hour (when the meeting ends),
// and returns its path.
func idleScenario(t *testing.T, confID string, n int) string {
	t.Helper()
	frames := numberedFrames(confID, "idle", n, 300, func(int) time.Duration { return time.Millisecond })
	frames = append(frames, genFrame{offset: time.Hour,
		payload: []byte(`{"action":"ConfDynamicInfoNotify","msgID":"end","msgMode":0,"confID":"` + confID + `","state":"Destroyed"}`)})
	return writeScenario(t, confID, frames, false)
}

// startMetricsRecord starts `confrec record` of confID from the stand-in at
// api with --metrics-listen on a free loopback port and extra flags, and
// returns it with the base URL of its metrics once it serves them. Heartbeats
// are an hour apart: the recording stores nothing the stand-in did not play.
func startMetricsRecord(t *testing.T, db, confID, api string, extra ...string) (*recording, string) {
	t.Helper()
	args := append([]string{"--db", db, "record", "--conf-id", confID, "--api-url", api, "--heartbeat", "1h",
		"--metrics-listen", "127.0.0.1:0"}, extra...)
	rec := startRecord(t, recordEnv(), `msg="serving metrics"`, args...)
	m := metricsAddr.FindStringSubmatch(rec.logs.String())
	if m == nil {
		t.Fatalf("record does not log where it serves metrics:\n%s", rec.logs)
	}
	return rec, "http://" + m[1]
}

// httpGet returns the status and body of a GET of url, with basic auth
// when user is not empty.
func httpGet(t *testing.T, url, user, password string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		req.SetBasicAuth(user, password)
	}
	resp, err := metricsClient.Do(req)
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

// scrapeMetrics parses base's /metrics.
func scrapeMetrics(t *testing.T, base string) map[string]*dto.MetricFamily {
	t.Helper()
	code, body := httpGet(t, base+"/metrics", "", "")
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

// metricValue returns the value of the sample of family name that has the
// label name=value (any sample when label is empty), or -1 when there is none.
func metricValue(mfs map[string]*dto.MetricFamily, name, label, value string) float64 {
	for _, m := range mfs[name].GetMetric() {
		if label != "" && !slices.ContainsFunc(m.GetLabel(), func(l *dto.LabelPair) bool {
			return l.GetName() == label && l.GetValue() == value
		}) {
			continue
		}
		if c := m.GetCounter(); c != nil {
			return c.GetValue()
		}
		return m.GetGauge().GetValue()
	}
	return -1
}

// TestRecordMetrics records a meeting with --metrics-listen. Once the
// stand-in has played everything (the meeting then stays open, and
// nothing more comes), the frames and bytes /metrics counts as stored are
// what `info` reads from the database, by direction, and /livez and
// /readyz report healthy. The metrics the README lists are the ones served.
func TestRecordMetrics(t *testing.T) {
	t.Parallel()
	const confID = "700300100"
	const played = 40
	srv := startServe(t, serveEnv(), "--scenario", idleScenario(t, confID, played), "--speed", "1")
	db := filepath.Join(t.TempDir(), "rec.db")
	rec, base := startMetricsRecord(t, db, confID, srv.URL)

	// Everything played, and the Subscribe and its reply, is committed.
	want := float64(played + 2)
	var mfs map[string]*dto.MetricFamily
	giveUp := time.Now().Add(time.Minute) // a bound on the wait, not a measurement
	for {
		mfs = scrapeMetrics(t, base)
		in := metricValue(mfs, "confrec_frames_stored_total", "direction", "in")
		out := metricValue(mfs, "confrec_frames_stored_total", "direction", "out")
		if in+out >= want && metricValue(mfs, "confrec_store_queue_frames", "", "") == 0 {
			break
		}
		if time.Now().After(giveUp) {
			t.Fatalf("frames stored after a minute: %v in, %v out, want %v in all:\n%s", in, out, want, rec.logs)
		}
		time.Sleep(20 * time.Millisecond) // the frames are on their way
	}
	// Without a password it answers only to a loopback name: a web page
	// that rebinds its own name to 127.0.0.1 is refused.
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, base+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = "rebound.example"
	if resp, err := metricsClient.Do(req); err != nil {
		t.Errorf("GET /metrics with Host rebound.example: %v", err)
	} else {
		resp.Body.Close()
		if resp.StatusCode != http.StatusMisdirectedRequest {
			t.Errorf("GET /metrics with Host rebound.example: %s, want 421", resp.Status)
		}
	}
	mfs = scrapeMetrics(t, base) // every commit counted before the queue emptied
	var v struct {
		Frames  int `json:"frames"`
		Actions []struct {
			Dir    string `json:"dir"`
			Frames int    `json:"frames"`
			Bytes  int    `json:"bytes"`
		} `json:"actions"`
	}
	r := mustRun(t, nil, "--db", db, "info", confID, "--format", "json")
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
		t.Fatal(err)
	}
	frameCount := map[string]float64{}
	var bytes float64
	for _, a := range v.Actions {
		frameCount[a.Dir] += float64(a.Frames)
		bytes += float64(a.Bytes)
	}
	in := metricValue(mfs, "confrec_frames_stored_total", "direction", "in")
	out := metricValue(mfs, "confrec_frames_stored_total", "direction", "out")
	if in+out != float64(v.Frames) || in != frameCount["in"] || out != frameCount["out"] || float64(v.Frames) != want {
		t.Errorf("/metrics counts %v in and %v out; info reports %d frames, %v in and %v out; the stand-in played %v",
			in, out, v.Frames, frameCount["in"], frameCount["out"], want)
	}
	if b := metricValue(mfs, "confrec_frame_bytes_total", "", ""); b != bytes {
		t.Errorf("/metrics counts %v bytes, info reports %v", b, bytes)
	}
	for _, c := range []struct {
		name string
		want float64
	}{
		{"confrec_sessions_total", 1},
		{"confrec_reconnects_total", 0},
		{"confrec_meetings_recording", 1},
		{"confrec_build_info", 1},
	} {
		if got := metricValue(mfs, c.name, "", ""); got != c.want {
			t.Errorf("%s = %v, want %v", c.name, got, c.want)
		}
	}
	if ts := metricValue(mfs, "confrec_last_frame_timestamp_seconds", "", ""); ts < float64(time.Now().Add(-time.Hour).Unix()) {
		t.Errorf("confrec_last_frame_timestamp_seconds = %v, want the time of the last frame", ts)
	}

	for _, path := range []string{"/livez", "/readyz"} {
		if code, body := httpGet(t, base+path, "", ""); code != http.StatusOK || body != "ok\n" {
			t.Errorf("GET %s = %d %q, want 200 ok", path, code, body)
		}
	}
	if code, body := httpGet(t, base+"/readyz?verbose", "", ""); code != http.StatusOK || !strings.Contains(body, "[+]store ok\n") {
		t.Errorf("GET /readyz?verbose = %d\n%s", code, body)
	}

	// The README lists what is served, no more, no less.
	listed := map[string]bool{}
	for _, name := range regexp.MustCompile(`confrec_[a-z_]+`).FindAllString(readmeSection(t, "Watching a recorder"), -1) {
		listed[strings.TrimSuffix(name, "_")] = true
	}
	for name := range mfs {
		if strings.HasPrefix(name, "confrec_") && !listed[name] {
			t.Errorf("the README does not list %s", name)
		}
		delete(listed, name)
	}
	for name := range listed {
		t.Errorf("the README lists %s, which is not served", name)
	}

	if err := rec.stop(os.Interrupt); err != nil {
		t.Fatalf("record after SIGINT: %v\n%s", err, rec.logs)
	}
}

// TestRecordMetricsPassword: with --metrics-password-file every endpoint
// wants HTTP basic auth, user confrec.
func TestRecordMetricsPassword(t *testing.T) {
	t.Parallel()
	const confID = "700300200"
	srv := startServe(t, serveEnv(), "--scenario", idleScenario(t, confID, 3), "--speed", "1")
	pwFile := writeFile(t, "metrics-password", "metrics-pw-1842\n")
	rec, base := startMetricsRecord(t, filepath.Join(t.TempDir(), "rec.db"), confID, srv.URL, "--metrics-password-file", pwFile)
	if !strings.Contains(rec.logs.String(), "auth=true") {
		t.Errorf("the log does not say the metrics need a password:\n%s", rec.logs)
	}
	for _, path := range []string{"/metrics", "/livez", "/readyz"} {
		for _, c := range []struct {
			user, password string
			want           int
		}{
			{"", "", http.StatusUnauthorized},
			{"confrec", "metrics-pw-1843", http.StatusUnauthorized},
			{"admin", "metrics-pw-1842", http.StatusUnauthorized},
			{"confrec", "metrics-pw-1842", http.StatusOK},
		} {
			if code, body := httpGet(t, base+path, c.user, c.password); code != c.want {
				t.Errorf("GET %s as %q: %d, want %d\n%s", path, c.user, code, c.want, body)
			}
		}
	}
	if strings.Contains(rec.logs.String(), "metrics-pw-1842") {
		t.Error("record's log holds the metrics password")
	}
	if err := rec.stop(os.Interrupt); err != nil {
		t.Fatalf("record after SIGINT: %v\n%s", err, rec.logs)
	}
}

// TestRecordMetricsUsage: a --metrics-listen that other hosts may reach
// without a password, or that does not parse, is a wrong command line
// (exit 2) before anything is recorded; an address in use fails at once
// (exit 1).
func TestRecordMetricsUsage(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0") // a port in use
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	tests := []struct {
		name     string
		flags    []string
		wantCode int
		want     string
	}{
		{"all_interfaces", []string{"--metrics-listen", ":9464"}, 2, "--metrics-listen :9464 is not a loopback address"},
		{"any_address", []string{"--metrics-listen", "0.0.0.0:9464"}, 2, "give --metrics-password-file FILE"},
		{"host_name", []string{"--metrics-listen", "metrics.example.com:9464"}, 2, "not a loopback address"},
		{"no_port", []string{"--metrics-listen", "127.0.0.1"}, 2, "use HOST:PORT"},
		{"password_alone", []string{"--metrics-password-file", "pw"}, 2, "--metrics-password-file needs --metrics-listen"},
		{"address_in_use", []string{"--metrics-listen", ln.Addr().String()}, 1, "address already in use"},
	}
	for _, tt := range tests {
		db := filepath.Join(t.TempDir(), "rec.db")
		args := append([]string{"--db", db, "record", "--conf-id", "700300300", "--api-url", "http://127.0.0.1:1"}, tt.flags...)
		r := run(t, recordEnv(), args...)
		if r.code != tt.wantCode || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("%s: exit %d, want %d saying %q\n%s", tt.name, r.code, tt.wantCode, tt.want, r.stderr)
		}
		if _, err := os.Stat(db); err == nil {
			t.Errorf("%s: the database was created", tt.name)
		}
	}
}
