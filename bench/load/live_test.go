package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/confrec/confrec/recorder"
	"github.com/confrec/confrec/replay/standin"
	"github.com/confrec/confrec/store"
)

// Size knobs of BenchmarkCase12_ReadWhileRecording and
// BenchmarkCase13_Follow (small under -short).
var (
	case12Size     = flag.Int64("case12.size", 1<<30, "BenchmarkCase12_ReadWhileRecording: the archive's size in bytes, at least (64 MiB with -short)")
	case12Meetings = flag.Int("case12.meetings", 1000, "BenchmarkCase12_ReadWhileRecording: small meetings in the archive beside its big one (50 with -short)")
	case12Rate     = flag.Int("case12.rate", 10000, "BenchmarkCase12_ReadWhileRecording: frames a second the stand-in sends the recorder, over case12.live meetings (2000 with -short)")
	case12Live     = flag.Int("case12.live", 10, "BenchmarkCase12_ReadWhileRecording: meetings being recorded")
	case12Reps     = flag.Int("case12.reps", 3, "BenchmarkCase12_ReadWhileRecording: runs of each timed read command, at rest and while recording; the median counts (2 with -short)")
	case13Frames   = flag.Int("case13.frames", 10000, "BenchmarkCase13_Follow: notifications timed from the stand-in to the follower's stdout (500 with -short)")
	case13Rate     = flag.Int("case13.rate", 1000, "BenchmarkCase13_Follow: notifications a second the stand-in sends")
)

// BenchmarkCase12_ReadWhileRecording is case 12 of the performance suite
// (see bench/run): reading an archive of at least case12.size bytes
// (case12.meetings small meetings and one big one, written with the store
// once per benchmark) while `confrec record` writes to it. Each iteration
// (liveRound) works on a fresh copy of the archive: it times `meetings`,
// `info BIG` and `export frames BIG --from --to` (a 10,000-frame window),
// and a full `export frames BIG` to /dev/null, first at rest (no
// recorder), then with a recorder taking case12.rate frames a second from
// a stand-in in this process, so that the recorder answers them as
// queries. It reports, each with its at-rest figure as rest-<unit>:
// meetings-ms, info-ms, window-ms (medians of case12.reps runs) and
// full-export-s; tmpdir-bytes, what the readers' and the recorder's
// $TMPDIR gained; anon-growth-MB and rss-growth-MB, how much the recorder's
// RssAnon and VmRSS rose during the full export above the most sampled
// while recording without readers; rec-frames/s, the frames the recorder
// committed a second during the full export, against
// noreader-rec-frames/s, over a window without readers before
// (confrec_frames_stored_total from its /metrics).
func BenchmarkCase12_ReadWhileRecording(b *testing.B) {
	cfg := liveConfig{Size: *case12Size, Meetings: *case12Meetings, Rate: *case12Rate, Live: *case12Live,
		Reps: *case12Reps, Settle: 2 * time.Second, Window: 5 * time.Second, Length: 2 * time.Minute}
	if testing.Short() {
		cfg.Size, cfg.Meetings, cfg.Rate, cfg.Reps, cfg.Settle, cfg.Window, cfg.Length = 64<<20, 50, 2000, 2, time.Second, time.Second, 40*time.Second
	}
	dir := b.TempDir()
	bin, err := build(context.Background(), dir)
	if err != nil {
		b.Fatal(err)
	}
	began := time.Now()
	arch, err := writeArchive(filepath.Join(dir, "archive.db"), cfg.Size, cfg.Meetings)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("archive: %d MiB, %d frames in %d meetings (%d in %s), written in %v",
		arch.Size>>20, arch.Frames, cfg.Meetings+1, arch.BigFrames, arch.Big, time.Since(began).Round(time.Millisecond))
	b.Run("confrec", func(b *testing.B) {
		var sum liveResult
		round := 0
		for b.Loop() {
			round++
			r, err := liveRound(context.Background(), bin, filepath.Join(dir, strconv.Itoa(round)), arch, cfg)
			if err != nil {
				b.Fatal(err)
			}
			sum.add(r)
		}
		n := float64(b.N)
		ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) / n }
		b.ReportMetric(ms(sum.Rest.Meetings), "rest-meetings-ms")
		b.ReportMetric(ms(sum.Live.Meetings), "meetings-ms")
		b.ReportMetric(ms(sum.Rest.Info), "rest-info-ms")
		b.ReportMetric(ms(sum.Live.Info), "info-ms")
		b.ReportMetric(ms(sum.Rest.Window), "rest-window-ms")
		b.ReportMetric(ms(sum.Live.Window), "window-ms")
		b.ReportMetric(sum.RestExport.Seconds()/n, "rest-full-export-s")
		b.ReportMetric(sum.Export.Seconds()/n, "full-export-s")
		b.ReportMetric(float64(sum.TmpGained)/n, "tmpdir-bytes")
		b.ReportMetric(float64(sum.AnonGrowth)/(1<<20)/n, "anon-growth-MB")
		b.ReportMetric(float64(sum.RSSGrowth)/(1<<20)/n, "rss-growth-MB")
		b.ReportMetric(sum.NoReaderRate/n, "noreader-rec-frames/s")
		b.ReportMetric(sum.ExportRate/n, "rec-frames/s")
		b.ReportMetric(float64(arch.Size)/(1<<20), "archive-MB")
		b.ReportMetric(float64(sum.Peak)/(1<<20), "peak-RSS-MB")
		b.ReportMetric(0, "ns/op")
	})
}

