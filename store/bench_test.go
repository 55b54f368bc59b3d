package store_test

import (
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/confrec/confrec/store"
)

// benchBatch is how many frames go to disk per commit (store) or per fsync
// (baseline), so the two can be compared.
const benchBatch = 1000

// BenchmarkEnqueue measures queuing 300-byte frames for one meeting and
// flushing every benchBatch frames, against a baseline that writes the same
// frames length-prefixed to a plain file with an fsync every benchBatch
// frames. Read the ratio of the frames/s figures from one run.
func BenchmarkEnqueue(b *testing.B) {
	payload := make([]byte, 300)
	for i := range payload {
		payload[i] = 'a' + byte(i%26)
	}
	for _, noSync := range []bool{false, true} {
		name := "store/sync"
		if noSync {
			name = "store/nosync"
		}
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			db := openDB(b, &store.Options{NoSync: noSync, FlushInterval: time.Hour})
			f := store.Frame{Time: t0, Session: 1, Dir: store.In, Op: store.Text, Payload: payload}
			b.SetBytes(int64(len(payload)))
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				f.Time = f.Time.Add(time.Microsecond)
				if err := db.Enqueue("986512347", f); err != nil {
					b.Fatal(err)
				}
				if (i+1)%benchBatch == 0 {
					if err := db.Flush(ctx); err != nil {
						b.Fatal(err)
					}
				}
			}
			if err := db.Flush(ctx); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
		})
	}
	for _, noSync := range []bool{false, true} {
		name := "baseline/file-fsync"
		if noSync {
			name = "baseline/file-nosync"
		}
		b.Run(name, func(b *testing.B) {
			file, err := os.OpenFile(filepath.Join(b.TempDir(), "frames.bin"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
			if err != nil {
				b.Fatal(err)
			}
			defer file.Close()
			buf := make([]byte, 0, benchBatch*(8+len(payload)))
			flush := func() {
				if _, err := file.Write(buf); err != nil {
					b.Fatal(err)
				}
				buf = buf[:0]
				if !noSync {
					if err := file.Sync(); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.SetBytes(int64(len(payload)))
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				buf = binary.BigEndian.AppendUint64(buf, uint64(len(payload)))
				buf = append(buf, payload...)
				if (i+1)%benchBatch == 0 {
					flush()
				}
			}
			flush()
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
		})
	}
}
