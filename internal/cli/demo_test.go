package cli

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// demoDB runs `confrec demo` into a fresh database and returns its path.
func demoDB(t *testing.T) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "demo.db")
	mustRun(t, nil, "--db", db, "demo")
	return db
}

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