// liveConfig is one round of BenchmarkCase12_ReadWhileRecording.
type liveConfig struct {
	Size     int64         // the archive's size, at least
	Meetings int           // small meetings of the archive
	Rate     int           // frames a second the stand-in sends, over Live meetings
	Live     int           // meetings recorded
	Reps     int           // runs of each timed read command
	Settle   time.Duration // from all connected to the window without readers
	Window   time.Duration // recording measured without readers over this long
	Length   time.Duration // how long the stand-in's meetings last, at most
}

// readTimes are the medians of the timed read commands.
type readTimes struct{ Meetings, Info, Window time.Duration }

// liveResult is what a round measured.
type liveResult struct {
	Rest, Live             readTimes
	RestExport, Export     time.Duration // a full export of the big meeting
	TmpGained              int64         // bytes $TMPDIR gained (each entry counts at least 1)
	AnonGrowth, RSSGrowth  int64         // the recorder's, during the full export
	NoReaderRate           float64       // frames committed a second without readers
	ExportRate             float64       // during the full export
	Peak                   int64         // the recorder's VmHWM
	ExportBegan, ExportEnd time.Duration // since record started
}

func (s *liveResult) add(r *liveResult) {
	for _, p := range [][2]*readTimes{{&s.Rest, &r.Rest}, {&s.Live, &r.Live}} {
		p[0].Meetings += p[1].Meetings
		p[0].Info += p[1].Info
		p[0].Window += p[1].Window
	}
	s.RestExport += r.RestExport
	s.Export += r.Export
	s.TmpGained += r.TmpGained
	s.AnonGrowth += r.AnonGrowth
	s.RSSGrowth += r.RSSGrowth
	s.NoReaderRate += r.NoReaderRate
	s.ExportRate += r.ExportRate
	s.Peak = max(s.Peak, r.Peak)
}

// archive is a database that writeArchive generated.
type archive struct {
	Path      string
	Size      int64
	Frames    int    // in all
	Big       string // the big meeting's ID
	BigFrames int
	From, To  string // RFC 3339 bounds of a window of windowFrames frames of Big
}

const (
	windowFrames       = 10_000
	archiveSmallFrames = 500                   // frames of a small meeting
	archiveSpacing     = 10 * time.Millisecond // between a meeting's frames
	archiveBig         = "800000000"
	archiveSmall0      = 810000000 // the first small meeting's ID
	liveConf0          = 820000000 // the first recorded meeting's ID
)

var archiveStart = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// payloadPool returns the notifications of a generated meeting (see
// writeScenario): its snapshots and 20,000 increments, without the
// "Destroyed".
func payloadPool(dir string) ([][]byte, error) {
	s, err := writeScenario(filepath.Join(dir, "pool.jsonl"), 0, streamStart+20*time.Second, 1000)
	if err != nil {
		return nil, err
	}
	script, err := readScript(s.Path)
	if err != nil {
		return nil, err
	}
	var pool [][]byte
	for _, st := range script.Steps {
		if st.Kind == standin.StepText && !bytes.Contains(st.Payload, []byte(`"state":"Destroyed"`)) {
			pool = append(pool, st.Payload)
		}
	}
	return pool, os.Remove(s.Path)
}

