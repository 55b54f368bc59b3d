package cli

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// demoDB returns the path of a fresh copy of a database holding the sample
// meeting as the demo's first part records it: replay serve of the bundled
// scenario at full speed and record of it (done once in a test process).
func demoDB(t *testing.T) string {
	t.Helper()
	demoOnce.Do(func() {
		// In the run's directory, which TestMain removes at the end.
		path := filepath.Join(os.Getenv("XDG_RUNTIME_DIR"), "sample.db")
		recordSample(t, path)
		demoPath = path
	})
	if demoPath == "" {
		t.Fatal("recording the sample meeting failed in another test")
	}
	return copyFile(t, demoPath, t.TempDir())
}

// recordSample records the sample meeting into a new database at path, as
// the demo's first part does.
func recordSample(t *testing.T, path string) {
	t.Helper()
	srv := startServe(t, serveEnv(), "--scenario", testdata("scenario-basic.jsonl"), "--speed", "0")
	mustRun(t, recordEnv(), "--db", path, "record", "--conf-id", "986512347", "--api-url", srv.URL)
}

// demoPath is the database demoDB made once, for every test to copy.
var (
	demoOnce sync.Once
	demoPath string
)

func TestDemo(t *testing.T) {
	t.Parallel()
	r := mustRun(t, nil, "demo")
	for _, want := range []string{"986512347", "Q1 Roadmap Sync", "ParticipantsNotify", "meeting-ended", "Explore it further:",
		"Discovering:", "recording 1 meeting(s)", "986600001", "986600004"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("demo output lacks %q:\n%s", want, r.stdout)
		}
	}
	// The commands it suggests work as printed.
	for line := range strings.Lines(r.stdout) {
		line = strings.TrimSpace(line)
		args, ok := strings.CutPrefix(line, "confrec ")
		if !ok || strings.Contains(line, "replay serve") {
			continue
		}
		fields := strings.Fields(args)
		if slices.Contains(fields, "-o") {
			fields[slices.Index(fields, "-o")+1] = filepath.Join(t.TempDir(), "out")
		}
		mustRun(t, nil, fields...)
	}
	// Its temporary database is cleaned up with the test's directory.
	for line := range strings.Lines(r.stdout) {
		if _, p, ok := strings.Cut(strings.TrimSpace(line), "--db "); ok {
			os.RemoveAll(filepath.Dir(strings.Fields(p)[0]))
			break
		}
	}
}

// TestDemoCluster: demo --cluster shows the archive whole after one
// recorder stopped abruptly and started again, and the commands it
// suggests work.
func TestDemoCluster(t *testing.T) {
	t.Parallel()
	r := mustRun(t, nil, "demo", "--cluster")
	rows := 0
	for line := range strings.Lines(r.stdout) {
		f := strings.Fields(line)
		if len(f) >= 6 && strings.HasPrefix(f[0], "9867000") {
			rows++
			if f[2] != f[3] || !strings.Contains(line, "verified, the same as the recorder's") {
				t.Errorf("meeting %s: recorded %s frames, archived %s: %s", f[0], f[2], f[3], line)
			}
		}
	}
	if rows != 4 || !strings.Contains(r.stdout, "rec-b stopped abruptly") {
		t.Errorf("demo --cluster printed %d meetings:\n%s", rows, r.stdout)
	}
	for line := range strings.Lines(r.stdout) {
		if args, ok := strings.CutPrefix(strings.TrimSpace(line), "confrec "); ok {
			mustRun(t, nil, strings.Fields(args)...)
		}
	}
	for line := range strings.Lines(r.stdout) {
		if _, p, ok := strings.Cut(strings.TrimSpace(line), "--db "); ok {
			os.RemoveAll(filepath.Dir(strings.Fields(p)[0]))
			break
		}
	}
}
