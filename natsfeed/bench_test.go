package natsfeed

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/confrec/confrec/internal/natstest"
	"github.com/confrec/confrec/store"
)

// benchFrames is how many frames cases 14 and 16 move (fewer with -short).
func benchFrames() int {
	if testing.Short() {
		return 2000
	}
	return 50000
}

// benchServer runs a NATS server with JetStream for b, syncing every write
// when syncAlways, and returns a JetStream client of it with the stream.
func benchServer(b *testing.B, syncAlways bool) jetstream.JetStream {
	b.Helper()
	s := natstest.Start(b, b.TempDir(), &natstest.Options{SyncAlways: syncAlways})
	nc, err := nats.Connect(s.ClientURL())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := EnsureStream(context.Background(), js, 1); err != nil {
		b.Fatal(err)
	}
	return js
}

// benchRecorder returns a recorder database holding n typical frames of
// one meeting (about 300 bytes each), in one session.
func benchRecorder(b *testing.B, n int) (*store.DB, string) {
	b.Helper()
	db, err := store.Open(filepath.Join(b.TempDir(), "rec.db"), &store.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	const id = "900200300"
	ctx := context.Background()
	sid, err := db.BeginSession(ctx, id, store.Session{Start: t0})
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < n; i += 1000 {
		var fs []store.Frame
		for j := i; j < min(n, i+1000); j++ {
			fs = append(fs, store.Frame{Time: t0.Add(time.Duration(j) * time.Millisecond), Session: sid, Dir: store.In, Op: store.Text,
				Payload: fmt.Appendf(nil, `{"action":"ConfDynamicInfoNotify","version":%d,"createTime":%d,"msgID":"%032x","data":{"userID":"u%d","speaking":true,"name":"Participant %d","pad":"0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"}}`, j, 1742263800000+j, j, j%500, j%500)})
		}
		if err := db.Append(ctx, id, fs...); err != nil {
			b.Fatal(err)
		}
	}
	return db, id
}

// archiveAll publishes rec's frames and archives them into a new
// database, and returns once the archive holds all n.
func archiveAll(b *testing.B, js jetstream.JetStream, rec *store.DB, id string, n int, durable string) {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	arch, err := store.Open(filepath.Join(b.TempDir(), "archive.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer arch.Close()
	a := NewArchiver(arch, js, ArchiverOptions{Durable: durable, Batch: 1024})
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	pub, err := NewPublisher(rec, js, PublisherOptions{Recorder: durable, Window: 1024})
	if err != nil {
		b.Fatal(err)
	}
	if err := pub.PublishCommitted(ctx); err != nil {
		b.Fatal(err)
	}
	for {
		m, err := arch.Meeting(id)
		if err == nil && m.Frames >= uint64(n) {
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
}

// BenchmarkCase14_ArchiveIngest is case 14 of the performance suite (see
// bench/run): frames a second from a recorder's database through JetStream
// into an archive's (Publisher and Archiver, each commit durable), against
// a bare JetStream publish and pull-consume of the same messages, acked,
// with nothing stored. One in-process server, its default sync.
func BenchmarkCase14_ArchiveIngest(b *testing.B) {
	n := benchFrames()
	b.Run("confrec", func(b *testing.B) {
		rec, id := benchRecorder(b, n)
		js := benchServer(b, false)
		round := 0
		for b.Loop() {
			round++
			// A recorder ID of its own a round: the same frames are new ones.
			archiveAll(b, js, rec, id, n, fmt.Sprintf("bench-%d", round))
			b.StopTimer()
			rec.SetLabel(id, LabelPublished, "")
			rec.Flush(context.Background())
			b.StartTimer()
		}
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "frames/s")
		b.ReportMetric(0, "ns/op")
	})
	b.Run("baseline", func(b *testing.B) {
		rec, id := benchRecorder(b, n)
		frs := make([]*nats.Msg, 0, n)
		c, _ := rec.Frames(id, nil)
		link := store.ChainStart(id)
		for c.Next() {
			f := c.Frame()
			link = store.ChainNext(link, &f)
			frs = append(frs, frameMsgs(source{id, "baseline", 1}, &f, link)...)
		}
		js := benchServer(b, false)
		ctx := context.Background()
		round := 0
		for b.Loop() {
			round++
			cons, err := js.CreateOrUpdateConsumer(ctx, StreamName, jetstream.ConsumerConfig{Durable: fmt.Sprintf("base-%d", round), AckPolicy: jetstream.AckExplicitPolicy,
				DeliverPolicy: jetstream.DeliverNewPolicy, MaxAckPending: 8192})
			if err != nil {
				b.Fatal(err)
			}
			var pending []jetstream.PubAckFuture
			for i, m := range frs {
				m.Header.Set(nats.MsgIdHdr, fmt.Sprintf("%d-%d", round, i))
				f, err := js.PublishMsgAsync(m)
				if err != nil {
					b.Fatal(err)
				}
				pending = append(pending, f)
				if len(pending) == 1024 {
					for _, f := range pending {
						<-f.Ok()
					}
					pending = pending[:0]
				}
			}
			for _, f := range pending {
				<-f.Ok()
			}
			for got := 0; got < n; {
				batch, err := cons.Fetch(min(1024, n-got), jetstream.FetchMaxWait(time.Second))
				if err != nil {
					b.Fatal(err)
				}
				for m := range batch.Messages() {
					m.Ack()
					got++
				}
			}
		}
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "frames/s")
		b.ReportMetric(0, "ns/op")
	})
}

// BenchmarkCase15_NATSLatency is case 15 of the performance suite: the time
// from a frame's receipt (its Enqueue in the recorder's database, 100 ms
// flush interval, as record stores it) to its commit in the archive, over
// frames arriving at 500 a second; it reports p50-ms and p99-ms.
func BenchmarkCase15_NATSLatency(b *testing.B) {
	n := 5000
	if testing.Short() {
		n = 500
	}
	b.Run("confrec", func(b *testing.B) {
		var lat []time.Duration
		for b.Loop() {
			lat = append(lat, latencyRound(b, n)...)
		}
		slices.Sort(lat)
		ms := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))]) / float64(time.Millisecond) }
		b.ReportMetric(ms(0.5), "p50-ms")
		b.ReportMetric(ms(0.99), "p99-ms")
		b.ReportMetric(0, "ns/op")
	})
}

