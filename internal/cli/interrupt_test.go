package cli

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// longMeeting is the meeting of longMeetingDB.
const longMeeting = "424242424"

// longMeetingDB writes, through the store, a database holding one meeting of
// n small frames in one session: enough that every long command is still
// at work when it is interrupted.
func longMeetingDB(t *testing.T, n int) string {
	t.Helper()
	payloads := make([][]byte, n)
	for i := range payloads {
		payloads[i] = fmt.Appendf(nil, `{"action":"SpeakerChangeNotify","msgID":"%08x","data":[{"pid":"%03d","speakingVolume":%d}]}`, i*2654435761, i%97, i%100)
	}
	return oneSessionDB(t, longMeeting, time.Millisecond, payloads)
}

// copyFile copies src into dir and returns the copy's path.
func copyFile(t *testing.T, src, dir string) string {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	dst := filepath.Join(dir, filepath.Base(src))
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	return dst
}

// holdsOpen reports whether process pid has the file path open.
func holdsOpen(pid int, path string) bool {
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	fds, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, fd := range fds {
		if target, err := os.Readlink(filepath.Join(dir, fd.Name())); err == nil && target == path {
			return true
		}
	}
	return false
}

// dirNames lists the names in dir.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// TestInterrupt: the first SIGINT or SIGTERM stops every long command while
// it works: it exits 128 plus the signal's number with one line saying it
// was interrupted, leaves no temporary file (nor any output) behind, and
// the database is as it was: the same bytes (the same meetings for the
// commands that open it as a writer: the imports and purge), and it opens
// and verifies.
func TestInterrupt(t *testing.T) {
	if _, err := os.Stat("/proc/self/fd"); err != nil {
		t.Skip("needs /proc to see the command at work")
	}
	t.Parallel()
	src := longMeetingDB(t, 300_000)
	want := readDBState(t, src)

	// Inputs for the imports: the meeting exported.
	inDir := t.TempDir()
	jsonl := filepath.Join(inDir, "555000999.jsonl")
	mustRun(t, nil, "--db", src, "export", "frames", longMeeting, "-o", jsonl)
	har := filepath.Join(inDir, "long.har")
	mustRun(t, nil, "--db", src, "export", "har", longMeeting, "-o", har)

	tests := []struct {
		name   string
		args   []string // after --db DB; OUT is replaced by the output file
		sig    syscall.Signal
		input  string // the file the command is seen at work on; "": the database
		writes bool   // it opens the database as a writer, which changes bytes, not meetings
	}{
		{"export frames", []string{"export", "frames", longMeeting, "-o", "OUT"}, syscall.SIGINT, "", false},
		{"export frames", []string{"export", "frames", "--format", "csv", longMeeting, "-o", "OUT"}, syscall.SIGTERM, "", false},
		{"export timeline", []string{"export", "timeline", longMeeting, "-o", "OUT"}, syscall.SIGINT, "", false},
		{"export attendance", []string{"export", "attendance", longMeeting, "-o", "OUT"}, syscall.SIGINT, "", false},
		{"export report", []string{"export", "report", longMeeting, "-o", "OUT"}, syscall.SIGINT, "", false},
		{"export har", []string{"export", "har", longMeeting, "-o", "OUT"}, syscall.SIGINT, "", false},
		{"seal", []string{"seal", longMeeting, "-o", "OUT"}, syscall.SIGINT, "", false},
		{"verify", []string{"verify"}, syscall.SIGINT, "", false},
		{"backup", []string{"backup", "-o", "OUT"}, syscall.SIGINT, "", false},
		{"compact", []string{"compact"}, syscall.SIGINT, "", false},
		{"compact", []string{"compact", "--compress"}, syscall.SIGTERM, "", false},
		{"purge", []string{"purge", "--older-than", "36500d"}, syscall.SIGINT, "", true},
		{"import jsonl", []string{"import", "jsonl", jsonl}, syscall.SIGINT, jsonl, true},
		{"import har", []string{"import", "har", har, "--conf-id", "555000998"}, syscall.SIGINT, har, true},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			dbDir, outDir := t.TempDir(), t.TempDir()
			db := copyFile(t, src, dbDir)
			args := []string{"--db", db}
			for _, a := range tt.args {
				if a == "OUT" {
					a = filepath.Join(outDir, "out")
				}
				args = append(args, a)
			}
			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
			defer cancel()
			cmd := confrecCmd(ctx, t, nil, args...)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan struct{})
			go func() {
				defer close(exited)
				cmd.Wait()
			}()
			watch := cmp.Or(tt.input, db)
			for !holdsOpen(cmd.Process.Pid, watch) {
				select {
				case <-exited:
					t.Fatalf("exited before it was seen with %s open: exit %d\n%s", watch, cmd.ProcessState.ExitCode(), &stderr)
				case <-time.After(time.Millisecond):
				}
			}
			if err := cmd.Process.Signal(tt.sig); err != nil {
				t.Fatal(err)
			}
			<-exited
			code := cmd.ProcessState.ExitCode()
			line := strings.TrimSpace(stderr.String())
			if wantLine := "confrec: " + tt.name + ": interrupted"; code != 128+int(tt.sig) || line != wantLine {
				t.Errorf("after %v: exit %d, stderr %q; want exit %d and %q", tt.sig, code, line, 128+int(tt.sig), wantLine)
			}
			if names := dirNames(t, outDir); len(names) > 0 {
				t.Errorf("left in the output directory: %v", names)
			}
			if names := dirNames(t, dbDir); !slices.Equal(names, []string{filepath.Base(db)}) {
				t.Errorf("beside the database: %v, want only the database", names)
			}
			got := readDBState(t, db)
			if tt.writes {
				got.sum = want.sum
			}
			if got != want {
				t.Errorf("the database changed: %d frames, %d held; want %d, %d", got.frames, got.held, want.frames, want.held)
			}
		})
	}
}
