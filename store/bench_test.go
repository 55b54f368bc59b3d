package store_test

import (
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/confrec/confrec/store"
)

// Issue 6 benchmarks. Each case has sub-benchmarks "confrec" and "baseline"
// doing the same work on the same frames; an op ingests the whole set of
// frames into a new file, and each reports frames/s (and case 7 its
// bytes/frame and ratio). Size knobs are flags, small under -short so that
// `go test -short -bench . -benchtime=1x` stays quick.
var (
	benchFrames   = flag.Int("store.frames", 0, "frames per op of the store ingest benchmarks (default 1000000, 20000 with -short)")
	benchMeetings = flag.Int("store.meetings", 1000, "meetings interleaved in BenchmarkCase2_Interleaved and BenchmarkCase7_Storage")
	benchPayload  = flag.Int("store.payload", 300, "payload bytes per frame of the store ingest benchmarks")
	benchBlockMax = flag.Int("store.blockmax", 0, "block size bound in bytes (0: the store's)")
	benchNoSync   = flag.Bool("store.nosync", false, "skip fsync in confrec and the baseline (to see the CPU bound; not the cases' definition)")
	benchZBlock   = flag.Int("store.zblock", 0, "CompactOptions.CompressBlock of BenchmarkCase7_Storage (0: the default)")
	benchZLevel   = flag.String("store.zlevel", "", "zstd level of BenchmarkCase7_Storage's compaction: fastest, default, better, best (empty: the store's)")
)

func framesPerOp() int {
	if *benchBlockMax > 0 {
		store.SetBlockMax(*benchBlockMax)
	}
	switch {
	case *benchFrames > 0:
		return *benchFrames
	case testing.Short():
		return 20000
	}
	return 1000000
}

// notifications returns n payloads of size bytes shaped like the server's
// notifications (../shared/protocol/samples): compact JSON with 32-character
// participant IDs from a 500-person roster, names, msgIDs, times and small
// numbers, padded with spaces to exactly size bytes.
func notifications(n, size int) [][]byte {
	rng := rand.New(rand.NewPCG(6, 300))
	const alnum = "abcdefghijklmnopqrstuvwxyz0123456789"
	id := func(k int) string {
		b := make([]byte, k)
		for i := range b {
			b[i] = alnum[rng.IntN(len(alnum))]
		}
		return string(b)
	}
	hex := func() string { return fmt.Sprintf("%016x%016x", rng.Uint64(), rng.Uint64()) }
	roster := make([]string, 500)
	for i := range roster {
		roster[i] = id(32)
	}
	names := []string{"Zhao Min", "Chen Jing", "Wang Lei", "Li Na", "Liu Yang", "Zhang Wei", "Huang Li", "Wu Fang"}
	created := int64(1742277015000)
	out := make([][]byte, n)
	for i := range out {
		created += int64(rng.IntN(200))
		var b []byte
		switch rng.IntN(4) {
		case 0:
			b = fmt.Appendf(nil, `{"action":"SpeakerChangeNotify","version":%d,"createTime":%d,"msgID":"%s","msgMode":0,"confID":"986512347","data":[{"pid":"%s","name":"%s","speakingVolume":%d}]}`,
				created, created, hex(), roster[rng.IntN(500)], names[rng.IntN(len(names))], rng.IntN(100))
		case 1:
			b = fmt.Appendf(nil, `{"action":"ParticipantsNotify","version":1,"createTime":%d,"msgID":"%s","msgMode":1,"confID":"986512347","data":[{"pid":"%s","mode":0,"pinfoMap":{"MUTE":"%d"}},{"pid":"%s","mode":0,"pinfoMap":{"HAND":"%d"}}]}`,
				created, hex(), roster[rng.IntN(500)], rng.IntN(2), roster[rng.IntN(500)], rng.IntN(2))
		case 2:
			b = fmt.Appendf(nil, `{"action":"NetConditionNotify","version":1,"createTime":%d,"msgID":"%s","msgMode":1,"confID":"986512347","data":[{"pid":"%s","netLevel":%d,"lossRate":%d}]}`,
				created, hex(), roster[rng.IntN(500)], rng.IntN(5), rng.IntN(30))
		default:
			b = fmt.Appendf(nil, `{"action":"ConfDynamicInfoNotify","version":%d,"createTime":%d,"msgID":"%s","msgMode":1,"confID":"986512347","data":{"lockState":%d,"recordState":%d,"participantNum":%d}}`,
				created, created, hex(), rng.IntN(2), rng.IntN(2), rng.IntN(500))
		}
		if len(b) > size {
			b = b[:size]
		}
		for len(b) < size {
			b = append(b, ' ')
		}
		out[i] = b
	}
	return out
}

