package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"text/tabwriter"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/urfave/cli/v2"

	"github.com/confrec/confrec/natsfeed"
	"github.com/confrec/confrec/recorder"
	"github.com/confrec/confrec/replay/standin"
	"github.com/confrec/confrec/store"
)

// demoClusterSpeed plays the ten-minute sample meeting in ten seconds.
const demoClusterSpeed = 60

// demoClusterMeetings are the cluster demo's meetings, and which of its two
// recorders records each.
var demoClusterMeetings = []struct{ id, recorder string }{
	{"986700001", "rec-a"}, {"986700002", "rec-a"}, {"986700003", "rec-b"}, {"986700004", "rec-b"},
}

// demoCluster is `confrec demo --cluster`: a NATS server with JetStream in
// this process, two recorders publishing to it (each with a database of
// its own, its write-ahead buffer) and an archiver consuming it into a
// third database. One recorder stops abruptly mid-meeting, without
// publishing what it stored last, and starts again on its database: the
// archive ends whole, each chain the same as its recorder's.
func demoCluster(c *cli.Context, script *standin.Script, dir string, logger *slog.Logger) error {
	w := c.App.Writer
	ctx := c.Context
	ns, err := natsserver.NewServer(&natsserver.Options{Host: "127.0.0.1", Port: -1, JetStream: true,
		StoreDir: filepath.Join(dir, "nats"), NoLog: true, NoSigs: true})
	if err != nil {
		return fmt.Errorf("start the embedded NATS server: %w", err)
	}
	go ns.Start()
	defer func() { ns.Shutdown(); ns.WaitForShutdown() }()
	if !ns.ReadyForConnections(10 * time.Second) {
		return errors.New("start the embedded NATS server: not ready after 10 s")
	}
	nc, err := nats.Connect(ns.ClientURL(), nats.MaxReconnects(-1))
	if err != nil {
		return fmt.Errorf("connect to the embedded NATS server: %w", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	if _, err := natsfeed.EnsureStream(ctx, js, 1); err != nil {
		return err
	}
	var scripts []*standin.Script
	for _, m := range demoClusterMeetings {
		scripts = append(scripts, &standin.Script{ConfID: m.id, Steps: script.Steps})
	}
	srv, err := standin.NewServer(scripts, &standin.ServerOptions{Speed: demoClusterSpeed, Password: demoPassword, Logger: logger})
	if err != nil {
		return fmt.Errorf("start the stand-in service: %w", err)
	}
	defer srv.Close()
	fmt.Fprintf(w, "A fleet on one host: NATS JetStream embedded at %s, two recorders (rec-a, rec-b), each\n"+
		"with its own database, publishing to it, and an archiver storing the stream into %s.\n\n",
		ns.ClientURL(), filepath.Join(dir, "archive.db"))

	arch, err := store.Open(filepath.Join(dir, "archive.db"), &store.Options{Logger: logger})
	if err != nil {
		return err
	}
	defer arch.Close()
	actx, stopArchive := context.WithCancel(ctx)
	var archErr error
	var awg sync.WaitGroup
	awg.Go(func() { archErr = natsfeed.NewArchiver(arch, js, natsfeed.ArchiverOptions{Logger: logger}).Run(actx) })
	defer func() { stopArchive(); awg.Wait() }()

	start := time.Now()
	say := func(format string, args ...any) {
		fmt.Fprintf(w, "  %5.1fs  %s\n", time.Since(start).Seconds(), fmt.Sprintf(format, args...))
	}
	recs := map[string]*demoRecorder{}
	for _, name := range []string{"rec-a", "rec-b"} {
		r := &demoRecorder{name: name, path: filepath.Join(dir, name+".db"), js: js, apiURL: srv.URL, logger: logger}
		for _, m := range demoClusterMeetings {
			if m.recorder == name {
				r.ids = append(r.ids, m.id)
			}
		}
		if err := r.start(ctx); err != nil {
			return err
		}
		defer r.stop(false)
		recs[name] = r
		say("%s records %v", name, r.ids)
	}
	sleep(ctx, 4*time.Second)
	b := recs["rec-b"]
	b.stop(true)
	say("rec-b stopped abruptly: what it stored since its last publish waits in %s", filepath.Base(b.path))
	sleep(ctx, time.Second)
	if err := b.start(ctx); err != nil {
		return err
	}
	say("rec-b started again on its database: it publishes what waited and records again (a new session)")
	for _, r := range recs {
		r.wait()
	}
	say("the meetings ended")
	for _, r := range recs {
		r.stop(false)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}

	// The archive takes what the recorders published last.
	want := map[string]store.Meeting{}
	for _, r := range recs {
		db, err := store.Open(r.path, &store.Options{ReadOnly: true})
		if err != nil {
			return err
		}
		for _, id := range r.ids {
			m, err := db.Meeting(id)
			if err != nil {
				db.Close()
				return err
			}
			want[id] = m
		}
		db.Close()
	}
	deadline := time.Now().Add(30 * time.Second)
	for _, m := range demoClusterMeetings {
		for {
			got, err := arch.Meeting(m.id)
			if err == nil && got.Frames >= want[m.id].Frames {
				break
			}
			if time.Now().After(deadline) || ctx.Err() != nil {
				return fmt.Errorf("the archive lacks frames of meeting %s after 30 s", m.id)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	stopArchive()
	awg.Wait()
	if archErr != nil {
		return archErr
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CONFID\tRECORDER\tFRAMES RECORDED\tFRAMES ARCHIVED\tSESSIONS\tCHAIN")
	for _, m := range demoClusterMeetings {
		got, err := arch.Meeting(m.id)
		if err != nil {
			return err
		}
		chain := "verified, the same as the recorder's"
		if err := arch.Verify(m.id); err != nil {
			chain = "FAILED: " + err.Error()
		} else if got.ChainHead != want[m.id].ChainHead {
			chain = "verified, not the recorder's"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%s\n", m.id, m.recorder, want[m.id].Frames, got.Frames, len(got.Sessions), chain)
	}
	return tw.Flush()
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// demoRecorder is one recorder of the cluster demo: its database, its
// Publisher and a recording of each of its meetings.
type demoRecorder struct {
	name, path, apiURL string
	ids                []string
	js                 jetstream.JetStream
	logger             *slog.Logger

	db       *store.DB
	pub      *natsfeed.Publisher
	cancel   context.CancelFunc
	pubDone  sync.WaitGroup
	recsDone sync.WaitGroup
}

// start opens the database and starts publishing and recording.
func (r *demoRecorder) start(ctx context.Context) error {
	db, err := store.Open(r.path, &store.Options{Logger: r.logger})
	if err != nil {
		return err
	}
	pub, err := natsfeed.NewPublisher(db, r.js, natsfeed.PublisherOptions{Recorder: r.name, Logger: r.logger})
	if err != nil {
		db.Close()
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	r.db, r.pub, r.cancel = db, pub, cancel
	r.pubDone.Go(func() { pub.Run(ctx) })
	for _, id := range r.ids {
		r.recsDone.Go(func() {
			o := recorder.Options{ConfID: id, APIURL: r.apiURL, Password: demoPassword, Logger: r.logger}
			o.Backoff.Min, o.Backoff.Max = 100*time.Millisecond, time.Second
			recorder.Record(ctx, db, o)
		})
	}
	return nil
}

// wait waits for the recordings to end.
func (r *demoRecorder) wait() { r.recsDone.Wait() }

// stop stops recording and publishing and closes the database; unless
// abruptly, it first publishes what is left.
func (r *demoRecorder) stop(abruptly bool) {
	if r.db == nil {
		return
	}
	r.cancel()
	r.recsDone.Wait()
	r.pubDone.Wait()
	if !abruptly {
		ctx, cancel := context.WithTimeout(context.Background(), natsFinalWait)
		r.pub.PublishCommitted(ctx)
		cancel()
	}
	r.db.Close()
	r.db = nil
}