// writeArchive writes an archive of at least size bytes at path with the
// store, as the recorder would have: small meetings of archiveSmallFrames
// notifications each (a session that began and ended, a title, the label
// of a recording that ended), then one big meeting holding the rest, its
// frames archiveSpacing apart. Its file is synced and closed.
func writeArchive(path string, size int64, small int) (*archive, error) {
	pool, err := payloadPool(filepath.Dir(path))
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	a := &archive{Path: path, Big: archiveBig}
	db, err := store.Open(path, &store.Options{NoSync: true})
	if err != nil {
		return nil, err
	}
	for i := range small {
		id := strconv.Itoa(archiveSmall0 + i)
		start := archiveStart.Add(-time.Duration(small-i) * time.Hour)
		if err := appendMeeting(ctx, db, id, start, pool, i, archiveSmallFrames); err != nil {
			db.Close()
			return nil, err
		}
		a.Frames += archiveSmallFrames + 1
	}
	// The big meeting, one session, grows until the file is large enough,
	// in rounds sized by the bytes a frame has taken so far.
	var sid uint32
	for round := 0; ; round++ {
		if err := db.Close(); err != nil {
			return nil, err
		}
		fi, err := os.Stat(path)
		if err != nil {
			return nil, err
		}
		if a.Size = fi.Size(); a.Size >= size && a.BigFrames >= 2*windowFrames {
			break
		}
		if round == 10 {
			return nil, fmt.Errorf("the archive has %d bytes after %d rounds, want %d", a.Size, round, size)
		}
		n := max(2*windowFrames, int(float64(size-a.Size)/(float64(a.Size)/float64(a.Frames))*1.02)+1000)
		if db, err = store.Open(path, &store.Options{NoSync: true}); err != nil {
			return nil, err
		}
		if round == 0 {
			if sid, err = beginMeeting(ctx, db, archiveBig, archiveStart); err != nil {
				db.Close()
				return nil, err
			}
		}
		if err := appendFrames(db, archiveBig, sid, archiveStart, pool, a.BigFrames, n); err != nil {
			db.Close()
			return nil, err
		}
		a.BigFrames += n
		a.Frames += n
	}
	db, err = store.Open(path, &store.Options{NoSync: true})
	if err != nil {
		return nil, err
	}
	if err := endMeeting(ctx, db, archiveBig, sid, archiveStart.Add(time.Duration(a.BigFrames)*archiveSpacing)); err != nil {
		db.Close()
		return nil, err
	}
	a.BigFrames++ // the close
	a.Frames++
	if err := db.Close(); err != nil {
		return nil, err
	}
	if f, err := os.Open(path); err == nil {
		err = f.Sync()
		f.Close()
		if err != nil {
			return nil, err
		}
	}
	// The window: windowFrames frames from the middle of the big meeting.
	from := archiveStart.Add(time.Duration(a.BigFrames/2) * archiveSpacing)
	a.From = from.Format(time.RFC3339Nano)
	a.To = from.Add(windowFrames * archiveSpacing).Format(time.RFC3339Nano)
	return a, nil
}

// appendMeeting stores a meeting of one session of n notifications,
// archiveSpacing apart from start, taken from pool from its k-th on, ended
// by the server's close 1000.
func appendMeeting(ctx context.Context, db *store.DB, id string, start time.Time, pool [][]byte, k, n int) error {
	sid, err := beginMeeting(ctx, db, id, start)
	if err != nil {
		return err
	}
	if err := appendFrames(db, id, sid, start, pool, k, n); err != nil {
		return err
	}
	return endMeeting(ctx, db, id, sid, start.Add(time.Duration(n)*archiveSpacing))
}

// beginMeeting begins a session of meeting id at start, with a title.
func beginMeeting(ctx context.Context, db *store.DB, id string, start time.Time) (uint32, error) {
	sid, err := db.BeginSession(ctx, id, store.Session{Start: start,
		URL: "wss://meeting-ws.example.invalid:443/cms/open/websocket/confctl/increment/conn?confID=" + id + "&tmpToken=REDACTED"})
	if err != nil {
		return 0, err
	}
	return sid, db.SetLabel(id, "title", "Archive meeting "+id)
}

// appendFrames queues the notifications k to k+n of session sid of meeting
// id: frame i at start + i·archiveSpacing, its payload pool's i-th, round.
func appendFrames(db *store.DB, id string, sid uint32, start time.Time, pool [][]byte, k, n int) error {
	for i := k; i < k+n; i++ {
		f := store.Frame{Time: start.Add(time.Duration(i) * archiveSpacing), Session: sid, Dir: store.In, Op: store.Text, Payload: pool[i%len(pool)]}
		if err := db.Enqueue(id, f); err != nil {
			return err
		}
	}
	return nil
}