// benchData is the frames of one op, with times a few microseconds apart.
type benchData struct {
	payloads [][]byte
	times    []time.Time
}

func newBenchData(n int) benchData {
	d := benchData{payloads: notifications(n, *benchPayload), times: make([]time.Time, n)}
	for i := range d.times {
		d.times[i] = t0.Add(time.Duration(i) * 3 * time.Microsecond)
	}
	return d
}

// ingest enqueues d's frames round-robin over meetings into a new database
// as fast as Enqueue takes them and returns once they are durable, with the
// number of commits the writer made and the database file's path.
func ingest(b *testing.B, d benchData, meetings int, opts *store.Options) (commits uint64, path string) {
	b.Helper()
	ids := make([]string, meetings)
	for i := range ids {
		ids[i] = fmt.Sprintf("9865%05d", i)
	}
	path = filepath.Join(b.TempDir(), "confrec.db")
	db, err := store.Open(path, opts)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	for i, p := range d.payloads {
		f := store.Frame{Time: d.times[i], Session: 1, Dir: store.In, Op: store.Text, Payload: p}
		if err := db.Enqueue(ids[i%meetings], f); err != nil {
			b.Fatal(err)
		}
	}
	if err := db.Flush(context.Background()); err != nil {
		b.Fatal(err)
	}
	commits = store.Commits(db)
	if err := db.Close(); err != nil {
		b.Fatal(err)
	}
	return commits, path
}

// appendFile is the baseline: d's frames length-prefixed (u32 length, u64
// time) appended to a plain file with an fsync every every frames.
func appendFile(b *testing.B, d benchData, every int) {
	b.Helper()
	file, err := os.OpenFile(filepath.Join(b.TempDir(), "frames.bin"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		b.Fatal(err)
	}
	defer file.Close()
	buf := make([]byte, 0, min(every, len(d.payloads))*(12+*benchPayload))
	flush := func() {
		if _, err := file.Write(buf); err != nil {
			b.Fatal(err)
		}
		buf = buf[:0]
		if *benchNoSync {
			return
		}
		if err := file.Sync(); err != nil {
			b.Fatal(err)
		}
	}
	for i, p := range d.payloads {
		buf = binary.BigEndian.AppendUint32(buf, uint32(len(p)))
		buf = binary.BigEndian.AppendUint64(buf, uint64(d.times[i].UnixNano()))
		buf = append(buf, p...)
		if (i+1)%every == 0 {
			flush()
		}
	}
	flush()
}

// cadence is frames per fsync for the baseline: the confrec run's frames per
// commit, or when that did not run, the frames of 100 ms at a million a
// second.
func cadence(frames int, commits uint64) int {
	if commits == 0 {
		return 100000
	}
	return max(1, frames/int(commits))
}

// runCase runs the confrec and baseline sub-benchmarks of an ingest case
// with meetings meetings and the default FlushInterval, durable.
func runCase(b *testing.B, meetings int, report func(b *testing.B, path string, frames int)) {
	d := newBenchData(framesPerOp())
	n := len(d.payloads)
	var commits uint64
	b.Run("confrec", func(b *testing.B) {
		var path string
		b.SetBytes(int64(n * *benchPayload))
		for range b.N {
			commits, path = ingest(b, d, meetings, &store.Options{NoSync: *benchNoSync})
		}
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "frames/s")
		b.ReportMetric(float64(n)/float64(commits), "frames/commit")
		if report != nil {
			report(b, path, n)
		}
	})
	b.Run("baseline", func(b *testing.B) {
		every := cadence(n, commits)
		b.SetBytes(int64(n * *benchPayload))
		for range b.N {
			appendFile(b, d, every)
		}
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "frames/s")
		b.ReportMetric(float64(every), "frames/commit")
	})
}

