package export_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/confrec/confrec/export"
	"github.com/confrec/confrec/store"
)

var case5Frames = flag.Int("case5.frames", 1_000_000, "frames exported by BenchmarkCase5_ExportJSONL (20,000 under -short unless set)")

// flagSet reports whether the flag name was given on the command line.
func flagSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// benchPayloads are the sample notifications (76 B to 3.4 KiB) that
// benchmark frames cycle through.
func benchPayloads(b *testing.B) [][]byte {
	b.Helper()
	names, err := filepath.Glob(filepath.Join("..", "confctl", "testdata", "samples", "*.json"))
	if err != nil || len(names) == 0 {
		b.Fatalf("no sample frames: %v", err)
	}
	var out [][]byte
	for _, name := range names {
		p, err := os.ReadFile(name)
		if err != nil {
			b.Fatal(err)
		}
		// One line each, as on the wire.
		var buf bytes.Buffer
		if err := json.Compact(&buf, p); err != nil {
			b.Fatalf("%s: %v", name, err)
		}
		out = append(out, buf.Bytes())
	}
	return out
}

// benchStore stores n frames cycling through the sample payloads, each
// msgID made unique, into a new store under dir.
func benchStore(b *testing.B, dir string, n int) *store.DB {
	b.Helper()
	db, err := store.Open(filepath.Join(dir, "bench.db"), &store.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	payloads := benchPayloads(b)
	t := time.Date(2025, 3, 18, 2, 0, 0, 0, time.UTC)
	batch := make([]store.Frame, 0, 4096)
	for i := range n {
		p := payloads[i%len(payloads)]
		p = bytes.Replace(p, []byte(`"msgID":"`), []byte(`"msgID":"`+strconv.Itoa(i)+`-`), 1)
		batch = append(batch, store.Frame{Time: t.Add(time.Duration(i) * time.Millisecond), Session: 1, Dir: store.In, Op: store.Text, Payload: p})
		if len(batch) == cap(batch) || i == n-1 {
			if err := db.Append(context.Background(), benchMeeting, batch...); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	return db
}

const benchMeeting = "986512347"

// BenchmarkCase5_ExportJSONL is case 5 of the benchmark suite: confrec
// exports a meeting's frames as JSON Lines (to io.Discard); the baselines
// are cat of that output to /dev/null (the I/O limit) and jq -c . over it
// (what a user would otherwise run). Each reports frames/s.
func BenchmarkCase5_ExportJSONL(b *testing.B) {
	n := *case5Frames
	if testing.Short() && !flagSet("case5.frames") {
		n = 20_000
	}
	dir := b.TempDir()
	db := benchStore(b, dir, n)
	defer db.Close()
	out := filepath.Join(dir, "frames.jsonl")
	f, err := os.Create(out)
	if err != nil {
		b.Fatal(err)
	}
	if err := export.Frames(f, db, benchMeeting, nil); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	info, err := os.Stat(out)
	if err != nil {
		b.Fatal(err)
	}
	report := func(b *testing.B, start time.Time) {
		b.ReportMetric(float64(n)*float64(b.N)/time.Since(start).Seconds(), "frames/s")
		b.ReportMetric(float64(info.Size())/float64(n), "bytes/frame")
	}

	b.Run("confrec", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(info.Size())
		start := time.Now()
		for range b.N {
			if err := export.Frames(io.Discard, db, benchMeeting, nil); err != nil {
				b.Fatal(err)
			}
		}
		report(b, start)
	})
	// run runs name with args, stdin from the export, stdout to /dev/null.
	run := func(b *testing.B, name string, args ...string) {
		b.Helper()
		in, err := os.Open(out)
		if err != nil {
			b.Fatal(err)
		}
		defer in.Close()
		null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
		if err != nil {
			b.Fatal(err)
		}
		defer null.Close()
		var stderr bytes.Buffer
		cmd := exec.Command(name, args...)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = in, null, &stderr
		if err := cmd.Run(); err != nil {
			b.Fatalf("%s: %v: %s", name, err, stderr.Bytes())
		}
	}
	b.Run("baseline", func(b *testing.B) {
		b.Run("cat", func(b *testing.B) {
			if _, err := exec.LookPath("cat"); err != nil {
				b.Fatal("cat is missing")
			}
			b.SetBytes(info.Size())
			start := time.Now()
			for range b.N {
				run(b, "cat")
			}
			report(b, start)
		})
		b.Run("jq", func(b *testing.B) {
			if _, err := exec.LookPath("jq"); err != nil {
				b.Fatal("jq is missing: apt-get install jq")
			}
			b.SetBytes(info.Size())
			start := time.Now()
			for range b.N {
				run(b, "jq", "-c", ".")
			}
			report(b, start)
		})
	})
}