// endMeeting ends session sid of meeting id at end with the server's close
// 1000, and its recording.
func endMeeting(ctx context.Context, db *store.DB, id string, sid uint32, end time.Time) error {
	if err := db.Enqueue(id, store.Frame{Time: end, Session: sid, Dir: store.In, Op: store.Close, Payload: store.ClosePayload(1000, "")}); err != nil {
		return err
	}
	if err := db.EndSession(ctx, id, sid, end, store.SessionEnd{Reason: "meeting-ended", CloseCode: 1000}); err != nil {
		return err
	}
	return db.SetLabel(id, recorder.LabelEnded, "meeting-ended")
}

// reader runs confrec's read commands on one database, in an environment
// of its own.
type reader struct {
	bin, db string
	env     []string
}

// run runs confrec with args after --db, its stdout to stdout, and returns
// how long it took from start to exit.
func (r reader) run(stdout io.Writer, args ...string) (time.Duration, error) {
	cmd := exec.Command(r.bin, append([]string{"--db", r.db}, args...)...)
	cmd.Env = r.env
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = stdout, &stderr
	t0 := time.Now()
	err := cmd.Run()
	took := time.Since(t0)
	if err != nil {
		return took, fmt.Errorf("confrec %s: %w\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return took, nil
}

// lineCounter counts the lines written to it.
type lineCounter struct{ n int }

func (c *lineCounter) Write(p []byte) (int, error) {
	c.n += bytes.Count(p, []byte("\n"))
	return len(p), nil
}

// timeReads runs `meetings`, `info BIG` and the window's export reps times
// each, checking what they print, and returns the median times.
func timeReads(r reader, a *archive, reps int) (readTimes, error) {
	var ms, is, ws []time.Duration
	for range reps {
		var out bytes.Buffer
		d, err := r.run(&out, "meetings")
		if err != nil {
			return readTimes{}, err
		}
		if !bytes.Contains(out.Bytes(), []byte(a.Big)) {
			return readTimes{}, fmt.Errorf("meetings does not list %s:\n%.2000s", a.Big, out.Bytes())
		}
		ms = append(ms, d)
		out.Reset()
		if d, err = r.run(&out, "info", a.Big); err != nil {
			return readTimes{}, err
		}
		if !bytes.Contains(out.Bytes(), []byte(strconv.Itoa(a.BigFrames))) {
			return readTimes{}, fmt.Errorf("info %s does not show its %d frames:\n%.2000s", a.Big, a.BigFrames, out.Bytes())
		}
		is = append(is, d)
		var lines lineCounter
		if d, err = r.run(&lines, "export", "frames", a.Big, "--from", a.From, "--to", a.To); err != nil {
			return readTimes{}, err
		}
		if lines.n != windowFrames {
			return readTimes{}, fmt.Errorf("export frames --from %s --to %s printed %d lines, want %d", a.From, a.To, lines.n, windowFrames)
		}
		ws = append(ws, d)
	}
	return readTimes{Meetings: quantile(ms, 0.5), Info: quantile(is, 0.5), Window: quantile(ws, 0.5)}, nil
}

// dirBytes is what dir holds: the sizes of its files, at least 1 an entry.
func dirBytes(dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || path == dir {
			return err
		}
		n++
		if fi, err := d.Info(); err == nil && d.Type().IsRegular() {
			n += fi.Size() - 1
		}
		return nil
	})
	return n, err
}

// liveEnv returns the environment of the processes of a round under dir:
// this one's with $TMPDIR and $XDG_RUNTIME_DIR (where record makes its
// socket) directories of their own, created here.
func liveEnv(dir string) (env []string, tmp string, err error) {
	tmp, run := filepath.Join(dir, "tmp"), filepath.Join(dir, "run")
	for _, d := range []string{tmp, run} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, "", err
		}
	}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TMPDIR=") && !strings.HasPrefix(kv, "XDG_RUNTIME_DIR=") {
			env = append(env, kv)
		}
	}
	return append(env, "TMPDIR="+tmp, "XDG_RUNTIME_DIR="+run, "CONFREC_PROGRESS=0"), tmp, nil
}

