package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/confrec/confrec/store"
)

// bigMeetingDB returns the demo database with a second meeting, "777", of
// 3,000 frames of every kind: enough for many compressed blocks.
func bigMeetingDB(t *testing.T) string {
	t.Helper()
	path := demoDB(t)
	db, err := store.Open(path, &store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2025, 3, 18, 9, 0, 0, 0, time.UTC)
	frames := make([]store.Frame, 3000)
	for i := range frames {
		f := store.Frame{Time: start.Add(time.Duration(i) * 7 * time.Millisecond), Dir: store.In, Op: store.Text,
			Payload: fmt.Appendf(nil, `{"action":"SpeakerChangeNotify","msgID":"%08x","data":[{"pid":"%03d","speakingVolume":%d}]}`, i*2654435761, i%97, i%100)}
		switch i % 500 {
		case 1:
			f.Op, f.Payload = store.Binary, []byte{0, 0xff, byte(i), 0xfe}
		case 2:
			f.Dir, f.Payload = store.Out, []byte("\xff\xfe not UTF-8 \xc3\x28")
		case 3:
			f.Payload = nil
		}
		frames[i] = f
	}
	frames = append(frames, store.Frame{Time: start.Add(time.Hour), Dir: store.In, Op: store.Close, Payload: store.ClosePayload(1000, "bye")})
	if err := db.Append(t.Context(), "777", frames...); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestCompactCompress: after compact --compress (and again after compact,
// and purge --compress) every meeting exports the same frames, byte for
// byte, verifies, and the file is smaller.
func TestCompactCompress(t *testing.T) {
	t.Parallel()
	db := bigMeetingDB(t)
	ids := []string{"986512347", "777"}
	export := func() map[string]string {
		out := map[string]string{}
		for _, id := range ids {
			out[id] = mustRun(t, nil, "--db", db, "export", "frames", id).stdout
			out[id+" from"] = mustRun(t, nil, "--db", db, "export", "frames", id, "--from", "2025-03-18T09:00:10.5Z", "--to", "2025-03-18T09:00:12Z").stdout
		}
		return out
	}
	want := export()
	if strings.Count(want["777"], "\n") != 3001 || want["777 from"] == "" {
		t.Fatalf("export of 777: %d lines, the time range %d", strings.Count(want["777"], "\n"), strings.Count(want["777 from"], "\n"))
	}
	before := fileSize(t, db)

	r := mustRun(t, nil, "--db", db, "compact", "--compress")
	if !strings.HasPrefix(r.stdout, "compacted and compressed "+db+": ") || !strings.Contains(r.stdout, " bytes (") {
		t.Errorf("compact --compress printed %q", r.stdout)
	}
	check := func(step string) {
		t.Helper()
		got := export()
		for k, w := range want {
			if got[k] != w {
				t.Fatalf("after %s, export frames %s differs", step, k)
			}
		}
		rows, r := verifyRows(t, db)
		if r.code != 0 || len(rows) != 2 {
			t.Fatalf("verify after %s: exit %d %+v", step, r.code, rows)
		}
	}
	check("compact --compress")
	after := fileSize(t, db)
	if after*2 > before {
		t.Errorf("compact --compress: %d -> %d bytes, want less than half", before, after)
	}

	var rep compactReport
	r = mustRun(t, nil, "--db", db, "compact", "--format", "json")
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || rep.Compressed || rep.Before != after || rep.After > after {
		t.Errorf("compact --format json: %+v, %v\n%s", rep, err, r.stdout)
	}
	check("compact")

	p := purgeRun(t, db, "--compress")
	if p.Removed != 2 || p.Before == 0 {
		t.Errorf("purge --compress: %+v", p)
	}
	if _, err := os.Stat(db + store.CompactSuffix); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("compact left %v", err)
	}
}

// TestCompactErrors: usage errors exit 2, a missing or recording database
// exits 1, each with a message that names the problem.
func TestCompactErrors(t *testing.T) {
	t.Parallel()
	db := demoDB(t)
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"argument", []string{"compact", "x"}, 2, "takes no arguments"},
		{"unknown flag", []string{"compact", "--fast"}, 2, "flag provided but not defined: -fast"},
		{"bad format", []string{"compact", "--format", "xml"}, 2, "--format"},
		{"purge dry run compressing", []string{"purge", "--older-than", "1h", "--dry-run", "--compress"}, 2, "--compress compresses while compacting"},
		{"missing database", []string{"--db", filepath.Join(t.TempDir(), "none.db"), "compact"}, 1, "no database at this path (set --db or CONFREC_DB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, nil, append([]string{"--db", db}, tt.args...)...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("exit %d, %q; want %d and %q", r.code, r.stderr, tt.code, tt.want)
			}
		})
	}
	if info(t, db, "986512347").Frames != 71 {
		t.Error("the errors changed the database")
	}
}

// TestCompactWhileRecording: compact refuses a database record holds.
func TestCompactWhileRecording(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "rec.db")
	startRecording(t, db)
	for _, args := range [][]string{{"compact"}, {"compact", "--compress"}} {
		r := run(t, nil, append([]string{"--db", db}, args...)...)
		if r.code != 1 || !strings.Contains(r.stderr, "in use by another confrec process") || !strings.Contains(r.stderr, "stop it") {
			t.Errorf("%s while recording: exit %d, %q", strings.Join(args, " "), r.code, r.stderr)
		}
	}
	if _, err := os.Stat(db + store.CompactSuffix); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("compact while recording left %v", err)
	}
}

// TestREADMECompact runs the compact and purge commands the README's
// "Retention and backups" section shows, as printed, in a directory
// holding the demo's database as confrec.db, and checks the first line of
// the output shown under a command (up to its figures).
func TestREADMECompact(t *testing.T) {
	t.Parallel()
	section := readmeSection(t, "Retention and backups")
	dir := t.TempDir()
	demo, err := os.ReadFile(demoDB(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "confrec.db"), demo, 0o600); err != nil {
		t.Fatal(err)
	}
	var ran []string
	var shown *string // the output of the last command run, until its first line is compared
	for line := range strings.Lines(section) {
		line = strings.TrimRight(line, "\n")
		cmd, ok := strings.CutPrefix(line, "$ confrec ")
		if !ok {
			if shown != nil && line != "" && !strings.HasPrefix(line, "```") {
				first, _, _ := strings.Cut(*shown, "\n")
				if stableWords(first) != stableWords(line) {
					t.Errorf("printed %q\n README shows %q", first, line)
				}
			}
			shown = nil
			continue
		}
		shown = nil
		cmd, _, _ = strings.Cut(cmd, "#")
		args := strings.Fields(cmd)
		if args[0] != "compact" && args[0] != "purge" {
			continue
		}
		r := runIn(t, dir, nil, args...)
		if r.code != 0 {
			t.Fatalf("confrec %s: exit %d\n%s%s", cmd, r.code, r.stdout, r.stderr)
		}
		shown = &r.stdout
		ran = append(ran, args[0])
	}
	if !bytes.Contains([]byte(strings.Join(ran, " ")), []byte("compact")) || len(ran) < 3 {
		t.Fatalf("ran %q from the section, want compact and purge commands", ran)
	}
	rows, r := verifyRows(t, filepath.Join(dir, "confrec.db"))
	if r.code != 0 || len(rows) != 1 || rows[0].Status != "OK" {
		t.Fatalf("verify after the section's commands: exit %d %+v", r.code, rows)
	}
}