func latencyRound(b *testing.B, n int) []time.Duration {
	js := benchServer(b, false)
	rec, err := store.Open(filepath.Join(b.TempDir(), "rec.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer rec.Close()
	arch, err := store.Open(filepath.Join(b.TempDir(), "archive.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer arch.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pub, err := NewPublisher(rec, js, PublisherOptions{Recorder: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	a := NewArchiver(arch, js, ArchiverOptions{Wait: 50 * time.Millisecond})
	errs := make(chan error, 2)
	go func() { errs <- pub.Run(ctx) }()
	go func() { errs <- a.Run(ctx) }()
	const id = "900200400"
	lat := make([]time.Duration, 0, n)
	seen := make(chan struct{})
	go func() { // the archive's frames as they are committed
		defer close(seen)
		var c *store.Cursor
		for len(lat) < n {
			ch := arch.Committed()
			if c == nil {
				if cc, err := arch.Frames(id, nil); err == nil {
					c = cc
				}
			}
			for c != nil && c.Next() {
				f := c.Frame()
				lat = append(lat, time.Since(f.Time))
			}
			if len(lat) >= n {
				return
			}
			select {
			case <-ch:
			case <-ctx.Done():
				return
			}
		}
	}()
	tick := time.NewTicker(2 * time.Millisecond)
	for i := range n {
		<-tick.C
		if err := rec.Enqueue(id, store.Frame{Time: time.Now(), Dir: store.In, Op: store.Text, Payload: fmt.Appendf(nil, `{"action":"HeartBeat","n":%d}`, i)}); err != nil {
			b.Fatal(err)
		}
	}
	tick.Stop()
	select {
	case <-seen:
	case <-time.After(60 * time.Second):
		b.Fatalf("the archive holds %d of %d frames after a minute", len(lat), n)
	}
	cancel()
	for range 2 {
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
	}
	return lat
}

// BenchmarkCase16_SyncAlways is case 16 of the performance suite: case 14's
// path with the NATS server syncing every write to disk (sync_interval:
// always, what an archive needs), against its default (a sync every two
// minutes).
func BenchmarkCase16_SyncAlways(b *testing.B) {
	n := benchFrames()
	for _, c := range []struct {
		name string
		sync bool
	}{{"confrec", true}, {"baseline", false}} {
		b.Run(c.name, func(b *testing.B) {
			rec, id := benchRecorder(b, n)
			js := benchServer(b, c.sync)
			round := 0
			for b.Loop() {
				round++
				archiveAll(b, js, rec, id, n, fmt.Sprintf("bench-%d", round))
				b.StopTimer()
				rec.SetLabel(id, LabelPublished, "")
				rec.Flush(context.Background())
				b.StartTimer()
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "frames/s")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// BenchmarkPublisherWake is what a commit of one frame costs the Publisher
// of a recorder with many meetings (10,000; 500 with -short), all else
// published: reading every meeting's metadata (full), against reading the
// one the store says changed (changed).
func BenchmarkPublisherWake(b *testing.B) {
	n := 10000
	if testing.Short() {
		n = 500
	}
	js := benchServer(b, false)
	rec, err := store.Open(filepath.Join(b.TempDir(), "rec.db"), &store.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer rec.Close()
	ctx := context.Background()
	for i := range n {
		rec.Enqueue(fmt.Sprintf("9%08d", i), store.Frame{Time: t0, Dir: store.In, Op: store.Text, Payload: []byte(`{"action":"HeartBeat"}`)})
	}
	if err := rec.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	pub, err := NewPublisher(rec, js, PublisherOptions{Recorder: "bench", Window: 1024})
	if err != nil {
		b.Fatal(err)
	}
	if err := pub.PublishCommitted(ctx); err != nil {
		b.Fatal(err)
	}
	const id = "900000000"
	for _, c := range []struct {
		name    string
		publish func() error
	}{
		{"full", func() error { return pub.PublishCommitted(ctx) }},
		{"changed", func() error { return pub.publishMeetings(ctx, []string{id}) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				if err := rec.Append(ctx, id, store.Frame{Time: time.Now(), Dir: store.In, Op: store.Text, Payload: []byte(`{"action":"HeartBeat"}`)}); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				if err := c.publish(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
