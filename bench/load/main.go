// Command load checks that one confrec record process holds many meetings
// at once, and measures what that costs.
//
// Run it from the module root:
//
//	go run ./bench/load -meetings 200 -duration 60s
//
// It builds confrec into a temporary directory, writes one JSON Lines
// scenario per meeting (distinct confIDs; snapshots of the meeting, its
// participants, attendees and speakers shaped like the service's
// notifications, then -rate increments per second — speaker changes, mute
// and hand toggles, joins, leaves — then "Destroyed" and a close 1000 at
// -duration), and starts one `confrec replay serve --speed 1` playing all
// of them. Then it runs one `confrec record` with a --conf-id per meeting
// against it (token flow, host password from the environment, --heartbeat
// -heartbeat), sampling the recorder's VmRSS from /proc every 200 ms. Once
// record has exited 0 (every meeting ended), it opens the database and
// checks that every meeting holds every scenario notification, in order and
// byte for byte, that its hash chain verifies, and that it sent heartbeats
// and had them answered.
//
// Before that it records one meeting for -base-duration the same way: that
// peak RSS is the base, the cost of the process itself, and the table
// reports (peak − base) / meetings besides peak / meetings. Peak RSS is
// the kernel's high-water mark, VmHWM, as last sampled before exit;
// RssAnon and RssFile split it into heap and stacks versus mapped file
// pages, which include the pages of the database's mmap that were touched.
//
// It prints a table and exits 1 if anything is missing or record failed.
// The figures depend on the machine: serve, record and the disk share it.
// It is a measurement, not a test; load_test.go runs a small one in `go
// test` so that it keeps working.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"
)

// config is what one run does.
type config struct {
	Meetings     int           // meetings recorded at once
	Duration     time.Duration // how long each meeting lasts
	Rate         float64       // increments per second per meeting after the snapshots
	Heartbeat    time.Duration // record --heartbeat
	BaseDuration time.Duration // length of the 1-meeting base run; 0 skips it
	Confrec      string        // a confrec binary to use; "" builds one
	Keep         bool          // keep the working directory
}

// password is the host password of the stand-in; it appears in no frame.
const password = "load-bench-host-password"

// maxArgBytes bounds the command lines built here, far below Linux's
// ARG_MAX (a quarter of the stack limit, 2 MiB by default).
const maxArgBytes = 1 << 20

func main() {
	var cfg config
	flag.IntVar(&cfg.Meetings, "meetings", 200, "meetings recorded at once by one record process")
	flag.DurationVar(&cfg.Duration, "duration", 60*time.Second, "how long each meeting lasts")
	flag.Float64Var(&cfg.Rate, "rate", 10, "notifications per second per meeting after the opening snapshots")
	flag.DurationVar(&cfg.Heartbeat, "heartbeat", 5*time.Second, "record --heartbeat")
	flag.DurationVar(&cfg.BaseDuration, "base-duration", 10*time.Second, "length of the 1-meeting run that gives the base RSS (0: skip)")
	flag.StringVar(&cfg.Confrec, "confrec", "", "use this confrec binary instead of building one")
	flag.BoolVar(&cfg.Keep, "keep", false, "keep the working directory (scenarios, database, logs)")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "load: unexpected arguments %q\n", flag.Args())
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	_, err := run(ctx, cfg, os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

// report is what run measured.
type report struct {
	Base *roundResult // nil without a base run
	Main *roundResult
}

// run builds confrec, runs the base and the main round, prints the table
// on out and returns an error if a round failed or anything is missing.
func run(ctx context.Context, cfg config, out io.Writer) (*report, error) {
	if cfg.Meetings < 1 || cfg.Duration <= 0 || cfg.Rate < 0 || cfg.Heartbeat <= 0 || cfg.BaseDuration < 0 {
		return nil, fmt.Errorf("bad configuration %+v", cfg)
	}
	dir, err := os.MkdirTemp("", "confrec-load-")
	if err != nil {
		return nil, err
	}
	if cfg.Keep {
		fmt.Fprintf(out, "working directory: %s\n", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	bin := cfg.Confrec
	if bin == "" {
		if bin, err = build(ctx, dir); err != nil {
			return nil, err
		}
	}
	rep := &report{}
	if cfg.BaseDuration > 0 {
		base := cfg
		base.Meetings, base.Duration = 1, cfg.BaseDuration
		if rep.Base, err = round(ctx, bin, filepath.Join(dir, "base"), base); err != nil {
			return nil, fmt.Errorf("base round (1 meeting): %w", err)
		}
	}
	if rep.Main, err = round(ctx, bin, filepath.Join(dir, "main"), cfg); err != nil {
		return nil, fmt.Errorf("main round (%d meetings): %w", cfg.Meetings, err)
	}
	rep.print(out, cfg)
	var problems []string
	for _, r := range []*roundResult{rep.Base, rep.Main} {
		if r != nil {
			problems = append(problems, r.Check.Problems...)
		}
	}
	if len(problems) > 0 {
		if len(problems) > 20 {
			problems = append(problems[:20], fmt.Sprintf("... and %d more", len(problems)-20))
		}
		return rep, fmt.Errorf("%d problem(s):\n  %s", len(problems), strings.Join(problems, "\n  "))
	}
	return rep, nil
}

// build builds the module's confrec command into dir.
func build(ctx context.Context, dir string) (string, error) {
	gomod, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(gomod)))
	if root == "." || root == "" {
		return "", errors.New("not inside the confrec module: run from its directory")
	}
	bin := filepath.Join(dir, "confrec")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %w\n%s", err, b)
	}
	return bin, nil
}

