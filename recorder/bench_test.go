package recorder_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/confrec/confrec/confctl"
	"github.com/confrec/confrec/recorder"
	"github.com/confrec/confrec/replay/standin"
	"github.com/confrec/confrec/store"
)

var (
	case3Frames  = flag.Int("case3.frames", 200_000, "frames played by BenchmarkCase3_EndToEnd (5,000 under -short unless set)")
	case8Clients = flag.Int("case8.clients", 1000, "clients of BenchmarkCase8_ReplayFanout (20 under -short unless set)")
	case8Frames  = flag.Int("case8.frames", 1000, "frames of the meeting BenchmarkCase8_ReplayFanout plays (200 under -short unless set)")
)

// flagSet reports whether the flag name was given on the command line.
func flagSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

const benchConfID = "986512347"

// samplePayloads returns the sample frames (76 B to 3.4 KiB; not the
// "Destroyed" one), compacted as on the wire. Without replies, it leaves out
// the frames LoadMeeting would skip.
func samplePayloads(b *testing.B, replies bool) [][]byte {
	b.Helper()
	names, err := filepath.Glob(filepath.Join("..", "confctl", "testdata", "samples", "*.json"))
	if err != nil {
		b.Fatal(err)
	}
	var payloads [][]byte
	for _, name := range names {
		if filepath.Base(name) == "ConfDynamicInfoNotify.destroyed.json" {
			continue
		}
		p, err := os.ReadFile(name)
		if err != nil {
			b.Fatal(err)
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, p); err != nil {
			b.Fatalf("%s: %v", name, err)
		}
		if a, _ := confctl.Peek(buf.Bytes()); !replies && confctl.IsReplyAction(a) {
			continue
		}
		payloads = append(payloads, buf.Bytes())
	}
	return payloads
}

// benchScript is a meeting of n notifications cycling through the sample
// frames, then a close 1000.
func benchScript(b *testing.B, n int) *standin.Script {
	b.Helper()
	payloads := samplePayloads(b, true)
	s := &standin.Script{ConfID: benchConfID, Steps: make([]standin.Step, 0, n+1)}
	for i := range n {
		s.Steps = append(s.Steps, standin.Step{Kind: standin.StepText, Payload: payloads[i%len(payloads)]})
	}
	s.Steps = append(s.Steps, standin.Step{Kind: standin.StepClose, CloseCode: 1000, CloseReason: "meeting ended"})
	return s
}

