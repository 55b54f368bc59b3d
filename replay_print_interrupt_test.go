package main

import (
	"context"
	"io"
	"os"
	"strings"
	"testing"
	"time"
)

// TestReplayPrintInterruptQuiet: Ctrl-C ends replay print quietly (exit 0,
// nothing on stderr) also when it is not pacing (--speed 0) and the
// interrupt reaches it between two reads of the database, not only while
// it waits between frames.
func TestReplayPrintInterruptQuiet(t *testing.T) {
	if _, err := os.Stat("/proc/self/fd"); err != nil {
		t.Skip("needs /proc to see the command at work")
	}
	t.Parallel()
	db := longMeetingDB(t, 100_000)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := confrecCmd(ctx, t, nil, "--db", db, "replay", "print", longMeeting, "--speed", "0")
	// Not read until the signal is sent: print blocks on a full pipe with
	// the database open, and goes on reading it once the pipe is drained.
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for !holdsOpen(cmd.Process.Pid, db) {
		select {
		case <-ctx.Done():
			t.Fatal("replay print was never seen with the database open")
		case <-time.After(time.Millisecond):
		}
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, stdout)
	err = cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 0 || stderr.Len() > 0 {
		t.Errorf("replay print after SIGINT: exit %d (%v), stderr %q; want exit 0 and nothing", code, err, stderr.String())
	}
}