// roundResult is one round: n meetings recorded by one record process.
type roundResult struct {
	Meetings int
	Wall     time.Duration // from starting record to its exit
	CPU      time.Duration // record's user+system time
	Mem      memPeak       // record's memory peaks
	ServeCPU time.Duration
	DBSize   int64
	Check    *checked
}

// round writes the scenarios into dir, serves them, records them and
// checks the database.
func round(ctx context.Context, bin, dir string, cfg config) (*roundResult, error) {
	if err := os.MkdirAll(filepath.Join(dir, "s"), 0o700); err != nil {
		return nil, err
	}
	var scens []*scenario
	serveArgs := []string{"--log-level", "warn", "replay", "serve", "--speed", "1"}
	recordArgs := []string{"--db", filepath.Join(dir, "rec.db"), "--log-level", "warn", "record"}
	for i := range cfg.Meetings {
		s, err := writeScenario(filepath.Join(dir, "s", confID(i)+".jsonl"), i, cfg.Duration, cfg.Rate)
		if err != nil {
			return nil, err
		}
		scens = append(scens, s)
		serveArgs = append(serveArgs, "--scenario", s.Path)
		recordArgs = append(recordArgs, "--conf-id", s.ConfID)
	}
	for _, args := range [][]string{serveArgs, recordArgs} {
		if n := argBytes(args); n > maxArgBytes {
			return nil, fmt.Errorf("a command line of %d bytes is too long for %d meetings: record fewer", n, cfg.Meetings)
		}
	}

	serveLog := filepath.Join(dir, "serve.log")
	serveErr, err := os.Create(serveLog)
	if err != nil {
		return nil, err
	}
	defer serveErr.Close()
	watch := newURLWatcher()
	cmd := exec.Command(bin, serveArgs...)
	cmd.Env = append(os.Environ(), "CONFREC_REPLAY_PASSWORD="+password)
	cmd.Stdout, cmd.Stderr = watch, serveErr
	serve, err := start(cmd)
	if err != nil {
		return nil, err
	}
	defer serve.stop(10 * time.Second)
	var url string
	select {
	case url = <-watch.found:
	case <-serve.done:
		return nil, fmt.Errorf("replay serve exited: %v\n%s", serve.err, tail(serveLog, 2000))
	case <-ctx.Done():
		return nil, ctx.Err()
	}

	recordLog := filepath.Join(dir, "record.log")
	recordErr, err := os.Create(recordLog)
	if err != nil {
		return nil, err
	}
	defer recordErr.Close()
	recordArgs = append(recordArgs, "--api-url", url, "--heartbeat", cfg.Heartbeat.String())
	cmd = exec.Command(bin, recordArgs...)
	cmd.Env = append(os.Environ(), "CONFREC_HOST_PASSWORD="+password)
	cmd.Stdout, cmd.Stderr = io.Discard, recordErr
	began := time.Now()
	rec, err := start(cmd)
	if err != nil {
		return nil, err
	}
	stopSampling := make(chan struct{})
	peaks := sampleMemory(cmd.Process.Pid, 200*time.Millisecond, stopSampling)
	// record ends with the last meeting; give it the meetings' length plus
	// the destroyed grace and room for a slow start.
	werr := waitOrStop(ctx, rec, cfg.Duration+time.Minute+cfg.Duration/2)
	res := &roundResult{Meetings: cfg.Meetings, Wall: time.Since(began)}
	close(stopSampling)
	res.Mem = <-peaks
	res.CPU = rec.cpu()
	if werr != nil {
		return nil, fmt.Errorf("record: %w\n%s", werr, tail(recordLog, 4000))
	}
	if err := serve.stop(10 * time.Second); err != nil {
		return nil, fmt.Errorf("replay serve: %w\n%s", err, tail(serveLog, 2000))
	}
	res.ServeCPU = serve.cpu()
	if fi, err := os.Stat(filepath.Join(dir, "rec.db")); err == nil {
		res.DBSize = fi.Size()
	}
	res.Check, err = verify(filepath.Join(dir, "rec.db"), scens, cfg.Duration, cfg.Heartbeat)
	if err != nil {
		return nil, err
	}
	return res, nil
}