// copyFile copies src to dst, a new file.
func copyFile(dst, src string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// liveScripts are the stand-in's meetings of a round: cfg.Live meetings
// sending cfg.Rate notifications a second between them, from pool, for
// cfg.Length. They never end: record is stopped.
func liveScripts(pool [][]byte, cfg liveConfig) []*standin.Script {
	each := float64(cfg.Rate) / float64(cfg.Live)
	n := int(each * cfg.Length.Seconds())
	var scripts []*standin.Script
	for i := range cfg.Live {
		s := &standin.Script{ConfID: strconv.Itoa(liveConf0 + i), Steps: make([]standin.Step, n)}
		for j := range n {
			s.Steps[j] = standin.Step{Offset: time.Duration(float64(j) / each * float64(time.Second)), Kind: standin.StepText, Payload: pool[(i*7919+j)%len(pool)]}
		}
		scripts = append(scripts, s)
	}
	return scripts
}

// liveRound copies the archive into dir and measures there (see
// BenchmarkCase12_ReadWhileRecording).
func liveRound(ctx context.Context, bin, dir string, a *archive, cfg liveConfig) (*liveResult, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	dbPath := filepath.Join(dir, "rec.db")
	if err := copyFile(dbPath, a.Path); err != nil {
		return nil, err
	}
	defer os.Remove(dbPath)
	env, tmp, err := liveEnv(dir)
	if err != nil {
		return nil, err
	}
	rd := reader{bin: bin, db: dbPath, env: env}
	devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return nil, err
	}
	defer devNull.Close()
	fullExport := func() (time.Duration, error) { return rd.run(devNull, "export", "frames", a.Big) }

	res := &liveResult{}
	if res.Rest, err = timeReads(rd, a, cfg.Reps); err != nil {
		return nil, fmt.Errorf("at rest: %w", err)
	}
	if res.RestExport, err = fullExport(); err != nil {
		return nil, fmt.Errorf("at rest: %w", err)
	}

	pool, err := payloadPool(dir)
	if err != nil {
		return nil, err
	}
	srv, err := standin.NewServer(liveScripts(pool, cfg), &standin.ServerOptions{Speed: 1, Password: password})
	if err != nil {
		return nil, err
	}
	defer srv.Close()
	args := []string{"--db", dbPath, "--log-level", "info", "record", "--api-url", srv.URL, "--metrics-listen", "127.0.0.1:0"}
	for i := range cfg.Live {
		args = append(args, "--conf-id", strconv.Itoa(liveConf0+i))
	}
	began := time.Now()
	lr, err := startLogged(bin, dir, args, env, cfg.Live)
	if err != nil {
		return nil, err
	}
	defer lr.file.Close()
	rec, conns := lr.rec, lr.conns
	client := &http.Client{Transport: &http.Transport{}, Timeout: 30 * time.Second}
	defer client.CloseIdleConnections()
	measure := func() error {
		if err := waitConnected(ctx, rec, conns); err != nil {
			return err
		}
		url, err := conns.metricsURL()
		if err != nil {
			return err
		}
		stored := func() (float64, time.Time, error) {
			body, _, err := getMetrics(ctx, client, url)
			if err != nil {
				return 0, time.Time{}, err
			}
			parser := expfmt.NewTextParser(model.LegacyValidation)
			mfs, err := parser.TextToMetricFamilies(bytes.NewReader(body))
			if err != nil {
				return 0, time.Time{}, fmt.Errorf("parse /metrics: %w", err)
			}
			return metricValue(mfs, "confrec_frames_stored_total"), time.Now(), nil
		}
		if err := sleep(ctx, rec, cfg.Settle); err != nil {
			return err
		}
		// Recording without readers: its rate, and the recorder's
		// memory, the most sampled.
		n0, t0, err := stored()
		if err != nil {
			return err
		}
		_, rest, err := sampleRest(ctx, rec, cfg.Window, restEvery)
		if err != nil {
			return err
		}
		n1, t1, err := stored()
		if err != nil {
			return err
		}
		res.NoReaderRate = (n1 - n0) / t1.Sub(t0).Seconds()

		tmp0, err := dirBytes(tmp)
		if err != nil {
			return err
		}
		if res.Live, err = timeReads(rd, a, cfg.Reps); err != nil {
			return fmt.Errorf("while recording: %w", err)
		}

		n2, t2, err := stored()
		if err != nil {
			return err
		}
		res.ExportBegan = time.Since(began)
		stop := make(chan struct{})
		during := sampleMemory(rec.cmd.Process.Pid, 50*time.Millisecond, stop)
		res.Export, err = fullExport()
		close(stop)
		peak := <-during
		if err != nil {
			return fmt.Errorf("while recording: %w", err)
		}
		n3, t3, err := stored()
		if err != nil {
			return err
		}
		res.ExportEnd = time.Since(began)
		res.ExportRate = (n3 - n2) / t3.Sub(t2).Seconds()
		res.AnonGrowth, res.RSSGrowth = peak.Anon-rest.Anon, peak.RSS-rest.RSS
		tmp1, err := dirBytes(tmp)
		if err != nil {
			return err
		}
		res.TmpGained = tmp1 - tmp0
		if res.ExportEnd > cfg.Length {
			return fmt.Errorf("the stand-in's meetings (%v) ended before the export (%v): lengthen them", cfg.Length, res.ExportEnd)
		}
		return nil
	}
	merr := measure()
	serr := rec.stop(time.Minute)
	close(lr.stopSampling)
	res.Peak = (<-lr.peaks).HWM
	if merr != nil {
		return nil, fmt.Errorf("record: %w\n%s", merr, tail(lr.log, 4000))
	}
	if serr != nil {
		return nil, fmt.Errorf("record did not stop well: %w\n%s", serr, tail(lr.log, 4000))
	}
	return res, nil
}

