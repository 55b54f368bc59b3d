package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
)

// idleLength is how long an idle meeting lasts: longer than any run, which
// ends by stopping record.
const idleLength = 24 * time.Hour

// idleRound is a round of -idle: meetings that send their snapshots and
// then nothing but heartbeat echoes. Once record has connected every
// meeting and cfg.Settle has passed, it measures record's CPU time over
// cfg.Window and its memory at the end of it (at rest), then stops record
// with SIGINT (which must exit 0) and checks that every meeting holds its
// snapshots and heartbeats and ended "stopped".
func idleRound(ctx context.Context, bin, dir string, cfg config) (*roundResult, error) {
	p, err := prepare(ctx, bin, dir, cfg, idleLength, 0)
	if err != nil {
		return nil, err
	}
	defer p.close()
	snapshotsOnly(p.scens)
	began := time.Now()
	lr, err := startLogged(bin, dir, p.recordArgs("info"), nil, cfg.Meetings)
	if err != nil {
		return nil, err
	}
	defer lr.file.Close()
	rec, conns := lr.rec, lr.conns
	res := &roundResult{Meetings: cfg.Meetings, Window: cfg.Window}
	measure := func() (err error) {
		if err := waitConnected(ctx, rec, conns); err != nil {
			return err
		}
		res.Connect = time.Since(began)
		res.IdleCPU, res.RestMean, res.Rest, err = measureRest(ctx, rec, cfg.Settle, cfg.Window)
		return err
	}
	merr := measure()
	// 10,000 close handshakes and a final flush take a while.
	serr := rec.stop(2 * time.Minute)
	res.Wall = time.Since(began)
	close(lr.stopSampling)
	res.Mem = <-lr.peaks
	res.CPU = rec.cpu()
	if merr != nil {
		return nil, fmt.Errorf("record: %w\n%s", merr, tail(lr.log, 4000))
	}
	if serr != nil {
		return nil, fmt.Errorf("record did not stop well: %w\n%s", serr, tail(lr.log, 4000))
	}
	if err := p.finish(res); err != nil {
		return nil, err
	}
	res.Check, err = verify(filepath.Join(dir, "rec.db"), p.scens, expectation{
		Beats: max(0, int((cfg.Settle+cfg.Window)/cfg.Heartbeat)-1), Reason: "stopped"})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// loggedRecord is a record process that startLogged started.
type loggedRecord struct {
	rec          *child
	conns        *connCounter   // its stderr
	peaks        <-chan memPeak // see startRecord
	stopSampling chan struct{}
	log          string   // the file its stderr goes to
	file         *os.File // open on log: close it once record has exited
}

// startLogged starts record with args and env (see startRecord), its
// stderr, at log level info, going to dir/record.log through a connCounter
// of want meetings.
func startLogged(bin, dir string, args, env []string, want int) (*loggedRecord, error) {
	lr := &loggedRecord{log: filepath.Join(dir, "record.log")}
	var err error
	if lr.file, err = os.Create(lr.log); err != nil {
		return nil, err
	}
	lr.conns = newConnCounter(lr.file, want)
	if lr.rec, lr.peaks, lr.stopSampling, err = startRecord(bin, args, lr.conns, env); err != nil {
		lr.file.Close()
		return nil, err
	}
	return lr, nil
}

// snapshotsOnly cuts each idle scenario's frames to what is played before
// record is stopped: the snapshots.
func snapshotsOnly(scens []*scenario) {
	for _, s := range scens {
		k := 0
		for k < len(s.Frames) && s.Frames[k].Offset < streamStart {
			k++
		}
		s.Frames = s.Frames[:k]
	}
}

// waitConnected waits until conns has seen every meeting connected,
// failing if record exits or ctx ends first, or after a minute and 10 ms a
// meeting.
func waitConnected(ctx context.Context, rec *child, conns *connCounter) error {
	limit := time.NewTimer(time.Minute + time.Duration(conns.want)*10*time.Millisecond)
	defer limit.Stop()
	select {
	case <-conns.all:
		return nil
	case <-limit.C:
		return fmt.Errorf("%d of %d meetings connected in time", conns.count(), conns.want)
	case <-rec.done:
		return fmt.Errorf("record exited before connecting every meeting: %v", rec.err)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// measureRest waits settle, then measures record's CPU time over window,
// in cores, and samples its memory over it (see sampleRest).
func measureRest(ctx context.Context, rec *child, settle, window time.Duration) (cpu float64, mean, most memPeak, err error) {
	if err := sleep(ctx, rec, settle); err != nil {
		return 0, mean, most, err
	}
	t0, c0, err := procCPU(rec.cmd.Process.Pid)
	if err != nil {
		return 0, mean, most, err
	}
	if mean, most, err = sampleRest(ctx, rec, window, restEvery); err != nil {
		return 0, mean, most, err
	}
	t1, c1, err := procCPU(rec.cmd.Process.Pid)
	if err != nil {
		return 0, mean, most, err
	}
	return float64(c1-c0) / float64(t1.Sub(t0)), mean, most, nil
}

// sleep waits d, failing if ctx ends or record exits first.
func sleep(ctx context.Context, rec *child, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-rec.done:
		return fmt.Errorf("record exited while idle: %v", rec.err)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// restEvery is how often sampleRest reads record's memory.
const restEvery = 100 * time.Millisecond

// sampleRest reads rec's memory every interval for d, failing if ctx ends
// or record exits first, and returns the mean and the largest of each
// figure. At rest the heap grows between garbage collections and shrinks
// as the scavenger returns pages, so one sample lands anywhere in between;
// the largest is what the meetings need.
func sampleRest(ctx context.Context, rec *child, d, every time.Duration) (mean, most memPeak, err error) {
	var sum memPeak
	tick := time.NewTicker(every)
	defer tick.Stop()
	end := time.NewTimer(d)
	defer end.Stop()
	for {
		if s, ok := readStatus(rec.cmd.Process.Pid); ok {
			sum.RSS += s.RSS
			sum.Anon += s.Anon
			sum.File += s.File
			sum.Samples++
			most.add(s)
		}
		select {
		case <-end.C:
			if n := int64(sum.Samples); n > 0 {
				mean = memPeak{RSS: sum.RSS / n, Anon: sum.Anon / n, File: sum.File / n, Samples: sum.Samples}
			}
			return mean, most, nil
		case <-tick.C:
		case <-rec.done:
			return mean, most, fmt.Errorf("record exited while idle: %v", rec.err)
		case <-ctx.Done():
			return mean, most, ctx.Err()
		}
	}
}

// clockTick is the unit of /proc/<pid>/stat's CPU times: USER_HZ, 100 on
// every Linux architecture Go supports.
const clockTick = 10 * time.Millisecond

// procCPU returns the time now and the user+system CPU time the process
// has used so far, from /proc/<pid>/stat.
func procCPU(pid int) (time.Time, time.Duration, error) {
	now := time.Now()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return now, 0, fmt.Errorf("read CPU time: %w", err)
	}
	// The command name, in parentheses, may hold spaces: count fields
	// after its closing parenthesis. utime and stime are fields 14 and 15,
	// the 12th and 13th after it.
	i := bytes.LastIndexByte(b, ')')
	f := strings.Fields(string(b[i+1:]))
	if i < 0 || len(f) < 13 {
		return now, 0, fmt.Errorf("read CPU time: unexpected /proc/%d/stat %.80q", pid, b)
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return now, 0, fmt.Errorf("read CPU time: unexpected /proc/%d/stat %.80q", pid, b)
	}
	return now, time.Duration(u+s) * clockTick, nil
}

// connCounter is record's stderr at log level info: it writes it through to
// w and closes all once it has seen want "connected" lines. metrics gets
// the address of record's metrics endpoint (--metrics-listen) once it logs
// it.
type connCounter struct {
	w       io.Writer
	want    int
	all     chan struct{}
	metrics chan string // buffered: gets the address once

	mu     sync.Mutex
	buf    []byte
	seen   int
	served bool // the metrics address was sent
}

func newConnCounter(w io.Writer, want int) *connCounter {
	return &connCounter{w: w, want: want, all: make(chan struct{}), metrics: make(chan string, 1)}
}

func (c *connCounter) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.buf = append(c.buf, p...)
	for {
		line, rest, ok := bytes.Cut(c.buf, []byte("\n"))
		if !ok {
			break
		}
		if bytes.Contains(line, []byte(" msg=connected ")) {
			c.seen++
			if c.seen == c.want {
				close(c.all)
			}
		}
		if _, addr, ok := bytes.Cut(line, []byte(` msg="serving metrics" addr=`)); ok && !c.served {
			addr, _, _ = bytes.Cut(addr, []byte(" "))
			c.served = true
			c.metrics <- string(addr)
		}
		c.buf = rest
	}
	c.buf = append(c.buf[:0:0], c.buf...)
	c.mu.Unlock()
	return c.w.Write(p)
}

// metricsURL returns the URL of record's /metrics, which it logs before
// any meeting connects.
func (c *connCounter) metricsURL() (string, error) {
	select {
	case addr := <-c.metrics:
		return "http://" + addr + "/metrics", nil
	default:
		return "", errors.New("record did not log where it serves metrics")
	}
}

func (c *connCounter) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.seen
}

// printIdle writes the table of an -idle run.
func (r *report) printIdle(out io.Writer, cfg config) {
	m := r.Main
	c := m.Check
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	row := func(k, format string, args ...any) { fmt.Fprintf(w, "%s\t%s\n", k, fmt.Sprintf(format, args...)) }
	row("idle meetings", "%d (one record process, one replay serve)", m.Meetings)
	row("at rest", "snapshots, then heartbeats only (every %v); measured over %v from %v after all connected", cfg.Heartbeat, m.Window, cfg.Settle)
	row("all connected after", "%v", m.Connect.Round(time.Millisecond))
	row("notifications", "%d of %d snapshot frames stored, in order", c.Notifications, c.Want)
	lo, hi, sum := minMaxSum(c.Heartbeats)
	rlo, _, rsum := minMaxSum(c.Replies)
	row("heartbeats/meeting", "%d..%d sent (%d in all), answered %d in all (fewest %d)", lo, hi, sum, rsum, rlo)
	row("record CPU at rest", "%.2f%% of one core", 100*m.IdleCPU)
	row("record RSS at rest", "most %s (RssAnon %s, RssFile %s), mean %s (RssAnon %s, RssFile %s) over %d samples",
		mib(m.Rest.RSS), mib(m.Rest.Anon), mib(m.Rest.File), mib(m.RestMean.RSS), mib(m.RestMean.Anon), mib(m.RestMean.File), m.RestMean.Samples)
	row("record peak RSS", "%s (VmHWM; %d threads)", mib(m.Mem.HWM), m.Mem.Threads)
	if b := r.Base; b != nil {
		row("base (1 meeting)", "RSS at rest most %s (RssAnon %s, RssFile %s), peak %s",
			mib(b.Rest.RSS), mib(b.Rest.Anon), mib(b.Rest.File), mib(b.Mem.HWM))
		per := func(f func(memPeak) int64, x memPeak) string {
			return kib((f(x) - f(b.Rest)) / int64(m.Meetings))
		}
		rss := func(s memPeak) int64 { return s.RSS }
		anon := func(s memPeak) int64 { return s.Anon }
		file := func(s memPeak) int64 { return s.File }
		row("RSS/meeting at rest", "%s most ((most − base most)/meetings: RssAnon %s, RssFile %s), %s mean (RssAnon %s, RssFile %s)",
			kib(r.restPerMeeting()), per(anon, m.Rest), per(file, m.Rest), per(rss, m.RestMean), per(anon, m.RestMean), per(file, m.RestMean))
		row("(peak − base)/meeting", "%s", kib(r.peakPerMeeting()))
	}
	w.Flush()
}

// restPerMeeting is the RSS at rest each meeting adds to the 1-meeting base.
func (r *report) restPerMeeting() int64 {
	if r.Base == nil {
		return r.Main.Rest.RSS / int64(r.Main.Meetings)
	}
	return (r.Main.Rest.RSS - r.Base.Rest.RSS) / int64(r.Main.Meetings)
}

// peakPerMeeting is the peak RSS each meeting adds to the 1-meeting base's.
func (r *report) peakPerMeeting() int64 {
	if r.Base == nil {
		return r.Main.Mem.HWM / int64(r.Main.Meetings)
	}
	return (r.Main.Mem.HWM - r.Base.Mem.HWM) / int64(r.Main.Meetings)
}