// BenchmarkCase1_Ingest is case 1: one meeting, frames enqueued as fast as
// the store takes them, durable (fsync on every group commit), against
// appending the same frames length-prefixed to a file with an fsync after as
// many frames as the store put in each commit.
func BenchmarkCase1_Ingest(b *testing.B) {
	runCase(b, 1, nil)
}

// BenchmarkCase2_Interleaved is case 2: the frames round-robin over
// -store.meetings meetings (one bucket each), durable within the default
// FlushInterval (100 ms). The baseline is case 1's, at this run's cadence.
func BenchmarkCase2_Interleaved(b *testing.B) {
	runCase(b, *benchMeetings, nil)
}

// BenchmarkCase7_Storage is case 7: case 2's ingest, then the database
// file's size per frame against the payload bytes per frame ("ratio"), and
// the same after Compact ("compacted-ratio": without the free pages and
// bbolt's last growth step of up to 16 MiB) and after Compact with
// Compress ("ratio-zstd": frames regrouped into blocks of
// DefaultCompressBlock bytes compressed with zstd). It also reports the
// speed of reading every meeting's frames with a Cursor from the compacted
// file ("read-frames/s") and from the compressed one
// ("zstd-read-frames/s"), and of the compressing Compact itself
// ("zstd-compact-MB/s", payload bytes a second). The baseline's
// bytes/frame is the length-prefixed file's (12 bytes of header a frame).
func BenchmarkCase7_Storage(b *testing.B) {
	d := newBenchData(framesPerOp())
	n := len(d.payloads)
	payload := float64(*benchPayload)
	if *benchZLevel != "" {
		defer store.SetZstdLevel(*benchZLevel)()
	}
	b.Run("confrec", func(b *testing.B) {
		var path string
		for range b.N {
			_, path = ingest(b, d, *benchMeetings, nil)
		}
		fi, err := os.Stat(path)
		if err != nil {
			b.Fatal(err)
		}
		perFrame := float64(fi.Size()) / float64(n)
		b.ReportMetric(perFrame, "bytes/frame")
		b.ReportMetric(perFrame/payload, "ratio")
		res, err := store.Compact(path, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(res.After)/float64(n), "compacted-bytes/frame")
		b.ReportMetric(float64(res.After)/float64(n)/payload, "compacted-ratio")
		b.ReportMetric(readSpeed(b, path, n), "read-frames/s")

		start := time.Now()
		res, err = store.Compact(path, &store.CompactOptions{Compress: true, CompressBlock: *benchZBlock})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(n)*payload/time.Since(start).Seconds()/1e6, "zstd-compact-MB/s")
		b.ReportMetric(float64(res.After)/float64(n), "zstd-bytes/frame")
		b.ReportMetric(float64(res.After)/float64(n)/payload, "ratio-zstd")
		b.ReportMetric(readSpeed(b, path, n), "zstd-read-frames/s")
	})
	b.Run("baseline", func(b *testing.B) {
		for range b.N {
			appendFile(b, d, n)
		}
		perFrame := float64(12 + *benchPayload)
		b.ReportMetric(perFrame, "bytes/frame")
		b.ReportMetric(perFrame/payload, "ratio")
	})
}

// readSpeed reads every frame of every meeting of the database at path,
// which must hold n frames, with a Cursor each, and returns frames/s: the
// best of three passes, so that the first pass's page faults do not count.
func readSpeed(b *testing.B, path string, n int) float64 {
	b.Helper()
	db, err := store.Open(path, &store.Options{ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ms, err := db.Meetings()
	if err != nil {
		b.Fatal(err)
	}
	var best time.Duration
	for range 3 {
		start := time.Now()
		got := 0
		for _, m := range ms {
			c, err := db.Frames(m.ID, nil)
			if err != nil {
				b.Fatal(err)
			}
			for c.Next() {
				got++
			}
			if err := c.Err(); err != nil {
				b.Fatal(err)
			}
		}
		if got != n {
			b.Fatalf("read %d frames, want %d", got, n)
		}
		if el := time.Since(start); best == 0 || el < best {
			best = el
		}
	}
	return float64(n) / best.Seconds()
}
