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
// With -idle (case 4 of the performance suite) the meetings send their
// snapshots and then nothing but answers to heartbeats: once record logs
// every meeting connected and -settle has passed, it measures record's CPU
// time over -window (utime+stime from /proc/<pid>/stat) and its RSS at the
// end of it, then stops record with SIGINT and checks the snapshots and
// heartbeats of every meeting. The figure per meeting is (RSS at rest −
// the 1-meeting base's) / meetings:
//
//	go run ./bench/load -idle -meetings 1000 -window 30s
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
	// Idle runs idle meetings instead (see idleRound): Duration and Rate
	// are unused, and the base round's window is BaseDuration.
	Idle   bool
	Settle time.Duration // -idle: wait after all connected before measuring
	Window time.Duration // -idle: how long CPU is measured at rest
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
	flag.BoolVar(&cfg.Idle, "idle", false, "idle meetings: snapshots then heartbeats only; measure CPU and RSS at rest, then stop record")
	flag.DurationVar(&cfg.Settle, "settle", 5*time.Second, "-idle: wait this long after every meeting connected")
	flag.DurationVar(&cfg.Window, "window", 30*time.Second, "-idle: measure CPU at rest over this long")
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
	if cfg.Meetings < 1 || cfg.Duration <= 0 || cfg.Rate < 0 || cfg.Heartbeat <= 0 || cfg.BaseDuration < 0 ||
		(cfg.Idle && (cfg.Settle < 0 || cfg.Window <= 0)) {
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
		base.Meetings, base.Duration, base.Window = 1, cfg.BaseDuration, cfg.BaseDuration
		if rep.Base, err = round(ctx, bin, filepath.Join(dir, "base"), base); err != nil {
			return nil, fmt.Errorf("base round (1 meeting): %w", err)
		}
	}
	if rep.Main, err = round(ctx, bin, filepath.Join(dir, "main"), cfg); err != nil {
		return nil, fmt.Errorf("main round (%d meetings): %w", cfg.Meetings, err)
	}
	if cfg.Idle {
		rep.printIdle(out, cfg)
	} else {
		rep.print(out, cfg)
	}
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
	// -idle only:
	Connect  time.Duration // from starting record until all were connected
	Window   time.Duration // CPU measured over this long at rest
	IdleCPU  float64       // CPU used at rest, in cores
	Rest     memPeak       // the most memory sampled at rest, over the window
	RestMean memPeak       // the mean of the samples
}