// benchMeeting records a meeting of n notifications, cycling through the
// sample frames without replies, then the server's close 1000, into a store
// under dir, and loads it as a Script: case 8 plays a recorded meeting.
func benchMeeting(b *testing.B, dir string, n int) *standin.Script {
	b.Helper()
	payloads := samplePayloads(b, false)
	db, err := store.Open(filepath.Join(dir, "meeting.db"), &store.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	t0 := time.Date(2025, 3, 18, 2, 0, 0, 0, time.UTC)
	frames := make([]store.Frame, 0, n+1)
	for i := range n {
		frames = append(frames, store.Frame{Time: t0.Add(time.Duration(i) * time.Millisecond), Session: 1, Dir: store.In, Op: store.Text, Payload: payloads[i%len(payloads)]})
	}
	frames = append(frames, store.Frame{Time: t0.Add(time.Duration(n) * time.Millisecond), Session: 1, Dir: store.In, Op: store.Close, Payload: store.ClosePayload(1000, "meeting ended")})
	if err := db.Append(context.Background(), benchConfID, frames...); err != nil {
		b.Fatal(err)
	}
	s, err := standin.LoadMeeting(db, benchConfID)
	if err != nil {
		b.Fatal(err)
	}
	if len(s.Steps) != n+1 {
		b.Fatalf("script has %d steps, want %d", len(s.Steps), n+1)
	}
	return s
}

// bareRead plays one meeting of srv the way the recorder connects (token
// flow, Subscribe) and reads every message with coder/websocket,
// discarding it, until the server closes. It returns how many messages it
// read. hc nil means http.DefaultClient.
func bareRead(ctx context.Context, hc *http.Client, srv *standin.Server, confID string) (int, error) {
	c := &confctl.Client{BaseURL: srv.URL, HTTPClient: hc}
	tok, err := c.ConfToken(ctx, confID, testPassword, "")
	if err != nil {
		return 0, err
	}
	ws, err := c.WSToken(ctx, confID, tok.Token)
	if err != nil {
		return 0, err
	}
	conn, _, err := websocket.Dial(ctx, confctl.ConnectURL(tok.WSURL, confID, ws), &websocket.DialOptions{HTTPClient: hc})
	if err != nil {
		return 0, err
	}
	defer conn.CloseNow()
	conn.SetReadLimit(recorder.DefaultMaxFrame)
	sub := confctl.NewSubscribe("000000000000000000000000000001", confID, confctl.DefaultSubscribeTypes(), tok.Token)
	if err := conn.Write(ctx, websocket.MessageText, sub); err != nil {
		return 0, err
	}
	// Reads with a context that cannot end, as the recorder's: a
	// cancellable one costs coder/websocket a registration per message.
	rctx := context.WithoutCancel(ctx)
	n := 0
	for {
		if _, _, err := conn.Read(rctx); err != nil {
			if websocket.CloseStatus(err) == websocket.StatusNormalClosure {
				return n, nil
			}
			return n, err
		}
		n++
	}
}

// BenchmarkCase3_EndToEnd is case 3 of the benchmark suite: a replay server
// at speed 0 plays a meeting of -case3.frames notifications over loopback;
// confrec records it into a durable store (fsync on every group commit)
// until every frame is committed, and the baseline reads the same frames
// from the same kind of server with coder/websocket and discards them.
// Each reports frames/s.
func BenchmarkCase3_EndToEnd(b *testing.B) {
	n := *case3Frames
	if testing.Short() && !flagSet("case3.frames") {
		n = 5_000
	}
	script := benchScript(b, n)
	newServer := func(b *testing.B) *standin.Server {
		srv, err := standin.NewServer([]*standin.Script{script}, &standin.ServerOptions{Password: testPassword})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(srv.Close)
		return srv
	}

	b.Run("confrec", func(b *testing.B) {
		srv := newServer(b)
		var elapsed time.Duration
		for range b.N {
			db, err := store.Open(filepath.Join(b.TempDir(), "rec.db"), &store.Options{})
			if err != nil {
				b.Fatal(err)
			}
			o := recorder.Options{ConfID: benchConfID, APIURL: srv.URL, Password: testPassword}
			o.Backoff.Min, o.Backoff.Max = time.Millisecond, 20*time.Millisecond
			start := time.Now()
			res, err := recorder.Record(b.Context(), db, o)
			if err == nil {
				err = db.Flush(b.Context())
			}
			elapsed += time.Since(start)
			if err != nil {
				b.Fatal(err)
			}
			if res.Ended != recorder.MeetingEnded || res.Sessions != 1 {
				b.Fatalf("Result = %+v, want MeetingEnded after 1 session", res)
			}
			got := res.Frames.In
			if err := db.Close(); err != nil {
				b.Fatal(err)
			}
			// The notifications, the Subscribe reply and the close.
			if got < int64(n) {
				b.Fatalf("recorded %d frames in, want at least %d", got, n)
			}
		}
		b.ReportMetric(float64(n)*float64(b.N)/elapsed.Seconds(), "frames/s")
	})
	b.Run("baseline", func(b *testing.B) {
		srv := newServer(b)
		var elapsed time.Duration
		for range b.N {
			start := time.Now()
			got, err := bareRead(b.Context(), nil, srv, benchConfID)
			elapsed += time.Since(start)
			if err != nil && !errors.Is(err, context.Canceled) {
				b.Fatal(err)
			}
			if got < n {
				b.Fatalf("read %d frames, want at least %d", got, n)
			}
		}
		b.ReportMetric(float64(n)*float64(b.N)/elapsed.Seconds(), "frames/s")
	})
}

// BenchmarkCase8_ReplayFanout is case 8 of the benchmark suite (here, beside
// case 3, whose bare reader it uses): one replay
// server at speed 0 plays one recorded meeting of -case8.frames frames to
// -case8.clients clients at once, each a bare coder/websocket reader; it
// reports the total frames/s. The baseline is case 3's: one such client
// alone reading the same meeting from the same kind of server.
func BenchmarkCase8_ReplayFanout(b *testing.B) {
	clients, n := *case8Clients, *case8Frames
	if testing.Short() {
		if !flagSet("case8.clients") {
			clients = 20
		}
		if !flagSet("case8.frames") {
			n = 200
		}
	}
	script := benchMeeting(b, b.TempDir(), n)
	// run plays script to k clients at once and returns the time it took;
	// every client must read every frame (want plus the Subscribe reply).
	run := func(b *testing.B, script *standin.Script, k, want int) time.Duration {
		srv, err := standin.NewServer([]*standin.Script{script}, &standin.ServerOptions{Password: testPassword})
		if err != nil {
			b.Fatal(err)
		}
		defer srv.Close()
		tr := &http.Transport{MaxIdleConnsPerHost: 64}
		defer tr.CloseIdleConnections()
		hc := &http.Client{Transport: tr}
		errs := make(chan error, k)
		counts := make(chan int, k)
		var wg sync.WaitGroup
		start := time.Now()
		for range k {
			wg.Go(func() {
				got, err := bareRead(b.Context(), hc, srv, benchConfID)
				errs <- err
				counts <- got
			})
		}
		wg.Wait()
		elapsed := time.Since(start)
		close(errs)
		close(counts)
		for err := range errs {
			if err != nil {
				b.Fatal(err)
			}
		}
		for got := range counts {
			if got < want {
				b.Fatalf("a client read %d frames, want at least %d", got, want)
			}
		}
		return elapsed
	}

	b.Run("confrec", func(b *testing.B) {
		var elapsed time.Duration
		for range b.N {
			elapsed += run(b, script, clients, n)
		}
		b.ReportMetric(float64(n)*float64(clients)*float64(b.N)/elapsed.Seconds(), "frames/s")
		b.ReportMetric(float64(clients), "clients")
	})
	b.Run("baseline", func(b *testing.B) {
		// Case 3's baseline: one client reading one long meeting (the
		// meeting's frames over and over, up to as many frames as all
		// the clients above read, at most 200,000).
		total := min(n*clients, 200_000)
		long := &standin.Script{ConfID: script.ConfID, Steps: make([]standin.Step, 0, total+1)}
		for len(long.Steps) < total {
			long.Steps = append(long.Steps, script.Steps[len(long.Steps)%n])
		}
		long.Steps = append(long.Steps, script.Steps[n]) // the close
		var elapsed time.Duration
		for range b.N {
			elapsed += run(b, long, 1, total)
		}
		b.ReportMetric(float64(total)*float64(b.N)/elapsed.Seconds(), "frames/s")
		b.ReportMetric(1, "clients")
	})
}
