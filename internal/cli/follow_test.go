package cli

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/confrec/confrec/recorder"
	"github.com/confrec/confrec/store"
)

// follower is a `confrec ... --follow` process.
type followerProc struct {
	name           string
	cmd            *exec.Cmd
	stdout, stderr lockedBuffer
	done           chan error
}

// startFollower starts confrec with args and collects what it prints.
func startFollower(t *testing.T, name string, args ...string) *followerProc {
	t.Helper()
	f := &followerProc{name: name, done: make(chan error, 1)}
	f.cmd = confrecCmd(t.Context(), t, nil, args...)
	f.cmd.Stdout, f.cmd.Stderr = &f.stdout, &f.stderr
	if err := f.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { f.done <- f.cmd.Wait() }()
	t.Cleanup(func() {
		if f.cmd.ProcessState == nil {
			f.cmd.Process.Kill()
			<-f.done
		}
	})
	return f
}

// wait waits at most d for the follower to exit and returns its error.
func (f *followerProc) wait(t *testing.T, d time.Duration) error {
	t.Helper()
	select {
	case err := <-f.done:
		return err
	case <-time.After(d):
		t.Fatalf("%s still runs after %v:\n%s", f.name, d, f.stderr.String())
		return nil
	}
}

// TestFollow: followers of a meeting being recorded, one of them started
// late, print what the recorder commits as it is committed and end when
// the meeting ends; each printed exactly what the same command prints once
// the meeting is over. A follower waits for a meeting not begun yet.
func TestFollow(t *testing.T) {
	t.Parallel()
	const id = "986512347"
	// The sample meeting at 40 times its speed: 15 s.
	srv := startServe(t, serveEnv(), "--scenario", testdata("scenario-basic.jsonl"), "--speed", "40")
	db := filepath.Join(t.TempDir(), "rec.db")
	// The followers start with the recorder, before the meeting's first
	// commit: --wait waits for it.
	rec := startRecord(t, recordEnv(), `level=INFO`, "--db", db, "record", "--conf-id", id, "--api-url", srv.URL, "--flush-interval", "100ms")
	early := startFollower(t, "export frames --follow --wait", "--db", db, "export", "frames", id, "--follow", "--wait")
	timeline := startFollower(t, "export timeline --follow", "--db", db, "export", "timeline", id, "--follow", "--wait")
	print := startFollower(t, "replay print --follow", "--db", db, "replay", "print", id, "--follow", "--wait")
	time.Sleep(3 * time.Second) // part of the meeting is recorded: the next one joins late
	late := startFollower(t, "export frames --follow (late)", "--db", db, "export", "frames", id, "--follow")

	if err := rec.cmd.Wait(); err != nil {
		t.Fatalf("record: %v\n%s", err, rec.logs)
	}
	for _, f := range []*followerProc{early, late, timeline, print} {
		if err := f.wait(t, 30*time.Second); err != nil {
			t.Errorf("%s: %v\n%s", f.name, err, f.stderr.String())
		}
	}
	sdb, err := store.Open(db, &store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	m, err := sdb.Meeting(id)
	sdb.Close()
	if err != nil || m.Labels[recorder.LabelEnded] != "meeting-ended" || m.Frames < 50 {
		t.Fatalf("the meeting after the recording: %+v, %v", m, err)
	}

	atRest := map[*followerProc][]string{
		early:    {"export", "frames", id},
		late:     {"export", "frames", id},
		timeline: {"export", "timeline", id, "--format", "jsonl"},
		print:    {"replay", "print", id, "--speed", "0"},
	}
	for f, args := range atRest {
		want := mustRun(t, nil, append([]string{"--db", db}, args...)...)
		if got := f.stdout.String(); got != want.stdout {
			gl, wl := strings.Split(got, "\n"), strings.Split(want.stdout, "\n")
			for i := range min(len(gl), len(wl)) {
				if gl[i] != wl[i] {
					t.Logf("%s: line %d differs:\n got %s\nwant %s", f.name, i+1, gl[i], wl[i])
					break
				}
			}
			t.Errorf("%s printed %d bytes (%d lines), %s at rest %d bytes (%d lines)", f.name,
				len(got), strings.Count(got, "\n"), strings.Join(args, " "), len(want.stdout), strings.Count(want.stdout, "\n"))
		}
		if f.stderr.String() != "" {
			t.Errorf("%s wrote to stderr: %s", f.name, f.stderr.String())
		}
	}

	// At rest, --follow prints what is stored and says there is no recorder.
	r := mustRun(t, nil, "--db", db, "export", "frames", id, "--follow")
	if r.stdout != mustRun(t, nil, "--db", db, "export", "frames", id).stdout || !strings.Contains(r.stderr, "no recorder holds") {
		t.Errorf("--follow at rest: stderr %q", r.stderr)
	}
}

// TestFollowRecorderKilled: a follower whose recorder is killed mid-query
// ends at once with a clear error, not a hang; so does one interrupted.
func TestFollowRecorderKilled(t *testing.T) {
	t.Parallel()
	const id = "986512347"
	srv := startServe(t, serveEnv(), "--scenario", testdata("scenario-basic.jsonl"), "--speed", "1")
	db := filepath.Join(t.TempDir(), "rec.db")
	rec := startRecord(t, recordEnv(), `msg="meeting title"`, "--db", db, "record", "--conf-id", id, "--api-url", srv.URL)
	f := startFollower(t, "export frames --follow", "--db", db, "export", "frames", id, "--follow")
	g := startFollower(t, "replay print --follow", "--db", db, "replay", "print", id, "--follow")
	deadline := time.Now().Add(20 * time.Second)
	for f.stdoutLen() == 0 || g.stdoutLen() == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the followers printed nothing:\n%s\n%s", f.stderr.String(), g.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	g.cmd.Process.Signal(os.Interrupt)
	if err := g.wait(t, 10*time.Second); err != nil {
		t.Errorf("replay print --follow after Ctrl-C: %v (want exit 0, as at rest)\n%s", err, g.stderr.String())
	}

	rec.cmd.Process.Signal(syscall.SIGKILL)
	rec.cmd.Wait()
	err := f.wait(t, 30*time.Second)
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != exitRuntime {
		t.Fatalf("the follower of a killed recorder: %v, want exit 1", err)
	}
	if msg := f.stderr.String(); !strings.Contains(msg, "the recorder stopped answering before the command ended") || strings.Count(msg, "\n") != 1 {
		t.Errorf("the follower of a killed recorder said %q", msg)
	}
}

// stdoutLen is how much the follower has printed so far.
func (f *followerProc) stdoutLen() int { return len(f.stdout.String()) }

// lockedBuffer is a bytes.Buffer that a process's output may fill while
// the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
