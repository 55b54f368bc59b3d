package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// tourStep is one command of the README's tour and the output it shows.
type tourStep struct {
	command string
	output  []string
}

// readmeSection returns the README's section under the heading "## "+title,
// up to the next heading of that level.
func readmeSection(t *testing.T, title string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	start := strings.Index(text, "## "+title+"\n")
	if start < 0 {
		t.Fatalf("README has no %q section", title)
	}
	section := text[start+1:]
	if end := strings.Index(section, "\n## "); end >= 0 {
		section = section[:end]
	}
	return section
}

// readmeTour reads the commands of the README's tour (from "## A tour" to
// the next heading of the same level or "### Recording a real meeting",
// whose commands need a real meeting) with the output shown under each.
func readmeTour(t *testing.T) []tourStep {
	t.Helper()
	return readmeConsole(t, "## A tour", "### Recording a real meeting")
}

// readmeConsole reads the commands of the README's console blocks between
// the lines from and to, with the output shown under each.
func readmeConsole(t *testing.T, from, to string) []tourStep {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	start := strings.Index(text, from+"\n")
	end := strings.Index(text, to+"\n")
	if start < 0 || end < start {
		t.Fatalf("README has no section from %q to %q", from, to)
	}
	var steps []tourStep
	inBlock := false
	for line := range strings.Lines(text[start:end]) {
		line = strings.TrimRight(line, "\n")
		switch {
		case strings.HasPrefix(line, "```"):
			inBlock = !inBlock
		case inBlock && strings.HasPrefix(line, "$ "):
			steps = append(steps, tourStep{command: strings.TrimPrefix(line, "$ ")})
		case inBlock && len(steps) > 0:
			steps[len(steps)-1].output = append(steps[len(steps)-1].output, line)
		}
	}
	return steps
}

var (
	localURL = regexp.MustCompile(`http://127\.0\.0\.1:\d+`)
	digits   = regexp.MustCompile(`\d`)
)

// stableWords keeps the whitespace-separated words of line without digits:
// what must read the same in every run.
func stableWords(line string) string {
	var keep []string
	for _, w := range strings.Fields(line) {
		if !digits.MatchString(w) {
			keep = append(keep, w)
		}
	}
	return strings.Join(keep, " ")
}

// shellFields splits a command line the way the shell would for the simple
// commands of the README: words, and single-quoted strings.
func shellFields(line string) []string {
	var out []string
	for len(line) > 0 {
		line = strings.TrimLeft(line, " ")
		if line == "" {
			break
		}
		if line[0] == '\'' {
			end := strings.IndexByte(line[1:], '\'')
			out = append(out, line[1:1+end])
			line = line[2+end:]
			continue
		}
		word, rest, _ := strings.Cut(line, " ")
		out = append(out, word)
		line = rest
	}
	return out
}