// round writes the scenarios into dir, serves them, records them and
// checks the database.
func round(ctx context.Context, bin, dir string, cfg config) (*roundResult, error) {
	if cfg.Idle {
		return idleRound(ctx, bin, dir, cfg)
	}
	p, err := prepare(ctx, bin, dir, cfg, cfg.Duration, cfg.Rate)
	if err != nil {
		return nil, err
	}
	defer p.close()
	recordLog := filepath.Join(dir, "record.log")
	recordErr, err := os.Create(recordLog)
	if err != nil {
		return nil, err
	}
	defer recordErr.Close()
	began := time.Now()
	rec, peaks, stopSampling, err := p.startRecord(bin, "warn", recordErr)
	if err != nil {
		return nil, err
	}
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
	if err := p.finish(res); err != nil {
		return nil, err
	}
	res.Check, err = verify(filepath.Join(dir, "rec.db"), p.scens, expectation{
		Beats: max(0, int(cfg.Duration/cfg.Heartbeat)-1), Reason: "meeting-ended"})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// prepared is a round's scenarios, served by a running replay serve.
type prepared struct {
	dir     string
	scens   []*scenario
	serve   *child
	log     string // replay serve's stderr
	logFile *os.File
	url     string
	heart   time.Duration
}

// prepare writes cfg.Meetings scenarios of length d and rate into dir and
// starts replay serve playing them. The caller must call close.
func prepare(ctx context.Context, bin, dir string, cfg config, d time.Duration, rate float64) (*prepared, error) {
	if err := os.MkdirAll(filepath.Join(dir, "s"), 0o700); err != nil {
		return nil, err
	}
	p := &prepared{dir: dir, log: filepath.Join(dir, "serve.log"), heart: cfg.Heartbeat}
	serveArgs := []string{"--log-level", "warn", "replay", "serve", "--speed", "1"}
	for i := range cfg.Meetings {
		s, err := writeScenario(filepath.Join(dir, "s", confID(i)+".jsonl"), i, d, rate)
		if err != nil {
			return nil, err
		}
		p.scens = append(p.scens, s)
		serveArgs = append(serveArgs, "--scenario", s.Path)
	}
	for _, args := range [][]string{serveArgs, p.recordArgs("warn")} {
		if n := argBytes(args); n > maxArgBytes {
			return nil, fmt.Errorf("a command line of %d bytes is too long for %d meetings: record fewer", n, cfg.Meetings)
		}
	}
	var err error
	if p.logFile, err = os.Create(p.log); err != nil {
		return nil, err
	}
	watch := newURLWatcher()
	cmd := exec.Command(bin, serveArgs...)
	cmd.Env = append(os.Environ(), "CONFREC_REPLAY_PASSWORD="+password)
	cmd.Stdout, cmd.Stderr = watch, p.logFile
	if p.serve, err = start(cmd); err != nil {
		p.logFile.Close()
		return nil, err
	}
	select {
	case p.url = <-watch.found:
		return p, nil
	case <-p.serve.done:
		err = fmt.Errorf("replay serve exited: %v\n%s", p.serve.err, tail(p.log, 2000))
	case <-ctx.Done():
		err = ctx.Err()
	}
	p.close()
	return nil, err
}

// startRecord starts `confrec record` for every meeting at log level
// level (see startRecord).
func (p *prepared) startRecord(bin, level string, stderr io.Writer) (rec *child, peaks <-chan memPeak, stopSampling chan struct{}, err error) {
	return startRecord(bin, p.recordArgs(level), stderr, nil)
}

// startRecord starts confrec with args (a record command line), the host
// password and env (KEY=VALUE) in its environment and its stderr to
// stderr, and samples its memory every 200 ms until stopSampling is closed;
// peaks then delivers the result.
func startRecord(bin string, args []string, stderr io.Writer, env []string) (rec *child, peaks <-chan memPeak, stopSampling chan struct{}, err error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(append(os.Environ(), env...), "CONFREC_HOST_PASSWORD="+password)
	cmd.Stdout, cmd.Stderr = io.Discard, stderr
	if rec, err = start(cmd); err != nil {
		return nil, nil, nil, err
	}
	stopSampling = make(chan struct{})
	return rec, sampleMemory(cmd.Process.Pid, 200*time.Millisecond, stopSampling), stopSampling, nil
}

// recordArgs is the command line of record for the prepared meetings.
func (p *prepared) recordArgs(level string) []string {
	args := []string{"--db", filepath.Join(p.dir, "rec.db"), "--log-level", level, "record"}
	for _, s := range p.scens {
		args = append(args, "--conf-id", s.ConfID)
	}
	return append(args, "--api-url", p.url, "--heartbeat", p.heart.String())
}

// finish stops replay serve, checking that it stopped well, and notes its
// CPU time and the database's size in res.
func (p *prepared) finish(res *roundResult) error {
	if err := p.serve.stop(10 * time.Second); err != nil {
		return fmt.Errorf("replay serve: %w\n%s", err, tail(p.log, 2000))
	}
	res.ServeCPU = p.serve.cpu()
	if fi, err := os.Stat(filepath.Join(p.dir, "rec.db")); err == nil {
		res.DBSize = fi.Size()
	}
	return nil
}

// close stops replay serve if it still runs.
func (p *prepared) close() {
	if p.serve != nil {
		_ = p.serve.stop(10 * time.Second)
	}
	p.logFile.Close()
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
