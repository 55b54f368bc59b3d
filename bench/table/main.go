// Command table reads the output of `go test -bench` (files named as
// arguments, or standard input) and prints the performance suite's table:
// one row per case of issue 6, with confrec's figure, the baseline's
// measured in the same run, their ratio, the target and confrec's peak
// memory. bench/run runs it; it can also read a saved output:
//
//	go run ./bench/table bench-out.txt
//
// Each case's Go benchmark is named BenchmarkCaseN_<Name> with
// sub-benchmarks confrec and baseline, each reporting its figure with
// b.ReportMetric. With -count above 1 a figure is the median of the runs.
// A case whose benchmark did not run (or did not report the metric) is
// printed as "not measured"; it is not an error.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
)

// row is one line of the table: a metric of confrec's sub-benchmark
// against the same metric of the baseline's.
type row struct {
	Case     string
	Bench    string // benchmark name without "Benchmark"
	Confrec  string // sub-benchmark path of confrec's figure
	Baseline string // of the baseline's; "" when the target is absolute
	Unit     string // the b.ReportMetric unit compared
	Target   string
}

// rows are the cases of the suite, in the order.
var rows = []row{
	{"1 ingest, 1 meeting, durable", "Case1_Ingest", "confrec", "baseline", "frames/s", "≥ 0.5"},
	{"2 ingest, 1,000 meetings", "Case2_Interleaved", "confrec", "baseline", "frames/s", "≥ 0.4, ≥ 150k/s"},
	{"3 end to end (serve → record)", "Case3_EndToEnd", "confrec", "baseline", "frames/s", "≥ 0.85"},
	{"4 idle meetings: RSS/meeting", "Case4_IdleMeetings", "confrec", "", "B/meeting", "≤ 65536 B"},
	{"4 idle meetings: CPU at rest", "Case4_IdleMeetings", "confrec", "", "cpu-%", "≤ 5 %"},
	{"5 export JSONL vs jq", "Case5_ExportJSONL", "confrec", "baseline/jq", "frames/s", "≥ 10"},
	{"5 export JSONL vs cat", "Case5_ExportJSONL", "confrec", "baseline/cat", "frames/s", "≥ 0.25"},
	{"6 reconstruct + attendance", "Reconstruct", "fold_and_attendance", "baseline_map", "frames/s", "≥ 1.0"},
	{"7 storage, bytes/frame", "Case7_Storage", "confrec", "baseline", "bytes/frame", ""},
	{"7 storage, × payload", "Case7_Storage", "confrec", "", "ratio", "≤ 1.25"},
	{"7 storage, zstd, × payload", "Case7_Storage", "confrec", "", "ratio-zstd", "≤ 0.3"},
	{"8 replay fan-out, 1,000 clients", "Case8_ReplayFanout", "confrec", "baseline", "frames/s", ""},
	// Cases 9 to 11 share one benchmark: record --discover of 1,000 idle
	// meetings against record with a --conf-id each.
	{"9 discover 1,000: time to all", "Case9_Discovery", "confrec", "baseline", "s-to-all", ""},
	{"9 discover 1,000: polls to all", "Case9_Discovery", "confrec", "", "polls-to-all", "≤ 2"},
	{"10 discover 1,000: CPU at rest", "Case9_Discovery", "confrec", "baseline", "cpu-%", ""},
	{"10 CPU at rest − --conf-id's", "Case9_Discovery", "confrec", "", "cpu-%-diff", "≤ +1 % of a core"},
	{"11 GET /metrics, 1,000 (vs --conf-id)", "Case9_Discovery", "confrec", "baseline", "scrape-ms", "< 50 ms"},
	// Case 12 measures at rest and with a recorder in one round: the
	// baseline is confrec's own rest-<unit>.
	{"12 meetings, recording (vs at rest)", "Case12_ReadWhileRecording", "confrec", "confrec", "meetings-ms", "≤ 2"},
	{"12 info BIG, recording (vs at rest)", "Case12_ReadWhileRecording", "confrec", "confrec", "info-ms", "≤ 2"},
	{"12 export 10,000 frames, recording", "Case12_ReadWhileRecording", "confrec", "confrec", "window-ms", "≤ 2"},
	{"12 full export BIG, recording", "Case12_ReadWhileRecording", "confrec", "confrec", "full-export-s", ""},
	{"12 $TMPDIR gained while reading", "Case12_ReadWhileRecording", "confrec", "", "tmpdir-bytes", "0"},
	{"12 recorder RssAnon + in full export", "Case12_ReadWhileRecording", "confrec", "", "anon-growth-MB", "≤ 64 MiB"},
	{"12 recorder VmRSS + (mapped file)", "Case12_ReadWhileRecording", "confrec", "", "rss-growth-MB", ""},
	{"12 recording in full export (vs none)", "Case12_ReadWhileRecording", "confrec", "confrec", "rec-frames/s", "≥ 0.8"},
	{"13 follow: frame to stdout, p50", "Case13_Follow", "confrec", "", "p50-ms", ""},
	{"13 follow: frame to stdout, p99", "Case13_Follow", "confrec", "", "p99-ms", "≤ 200 ms"},
	{"14 NATS: recorder → archive (vs bare JetStream)", "Case14_ArchiveIngest", "confrec", "baseline", "frames/s", "≥ 0.5"},
	{"15 NATS: receipt → archive commit, p50", "Case15_NATSLatency", "confrec", "", "p50-ms", ""},
	{"15 NATS: receipt → archive commit, p99", "Case15_NATSLatency", "confrec", "", "p99-ms", ""},
	{"16 NATS: sync always (vs default)", "Case16_SyncAlways", "confrec", "baseline", "frames/s", ""},
}