// BenchmarkCase13_Follow is case 13 of the performance suite (see
// bench/run): the latency of `export frames CONFID --follow`. A stand-in in
// this process plays one generated meeting (writeScenario: snapshots, then
// case13.frames increments at case13.rate a second, then "Destroyed" and a
// close 1000); `record --flush-interval 100ms` records it, and once it has
// connected, a follower (`export frames --follow --wait`, a process) prints
// the meeting as it is committed. The latency of a notification is when
// its line is read from the follower's stdout minus its receive time (the
// line's "time"), both this host's clock; it reports p50-ms, p99-ms and
// max-ms over the notifications received after the follower started
// (frames). A second follower starts halfway through. Once the meeting has
// ended and record exited, both followers' output must equal `export
// frames CONFID`'s (not timed).
func BenchmarkCase13_Follow(b *testing.B) {
	n, rate := *case13Frames, *case13Rate
	if testing.Short() {
		n = 500
	}
	dir := b.TempDir()
	bin, err := build(context.Background(), dir)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("confrec", func(b *testing.B) {
		var lat []time.Duration
		var worst time.Duration
		round := 0
		for b.Loop() {
			round++
			r, err := followRound(context.Background(), bin, filepath.Join(dir, strconv.Itoa(round)), n, rate)
			if err != nil {
				b.Fatal(err)
			}
			lat = append(lat, r...)
			worst = max(worst, slices.Max(r))
		}
		ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
		b.ReportMetric(ms(quantile(lat, 0.5)), "p50-ms")
		b.ReportMetric(ms(quantile(lat, 0.99)), "p99-ms")
		b.ReportMetric(ms(worst), "max-ms")
		b.ReportMetric(float64(len(lat))/float64(b.N), "frames")
		b.ReportMetric(0, "ns/op")
	})
}

// followed is a follower process: its output, and the latency of each
// notification it printed that was received after it started.
type followed struct {
	child *child
	out   bytes.Buffer
	lat   []time.Duration
	done  chan error // the reading of its stdout ended: nil or why
	log   bytes.Buffer
}

// follow starts `export frames id --follow --wait` on db.
func follow(bin, db, id string, env []string) (*followed, error) {
	f := &followed{done: make(chan error, 1)}
	cmd := exec.Command(bin, "--db", db, "export", "frames", id, "--follow", "--wait")
	cmd.Env = env
	cmd.Stderr = &f.log
	// A pipe of our own, not StdoutPipe: start's Wait closes that one when
	// the follower exits, possibly before its last lines are read.
	stdout, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd.Stdout = pw
	started := time.Now()
	f.child, err = start(cmd)
	pw.Close() // the follower holds its end
	if err != nil {
		stdout.Close()
		return nil, err
	}
	go func() {
		defer stdout.Close()
		r := bufio.NewReaderSize(stdout, 64<<10)
		for {
			line, err := r.ReadBytes('\n')
			at := time.Now()
			if len(line) > 0 {
				f.out.Write(line)
				var fr struct {
					Time   time.Time `json:"time"`
					Dir    string    `json:"dir"`
					Opcode string    `json:"opcode"`
				}
				if err := json.Unmarshal(line, &fr); err != nil {
					f.done <- fmt.Errorf("the follower printed %.200q: %w", line, err)
					io.Copy(io.Discard, stdout)
					return
				}
				if fr.Dir == "in" && fr.Opcode == "text" && fr.Time.After(started) {
					f.lat = append(f.lat, at.Sub(fr.Time))
				}
			}
			if err != nil {
				if err == io.EOF {
					err = nil
				}
				f.done <- err
				return
			}
		}
	}()
	return f, nil
}

