package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/confrec/confrec/confctl"
	"github.com/confrec/confrec/replay/standin"
)

// The stand-in enterprise's application, for record --discover.
const (
	benchAppID  = "load-bench-app"
	benchAppKey = "load-bench-app-key-3f9c1d7e5a2b"
)

// discoveryConfig is one round of BenchmarkCase9_Discovery.
type discoveryConfig struct {
	Meetings  int
	Discover  bool          // record --discover; else a --conf-id a meeting
	Poll      time.Duration // record --poll, with Discover
	Heartbeat time.Duration // record --heartbeat
	Settle    time.Duration // wait after all connected before measuring
	Window    time.Duration // CPU measured at rest over this long
	Scrapes   int           // GETs of /metrics timed at rest
}

// discoveryResult is what a round measured.
type discoveryResult struct {
	ToAll       time.Duration // from starting record until every meeting connected
	Polls       float64       // discovery polls finished by then (Discover only)
	IdleCPU     float64       // CPU used at rest, in cores
	Rest        memPeak       // the most memory sampled at rest
	Mem         memPeak       // record's memory peaks over its run
	Scrape      time.Duration // median time of a GET of /metrics at rest
	ScrapeBytes int           // the size of its answer
	Check       *checked
}

// discoveryRound records cfg.Meetings idle meetings (case 4's scenarios:
// snapshots, then heartbeats only) that a stand-in enterprise, served in
// this process, runs from its start, their host passwords listed in its
// online list. One record process with --metrics-listen records them, with
// --discover or with a --conf-id each. It measures the time from starting
// record until every meeting has connected (record's log) and, with
// --discover, the polls that had finished by then (/metrics, read at
// once); then, after cfg.Settle, record's CPU time and memory at rest over
// cfg.Window as case 4 does; then cfg.Scrapes GETs of /metrics, one after
// the other. Then it stops record with SIGINT (which must exit 0) and
// checks that every meeting holds its snapshots and heartbeats and ended
// "stopped".
func discoveryRound(ctx context.Context, bin, dir string, cfg discoveryConfig) (*discoveryResult, error) {
	if err := os.MkdirAll(filepath.Join(dir, "s"), 0o700); err != nil {
		return nil, err
	}
	var scens []*scenario
	var meetings []standin.Scheduled
	for i := range cfg.Meetings {
		s, err := writeScenario(filepath.Join(dir, "s", confID(i)+".jsonl"), i, idleLength, 0)
		if err != nil {
			return nil, err
		}
		script, err := readScript(s.Path)
		if err != nil {
			return nil, err
		}
		scens = append(scens, s)
		meetings = append(meetings, standin.Scheduled{Script: script, Password: password,
			Subject: "Load meeting " + s.ConfID, PasswordListed: true})
	}
	snapshotsOnly(scens)
	srv, err := standin.NewScheduleServer(meetings, &standin.ServerOptions{
		Speed: 1, AppID: benchAppID, AppKey: confctl.Secret(benchAppKey)})
	if err != nil {
		return nil, err
	}
	defer srv.Close()

	args := []string{"--db", filepath.Join(dir, "rec.db"), "--log-level", "info", "record", "--api-url", srv.URL,
		"--heartbeat", cfg.Heartbeat.String(), "--metrics-listen", "127.0.0.1:0"}
	if cfg.Discover {
		keyFile := filepath.Join(dir, "app-key")
		if err := os.WriteFile(keyFile, []byte(benchAppKey+"\n"), 0o600); err != nil {
			return nil, err
		}
		args = append(args, "--discover", "--app-id", benchAppID, "--app-key-file", keyFile, "--poll", cfg.Poll.String())
	} else {
		for _, s := range scens {
			args = append(args, "--conf-id", s.ConfID)
		}
	}
	if n := argBytes(args); n > maxArgBytes {
		return nil, fmt.Errorf("a command line of %d bytes is too long for %d meetings: record fewer", n, cfg.Meetings)
	}
	began := time.Now()
	lr, err := startLogged(bin, dir, args, nil, cfg.Meetings)
	if err != nil {
		return nil, err
	}
	defer lr.file.Close()
	rec, conns := lr.rec, lr.conns
	client := &http.Client{Transport: &http.Transport{}, Timeout: 30 * time.Second}
	defer client.CloseIdleConnections()
	res := &discoveryResult{}
	measure := func() (err error) {
		if err := waitConnected(ctx, rec, conns); err != nil {
			return err
		}
		res.ToAll = time.Since(began)
		url, err := conns.metricsURL()
		if err != nil {
			return err
		}
		body, _, err := getMetrics(ctx, client, url)
		if err != nil {
			return err
		}
		parser := expfmt.NewTextParser(model.LegacyValidation)
		mfs, err := parser.TextToMetricFamilies(bytes.NewReader(body))
		if err != nil {
			return fmt.Errorf("parse /metrics: %w", err)
		}
		if n := metricValue(mfs, "confrec_meetings_recording"); n != float64(cfg.Meetings) {
			return fmt.Errorf("/metrics: %v meetings recording, want %d", n, cfg.Meetings)
		}
		if n := metricValue(mfs, "confrec_sessions_total"); n < float64(cfg.Meetings) {
			return fmt.Errorf("/metrics: %v sessions, want %d", n, cfg.Meetings)
		}
		res.Polls = metricValue(mfs, "confrec_discovery_polls_total")
		if res.IdleCPU, _, res.Rest, err = measureRest(ctx, rec, cfg.Settle, cfg.Window); err != nil {
			return err
		}
		times := make([]time.Duration, 0, cfg.Scrapes)
		for range cfg.Scrapes {
			body, took, err := getMetrics(ctx, client, url)
			if err != nil {
				return err
			}
			times = append(times, took)
			res.ScrapeBytes = len(body)
		}
		res.Scrape = quantile(times, 0.5)
		return nil
	}
	merr := measure()
	serr := rec.stop(2 * time.Minute)
	close(lr.stopSampling)
	res.Mem = <-lr.peaks
	if merr != nil {
		return nil, fmt.Errorf("record: %w\n%s", merr, tail(lr.log, 4000))
	}
	if serr != nil {
		return nil, fmt.Errorf("record did not stop well: %w\n%s", serr, tail(lr.log, 4000))
	}
	srv.Close()
	res.Check, err = verify(filepath.Join(dir, "rec.db"), scens, expectation{
		Beats: max(0, int((cfg.Settle+cfg.Window)/cfg.Heartbeat)-1), Reason: "stopped"})
	if err != nil {
		return nil, err
	}
	if p := res.Check.Problems; len(p) > 0 {
		return nil, fmt.Errorf("%d problem(s), the first: %s", len(p), p[0])
	}
	return res, nil
}

// readScript reads the scenario file at path as the stand-in's Script.
func readScript(path string) (*standin.Script, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return standin.ReadScenario(f)
}

// getMetrics GETs url and returns the answer's body and how long the GET
// took, the body read included.
func getMetrics(ctx context.Context, client *http.Client, url string) ([]byte, time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, 0, err
	}
	t0 := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	took := time.Since(t0)
	if err != nil {
		return nil, 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, 0, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return body, took, nil
}

// metricValue returns the value of the first sample of family name, a
// counter or a gauge; -1 when there is none.
func metricValue(mfs map[string]*dto.MetricFamily, name string) float64 {
	ms := mfs[name].GetMetric()
	if len(ms) == 0 {
		return -1
	}
	if c := ms[0].GetCounter(); c != nil {
		return c.GetValue()
	}
	return ms[0].GetGauge().GetValue()
}
