package main

import (
	"context"
	"flag"
	"io"
	"testing"
	"time"
)

// Size knobs of BenchmarkCase4_IdleMeetings (small under -short).
var (
	case4Meetings = flag.Int("case4.meetings", 1000, "BenchmarkCase4_IdleMeetings: idle meetings held by one record process (20 with -short)")
	case4Window   = flag.Duration("case4.window", 10*time.Second, "BenchmarkCase4_IdleMeetings: CPU measured at rest over this long (2s with -short)")
)

// BenchmarkCase4_IdleMeetings is case 4 of the performance suite (see
// bench/run): one record process holding case4.meetings idle meetings
// (snapshots, then heartbeats every 5 s only). Each iteration is a whole
// idle run (see idleRound): a 1-meeting base, then all the meetings; it
// reports the RSS each meeting adds at rest, (rest − base)/meetings with
// the most sampled over the window, as B/meeting (its RssAnon and RssFile
// parts as anon-B/meeting and file-B/meeting), the peak's as peak-B/meeting, record's CPU at rest as cpu-%
// of one core, and its peak RSS. The targets are absolute (64 KiB a
// meeting, 5% of a core): there is no baseline sub-benchmark.
func BenchmarkCase4_IdleMeetings(b *testing.B) {
	cfg := config{
		Meetings: *case4Meetings, Duration: time.Minute, Heartbeat: 5 * time.Second,
		BaseDuration: 2 * time.Second, Idle: true, Settle: 3 * time.Second, Window: *case4Window,
	}
	if testing.Short() {
		cfg.Meetings, cfg.Window, cfg.Settle, cfg.BaseDuration = 20, 2*time.Second, time.Second, time.Second
	}
	dir := b.TempDir()
	bin, err := build(context.Background(), dir)
	if err != nil {
		b.Fatal(err)
	}
	cfg.Confrec = bin
	b.Run("confrec", func(b *testing.B) {
		var perMeeting, anonPer, filePer, peakPer, cpu, peak float64
		for b.Loop() {
			rep, err := run(context.Background(), cfg, io.Discard)
			if err != nil {
				b.Fatal(err)
			}
			perMeeting += float64(rep.restPerMeeting())
			anonPer += float64(rep.Main.Rest.Anon-rep.Base.Rest.Anon) / float64(cfg.Meetings)
			filePer += float64(rep.Main.Rest.File-rep.Base.Rest.File) / float64(cfg.Meetings)
			peakPer += float64(rep.peakPerMeeting())
			cpu += 100 * rep.Main.IdleCPU
			peak = max(peak, float64(rep.Main.Mem.HWM)/(1<<20))
		}
		n := float64(b.N)
		b.ReportMetric(perMeeting/n, "B/meeting")
		b.ReportMetric(anonPer/n, "anon-B/meeting")
		b.ReportMetric(filePer/n, "file-B/meeting")
		b.ReportMetric(peakPer/n, "peak-B/meeting")
		b.ReportMetric(cpu/n, "cpu-%")
		b.ReportMetric(peak, "peak-RSS-MB")
		b.ReportMetric(0, "ns/op")
	})
}