// TestREADMETour runs every command the README's tour shows, in order, in a
// fresh directory, and checks that each succeeds and prints what the README
// shows (up to times, counts and ports).
func TestREADMETour(t *testing.T) {
	t.Parallel()
	steps := readmeTour(t)
	if len(steps) < 6 {
		t.Fatalf("the tour shows %d commands; the README changed shape", len(steps))
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "testdata"), 0o700); err != nil {
		t.Fatal(err)
	}
	scenario, err := os.ReadFile(testdata("scenario-basic.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "testdata", "scenario-basic.jsonl"), scenario, 0o600); err != nil {
		t.Fatal(err)
	}
	var url string // of the stand-in started last
	for _, step := range steps {
		args := shellFields(localURL.ReplaceAllString(step.command, url))
		var got string
		switch {
		case args[0] == "echo" && len(args) == 4 && args[2] == ">":
			if err := os.WriteFile(filepath.Join(dir, args[3]), []byte(args[1]+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			continue
		case args[0] != "confrec":
			t.Fatalf("the tour shows %q, which this test cannot run", step.command)
		case args[len(args)-1] == "&":
			if args[1] != "replay" || args[2] != "serve" {
				t.Fatalf("background command %q is not replay serve", step.command)
			}
			srv := startServeIn(t, dir, nil, args[3:len(args)-1]...)
			url = srv.URL
			got = "listening on " + url
		default:
			r := runIn(t, dir, nil, args[1:]...)
			if r.code != 0 {
				t.Fatalf("%s: exit %d\n%s", step.command, r.code, r.stderr)
			}
			got = r.stdout
			if got == "" {
				got = r.stderr
			}
		}
		if len(step.output) == 0 {
			continue
		}
		first, _, _ := strings.Cut(got, "\n")
		if stableWords(first) != stableWords(step.output[0]) {
			t.Errorf("%s\n printed %q\n README shows %q", step.command, first, step.output[0])
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "speakers.csv")); err != nil {
		t.Errorf("the tour's export wrote no file: %v", err)
	}
}

// TestREADMEDiscovery runs every command of the README's section on
// recording every meeting of an enterprise, in order, in a fresh directory
// holding the repository's testdata: files written as a shell would
// (0644, until chmod), the stand-in enterprise and record --discover in
// the background, then curl and meetings against them; each must print
// what the README shows (up to times, counts and ports).
func TestREADMEDiscovery(t *testing.T) {
	t.Parallel()
	steps := readmeConsole(t, "### Recording every meeting of an enterprise", "### Watching a recorder")
	if len(steps) < 7 {
		t.Fatalf("the section shows %d commands; the README changed shape", len(steps))
	}
	dir := t.TempDir()
	if err := os.CopyFS(filepath.Join(dir, "testdata"), os.DirFS(filepath.Join(repoRoot, "testdata"))); err != nil {
		t.Fatal(err)
	}
	const readmeMetrics = "127.0.0.1:9464"
	metricsAt := freeAddr(t)
	var url string // of the stand-in
	var rec *recording
	for _, step := range steps {
		args := shellFields(strings.ReplaceAll(localURL.ReplaceAllString(step.command, url), readmeMetrics, metricsAt))
		var got string
		switch {
		case args[0] == "echo" && len(args) == 4 && args[2] == ">":
			if err := os.WriteFile(filepath.Join(dir, args[3]), []byte(args[1]+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		case args[0] == "chmod" && args[1] == "600":
			for _, f := range args[2:] {
				if err := os.Chmod(filepath.Join(dir, f), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			continue
		case args[0] == "curl":
			target := "http://" + strings.TrimPrefix(args[len(args)-1], "http://")
			waitFor(t, "readyz 200", 10*time.Second, func() bool { code, _ := httpGet(t, target, "", ""); return code == 200 })
			_, got = httpGet(t, target, "", "")
			if want := strings.Join(step.output, "\n") + "\n"; got != want {
				t.Errorf("%s\n printed %q\n README shows %q", step.command, got, want)
			}
			continue
		case args[0] != "confrec":
			t.Fatalf("the section shows %q, which this test cannot run", step.command)
		case args[len(args)-1] == "&" && args[1] == "replay":
			url = startServeIn(t, dir, nil, args[3:len(args)-1]...).URL
			got = "listening on " + url
		case args[len(args)-1] == "&" && args[1] == "record":
			rec = startRecordIn(t, dir, nil, "discovering", args[1:len(args)-1]...)
			continue
		default:
			// The first meeting is recorded at the first poll: wait for it.
			want := strings.Fields(step.output[len(step.output)-1])[0]
			var r result
			waitFor(t, want+" in "+step.command, 10*time.Second, func() bool {
				r = runIn(t, dir, nil, args[1:]...)
				return r.code == 0 && strings.Contains(r.stdout, want)
			})
			got = r.stdout
		}
		first, _, _ := strings.Cut(got, "\n")
		if stableWords(first) != stableWords(step.output[0]) {
			t.Errorf("%s\n printed %q\n README shows %q", step.command, first, step.output[0])
		}
	}
	if rec == nil {
		t.Fatal("the section starts no record --discover")
	}
	if err := rec.stop(os.Interrupt); err != nil {
		t.Errorf("record --discover after SIGINT: %v\n%s", err, rec.logs)
	}
}