// wait waits for the follower to end, at most limit.
func (f *followed) wait(limit time.Duration) error {
	t := time.NewTimer(limit)
	defer t.Stop()
	var rerr error
	select {
	case rerr = <-f.done:
	case <-t.C:
		_ = f.child.stop(5 * time.Second)
		rerr = <-f.done
		return fmt.Errorf("the follower did not end within %v (%v)", limit, rerr)
	}
	<-f.child.done
	if f.child.err != nil {
		return fmt.Errorf("the follower: %w\n%s", f.child.err, f.log.Bytes())
	}
	return rerr
}

// followRound records one meeting of n notifications at rate a second,
// followed from its start and from its middle, and returns the first
// follower's latencies (see BenchmarkCase13_Follow).
func followRound(ctx context.Context, bin, dir string, n, rate int) ([]time.Duration, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	env, _, err := liveEnv(dir)
	if err != nil {
		return nil, err
	}
	every := time.Second / time.Duration(rate)
	length := streamStart + time.Duration(n)*every
	scen, err := writeScenario(filepath.Join(dir, "meeting.jsonl"), 0, length, float64(rate))
	if err != nil {
		return nil, err
	}
	script, err := readScript(scen.Path)
	if err != nil {
		return nil, err
	}
	srv, err := standin.NewServer([]*standin.Script{script}, &standin.ServerOptions{Speed: 1, Password: password})
	if err != nil {
		return nil, err
	}
	defer srv.Close()
	dbPath := filepath.Join(dir, "rec.db")
	lr, err := startLogged(bin, dir, []string{"--db", dbPath, "--log-level", "info", "record",
		"--api-url", srv.URL, "--flush-interval", "100ms", "--conf-id", scen.ConfID}, env, 1)
	if err != nil {
		return nil, err
	}
	defer lr.file.Close()
	defer close(lr.stopSampling)
	rec, conns := lr.rec, lr.conns
	var followers []*followed
	measure := func() error {
		if err := waitConnected(ctx, rec, conns); err != nil {
			return err
		}
		first, err := follow(bin, dbPath, scen.ConfID, env)
		if err != nil {
			return err
		}
		followers = append(followers, first)
		if err := sleep(ctx, rec, streamStart+(length-streamStart)/2); err != nil {
			return err
		}
		late, err := follow(bin, dbPath, scen.ConfID, env)
		if err != nil {
			return err
		}
		followers = append(followers, late)
		return waitOrStop(ctx, rec, length+time.Minute)
	}
	merr := measure()
	if merr != nil {
		_ = rec.stop(10 * time.Second)
	}
	var ferrs []error
	for i, f := range followers {
		if err := f.wait(time.Minute); err != nil {
			ferrs = append(ferrs, fmt.Errorf("follower %d: %w", i+1, err))
		}
	}
	if merr != nil {
		return nil, fmt.Errorf("record: %w\n%s", merr, tail(lr.log, 4000))
	}
	if err := errors.Join(ferrs...); err != nil {
		return nil, err
	}
	var want bytes.Buffer
	if _, err := (reader{bin: bin, db: dbPath, env: env}).run(&want, "export", "frames", scen.ConfID); err != nil {
		return nil, err
	}
	for i, f := range followers {
		if !bytes.Equal(f.out.Bytes(), want.Bytes()) {
			return nil, fmt.Errorf("follower %d printed %d bytes (%d lines), export frames %d (%d lines): not the same",
				i+1, f.out.Len(), bytes.Count(f.out.Bytes(), []byte("\n")), want.Len(), bytes.Count(want.Bytes(), []byte("\n")))
		}
	}
	lat := followers[0].lat
	if len(lat) < n {
		return nil, fmt.Errorf("the follower timed %d notifications, want at least %d", len(lat), n)
	}
	return lat, nil
}
