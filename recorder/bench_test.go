package recorder_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/confrec/confrec/confctl"
	"github.com/confrec/confrec/recorder"
	"github.com/confrec/confrec/replay"
	"github.com/confrec/confrec/store"
)

var case3Frames = flag.Int("case3.frames", 200_000, "frames played by BenchmarkCase3_EndToEnd (5,000 under -short unless set)")

// flagSet reports whether the flag name was given on the command line.
func flagSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

const benchConfID = "986512347"

// benchScript is a meeting of n notifications cycling through the sample
// frames (76 B to 3.4 KiB; not the "Destroyed" one), then a close 1000.
func benchScript(b *testing.B, n int) *replay.Script {
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
		payloads = append(payloads, buf.Bytes())
	}
	s := &replay.Script{ConfID: benchConfID, Steps: make([]replay.Step, 0, n+1)}
	for i := range n {
		s.Steps = append(s.Steps, replay.Step{Kind: replay.StepText, Payload: payloads[i%len(payloads)]})
	}
	s.Steps = append(s.Steps, replay.Step{Kind: replay.StepClose, CloseCode: 1000, CloseReason: "meeting ended"})
	return s
}

// bareRead plays one meeting of srv the way the recorder connects (token
// flow, Subscribe) and reads every message with coder/websocket,
// discarding it, until the server closes. It returns how many messages it
// read.
func bareRead(ctx context.Context, srv *replay.Server, confID string) (int, error) {
	c := &confctl.Client{BaseURL: srv.URL}
	tok, err := c.ConfToken(ctx, confID, testPassword, "")
	if err != nil {
		return 0, err
	}
	ws, err := c.WSToken(ctx, confID, tok.Token)
	if err != nil {
		return 0, err
	}
	conn, _, err := websocket.Dial(ctx, confctl.ConnectURL(tok.WSURL, confID, ws), nil)
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
	newServer := func(b *testing.B) *replay.Server {
		srv, err := replay.NewServer([]*replay.Script{script}, &replay.ServerOptions{Password: testPassword})
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
			got, err := bareRead(b.Context(), srv, benchConfID)
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
