package main

import (
	"context"
	"flag"
	"io"
	"path/filepath"
	"slices"
	"strconv"
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

// Size knobs of BenchmarkCase9_Discovery (small under -short).
var (
	case9Meetings = flag.Int("case9.meetings", 1000, "BenchmarkCase9_Discovery: meetings running on the stand-in enterprise (20 with -short)")
	case9Window   = flag.Duration("case9.window", 10*time.Second, "BenchmarkCase9_Discovery: CPU measured at rest over this long (2s with -short)")
	case9Scrapes  = flag.Int("case9.scrapes", 50, "BenchmarkCase9_Discovery: GETs of /metrics timed at rest")
	case9Poll     = flag.Duration("case9.poll", 2*time.Second, "BenchmarkCase9_Discovery: record --discover --poll")
)

// BenchmarkCase9_Discovery is cases 9, 10 and 11 of the performance suite
// (see bench/run), on one record process each: case9.meetings idle
// meetings (case 4's: snapshots, then heartbeats every 5 s only) running
// on a stand-in enterprise in this process, their host passwords in its
// online list, recorded by `record --discover --poll 2s` (confrec) or by
// `record` with a --conf-id each (baseline, case 4's way); both with
// --metrics-listen. Each iteration is a whole discoveryRound. It reports
//
//   - case 9: s-to-all, the seconds from starting record until every
//     meeting has connected, and (confrec) polls-to-all, the discovery
//     polls finished by then;
//   - case 10: cpu-%, record's CPU at rest in percent of one core, and
//     (confrec) cpu-%-diff, confrec's minus the median of the baseline's
//     measured just before (with -count N, b.Run runs each sub-benchmark
//     N times in a row, baseline first);
//   - case 11: scrape-ms, the median time of a GET of /metrics at rest
//     (case9.scrapes of them, one after the other), and scrape-bytes;
//
// and record's RSS at rest (the most sampled, rest-RSS-MB) and peak.
func BenchmarkCase9_Discovery(b *testing.B) {
	cfg := discoveryConfig{
		Meetings: *case9Meetings, Poll: *case9Poll, Heartbeat: 5 * time.Second,
		Settle: 3 * time.Second, Window: *case9Window, Scrapes: *case9Scrapes,
	}
	if testing.Short() {
		cfg.Meetings, cfg.Window, cfg.Settle = 20, 2*time.Second, time.Second
	}
	bin, err := build(context.Background(), b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	var baseCPU []float64 // the baseline's cpu-% of each of its runs
	for _, sub := range []struct {
		name     string
		discover bool
	}{{"baseline", false}, {"confrec", true}} {
		b.Run(sub.name, func(b *testing.B) {
			c := cfg
			c.Discover = sub.discover
			dir := b.TempDir()
			var toAll, polls, cpu, scrape, scrapeBytes, rest, peak float64
			round := 0
			for b.Loop() {
				round++
				res, err := discoveryRound(context.Background(), bin, filepath.Join(dir, strconv.Itoa(round)), c)
				if err != nil {
					b.Fatal(err)
				}
				toAll += res.ToAll.Seconds()
				polls += res.Polls
				cpu += 100 * res.IdleCPU
				scrape += float64(res.Scrape) / float64(time.Millisecond)
				scrapeBytes += float64(res.ScrapeBytes)
				rest += float64(res.Rest.RSS) / (1 << 20)
				peak = max(peak, float64(res.Mem.HWM)/(1<<20))
			}
			n := float64(b.N)
			b.ReportMetric(toAll/n, "s-to-all")
			b.ReportMetric(cpu/n, "cpu-%")
			b.ReportMetric(scrape/n, "scrape-ms")
			b.ReportMetric(scrapeBytes/n, "scrape-bytes")
			b.ReportMetric(rest/n, "rest-RSS-MB")
			b.ReportMetric(peak, "peak-RSS-MB")
			b.ReportMetric(0, "ns/op")
			if !sub.discover {
				baseCPU = append(baseCPU, cpu/n)
				return
			}
			b.ReportMetric(polls/n, "polls-to-all")
			if k := len(baseCPU); k > 0 {
				sorted := slices.Sorted(slices.Values(baseCPU))
				b.ReportMetric(cpu/n-(sorted[(k-1)/2]+sorted[k/2])/2, "cpu-%-diff")
			}
		})
	}
}