// argBytes is how much of ARG_MAX args take (with the program name).
func argBytes(args []string) int {
	n := 64
	for _, a := range args {
		n += len(a) + 1 + 8 // the string, its NUL and its pointer
	}
	return n
}

// print writes the table.
func (r *report) print(out io.Writer, cfg config) {
	m := r.Main
	c := m.Check
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	row := func(k, format string, args ...any) { fmt.Fprintf(w, "%s\t%s\n", k, fmt.Sprintf(format, args...)) }
	row("meetings", "%d (one record process, one replay serve)", m.Meetings)
	row("meeting length", "%v, %g notifications/s each after the snapshots, heartbeat %v", cfg.Duration, cfg.Rate, cfg.Heartbeat)
	row("record ran", "%v", m.Wall.Round(time.Millisecond))
	row("notifications", "%d of %d stored, in order", c.Notifications, c.Want)
	row("frames stored", "%d (%s of payload; in, out and close), database %s", c.Frames, mib(int64(c.Bytes)), mib(m.DBSize))
	row("frames/s held", "%.0f over the meetings' length, %.0f over record's whole run", float64(c.Frames)/cfg.Duration.Seconds(), float64(c.Frames)/m.Wall.Seconds())
	row("notifications/s held", "%.0f", float64(c.Notifications)/cfg.Duration.Seconds())
	row("lag behind schedule", "p50 %v, p99 %v, max %v", quantile(c.Lags, 0.5).Round(time.Microsecond),
		quantile(c.Lags, 0.99).Round(time.Microsecond), quantile(c.Lags, 1).Round(time.Microsecond))
	lo, hi, sum := minMaxSum(c.Heartbeats)
	rlo, _, rsum := minMaxSum(c.Replies)
	row("heartbeats/meeting", "%d..%d sent (%d in all), answered %d in all (fewest %d)", lo, hi, sum, rsum, rlo)
	row("sessions", "%d (%d reconnects)", c.Sessions, c.Sessions-m.Meetings)
	row("record peak RSS", "%s (VmHWM; sampled peaks: RssAnon %s, RssFile %s; %d threads; %d samples)",
		mib(m.Mem.HWM), mib(m.Mem.Anon), mib(m.Mem.File), m.Mem.Threads, m.Mem.Samples)
	row("peak RSS/meeting", "%s", kib(m.Mem.HWM/int64(m.Meetings)))
	if b := r.Base; b != nil {
		row("base peak RSS", "%s (1 meeting, %v)", mib(b.Mem.HWM), cfg.BaseDuration)
		row("(peak − base)/meeting", "%s (RssAnon alone: %s)", kib((m.Mem.HWM-b.Mem.HWM)/int64(m.Meetings)), kib((m.Mem.Anon-b.Mem.Anon)/int64(m.Meetings)))
	}
	row("record CPU", "%v (%.0f%% of one core over its run)", m.CPU.Round(time.Millisecond), 100*m.CPU.Seconds()/m.Wall.Seconds())
	row("replay serve CPU", "%v", m.ServeCPU.Round(time.Millisecond))
	w.Flush()
}

func minMaxSum(xs []int) (lo, hi, sum int) {
	for i, x := range xs {
		if i == 0 || x < lo {
			lo = x
		}
		hi = max(hi, x)
		sum += x
	}
	return lo, hi, sum
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
func kib(n int64) string { return fmt.Sprintf("%.0f KiB", float64(n)/(1<<10)) }
