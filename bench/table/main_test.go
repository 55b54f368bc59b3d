package main

import (
	"strings"
	"testing"
)

const sample = `goos: linux
BenchmarkCase1_Ingest/confrec-2         	       1	  900000 frames/s	  120 frames/commit
BenchmarkCase1_Ingest/confrec-2         	       1	  700000 frames/s	  120 frames/commit
BenchmarkCase1_Ingest/confrec-2         	       1	  800000 frames/s	  120 frames/commit
BenchmarkCase1_Ingest/baseline-2        	       1	 1600000 frames/s	  120 frames/commit
BenchmarkCase4_IdleMeetings/confrec-2   	       1	   40000 B/meeting	  1.5 cpu-%	 80.5 peak-RSS-MB
BenchmarkCase5_ExportJSONL/baseline/jq  	       1	   10000 frames/s
BenchmarkReconstruct/fold_and_attendance-2 	1	 3000000 frames/s	 12 peak-heap-MB	 100 B/op
BenchmarkCase9_Discovery/baseline-2     	       1	  2.5 cpu-%	  1.0 scrape-ms
BenchmarkCase9_Discovery/confrec-2      	       1	  2.6 cpu-%	  -0.25 cpu-%-diff	  1 polls-to-all
BenchmarkCase12_ReadWhileRecording/confrec-2 	1	  30 meetings-ms	  20 rest-meetings-ms	  9000 rec-frames/s	  10000 noreader-rec-frames/s
PASS
`

func TestTable(t *testing.T) {
	res := results{}
	if err := parse(strings.NewReader(sample), res); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		bench, sub, unit string
		want             float64
		ok               bool
	}{
		{"Case1_Ingest", "confrec", "frames/s", 800000, true},
		{"Case1_Ingest", "baseline", "frames/s", 1600000, true},
		{"Case4_IdleMeetings", "confrec", "cpu-%", 1.5, true},
		{"Case5_ExportJSONL", "baseline/jq", "frames/s", 10000, true},
		{"Reconstruct", "fold_and_attendance", "peak-heap-MB", 12, true},
		{"Case8_ReplayFanout", "confrec", "frames/s", 0, false},
	}
	for _, tt := range tests {
		got, ok := res.median(tt.bench, tt.sub, tt.unit)
		if got != tt.want || ok != tt.ok {
			t.Errorf("median(%s/%s %s) = %v, %v; want %v, %v", tt.bench, tt.sub, tt.unit, got, ok, tt.want, tt.ok)
		}
	}
	var out strings.Builder
	printTable(&out, res)
	for _, want := range []string{
		"800k frames/s",
		"0.50",
		"4 idle meetings: CPU at rest",
		"80 MiB",
		"not measured",
		"12 MiB (heap)",
		"-0.25 cpu-%-diff",
		"1 polls-to-all",
		"1.04", // 2.6 ÷ 2.5
		"1.50", // case 12: meetings-ms ÷ rest-meetings-ms
		"0.90", // rec-frames/s ÷ noreader-rec-frames/s
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
}