// baseUnits maps the unit of a row whose benchmark measures confrec and its
// baseline in one run, side by side (case 12: at rest and while
// recording), to the baseline's unit; other rows compare the same unit.
var baseUnits = map[string]string{
	"meetings-ms":   "rest-meetings-ms",
	"info-ms":       "rest-info-ms",
	"window-ms":     "rest-window-ms",
	"full-export-s": "rest-full-export-s",
	"rec-frames/s":  "noreader-rec-frames/s",
}

// peakUnits are the metrics shown as peak memory, in order of preference.
var peakUnits = []string{"peak-RSS-MB", "peak-heap-MB"}

// results holds every value reported: benchmark path (GOMAXPROCS suffix
// removed) → unit → one value per run.
type results map[string]map[string][]float64

// benchLine matches a result line: name, iterations, then value-unit pairs.
var benchLine = regexp.MustCompile(`^Benchmark(\S+?)(?:-\d+)?\s+\d+\s+(.*)$`)

func parse(r io.Reader, res results) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		m := benchLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		f := strings.Fields(m[2])
		for i := 0; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				break
			}
			if res[m[1]] == nil {
				res[m[1]] = map[string][]float64{}
			}
			res[m[1]][f[i+1]] = append(res[m[1]][f[i+1]], v)
		}
	}
	return sc.Err()
}

// median returns the median of the values of bench/sub's unit and whether
// there were any.
func (res results) median(bench, sub, unit string) (float64, bool) {
	vs := slices.Clone(res[bench+"/"+sub][unit])
	if len(vs) == 0 {
		return 0, false
	}
	slices.Sort(vs)
	if len(vs)%2 == 1 {
		return vs[len(vs)/2], true
	}
	return (vs[len(vs)/2-1] + vs[len(vs)/2]) / 2, true
}

// format prints a figure with its unit, readably.
func format(v float64, unit string) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.2fM %s", v/1e6, unit)
	case v >= 1e4:
		return fmt.Sprintf("%.0fk %s", v/1e3, unit)
	case v >= 100:
		return fmt.Sprintf("%.0f %s", v, unit)
	}
	return fmt.Sprintf("%.3g %s", v, unit)
}

func printTable(w io.Writer, res results) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "case\tconfrec\tbaseline\tratio\ttarget\tpeak RSS")
	for _, r := range rows {
		c, okc := res.median(r.Bench, r.Confrec, r.Unit)
		if !okc {
			fmt.Fprintf(tw, "%s\tnot measured\t\t\t%s\t\n", r.Case, r.Target)
			continue
		}
		base, ratio := "—", "—"
		if r.Baseline != "" {
			unit := r.Unit
			if u, ok := baseUnits[r.Unit]; ok {
				unit = u
			}
			if b, ok := res.median(r.Bench, r.Baseline, unit); ok {
				base = format(b, unit)
				if b != 0 {
					ratio = fmt.Sprintf("%.2f", c/b)
				}
			} else {
				base = "not measured"
			}
		}
		peak := "—"
		for _, u := range peakUnits {
			if p, ok := res.median(r.Bench, r.Confrec, u); ok {
				peak = fmt.Sprintf("%.0f MiB", p)
				if u == "peak-heap-MB" {
					peak += " (heap)"
				}
				break
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Case, format(c, r.Unit), base, ratio, r.Target, peak)
	}
	tw.Flush()
}

func main() {
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: table [go-test-bench-output ...]   (standard input without arguments)")
	}
	flag.Parse()
	res := results{}
	if flag.NArg() == 0 {
		if err := parse(os.Stdin, res); err != nil {
			fmt.Fprintln(os.Stderr, "table:", err)
			os.Exit(1)
		}
	}
	for _, name := range flag.Args() {
		f, err := os.Open(name)
		if err == nil {
			err = parse(f, res)
			f.Close()
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "table:", err)
			os.Exit(1)
		}
	}
	printTable(os.Stdout, res)
}
