package cli

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/urfave/cli/v2"
	"go.uber.org/goleak"
)

// TestMain lets the test binary stand in for the confrec binary: run with
// CONFREC_TEST_MAIN=1 it is confrec, so the CLI is tested as a real process
// with real flags, signals and exit codes.
//
// Otherwise it runs the tests and fails if a goroutine outlives them.
// confrec's own goroutines run in the child processes, out of goleak's
// sight (the packages check theirs), but the tests start some in this
// process: httptest servers (the token sniffer, the TLS front), the
// copiers of the children's pipes, the drain of replay serve's stdout.
func TestMain(m *testing.M) {
	if os.Getenv("CONFREC_TEST_MAIN") == "1" {
		os.Exit(confrecMain())
	}
	// The recorders the tests start serve their snapshot sockets in a
	// directory of this run, removed at its end, not in the user's: a
	// recorder a test kills leaves its socket behind. A nats-server the
	// tests build goes there too.
	var err error
	testRunDir, err = os.MkdirTemp("", "confrec-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Setenv("XDG_RUNTIME_DIR", testRunDir)
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		os.RemoveAll(testRunDir)
		os.Exit(code)
	}))
}

// testRunDir is the directory of this test run (TestMain's), removed at
// its end.
var testRunDir string

// confrecMain is what the confrec binary's main does, with the bundled
// scenario read from the file $CONFREC_TEST_DEMO names (the repository's
// testdata, as main embeds it).
func confrecMain() int {
	demo, err := os.ReadFile(os.Getenv("CONFREC_TEST_DEMO"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	var s seams
	if os.Getenv(envPurgePause) == "1" {
		s.beforePurgeRename = pauseBeforeRename
	}
	ctx, stop := SignalContext()
	defer stop()
	return runWith(ctx, os.Args, os.Stdout, os.Stderr, demo, &s)
}

// envPurgePause makes the confrec the test binary stands in for stop purge
// before it swaps the compacted file in, until interrupted: for the crash
// tests (kill -9 at that point).
const envPurgePause = "CONFREC_TEST_PURGE_PAUSE"

// pauseBeforeRename is the seam envPurgePause sets.
func pauseBeforeRename(c *cli.Context, tmp string) error {
	fmt.Fprintf(c.App.ErrWriter, "compacted into %s, pausing before the rename\n", tmp)
	<-c.Context.Done()
	return c.Context.Err()
}

// result is what one confrec process did.
type result struct {
	stdout, stderr string
	code           int
}

// confrecCmd prepares a confrec process in dir with extra environment.
func confrecCmd(ctx context.Context, t *testing.T, env []string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	// A -race binary sleeps a second at exit (atexit_sleep_ms) unless told
	// not to; the CLI tests start hundreds of processes.
	cmd.Env = append(os.Environ(), "CONFREC_TEST_MAIN=1", "CONFREC_TEST_DEMO="+testdata("scenario-basic.jsonl"), "GORACE=atexit_sleep_ms=0")
	cmd.Env = append(cmd.Env, env...)
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// run runs confrec to completion (at most two minutes).
func run(t *testing.T, env []string, args ...string) result {
	t.Helper()
	return runIn(t, t.TempDir(), env, args...)
}

// runIn is run with the process's working directory.
func runIn(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := confrecCmd(ctx, t, env, args...)
	cmd.Dir = dir
	return runCmd(t, cmd)
}

// runCmd runs a command prepared by confrecCmd to completion and returns
// what it printed and its exit code.
func runCmd(t *testing.T, cmd *exec.Cmd) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s: %v", strings.Join(cmd.Args, " "), err)
	}
	return r
}

// mustRun runs confrec and fails the test unless it exits 0.
func mustRun(t *testing.T, env []string, args ...string) result {
	t.Helper()
	r := run(t, env, args...)
	if r.code != 0 {
		t.Fatalf("confrec %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

// server is a running `confrec replay serve` process.
type server struct {
	cmd    *exec.Cmd
	URL    string
	stderr *bytes.Buffer
}

// startServe starts `confrec replay serve args...` and returns once it prints
// its URL. The process is interrupted and waited for at cleanup.
func startServe(t *testing.T, env []string, args ...string) *server {
	t.Helper()
	return startServeIn(t, t.TempDir(), env, args...)
}

// startServeIn is startServe with the process's working directory.
func startServeIn(t *testing.T, dir string, env []string, args ...string) *server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	cmd := confrecCmd(ctx, t, env, append([]string{"replay", "serve"}, args...)...)
	cmd.Dir = dir
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, stderr: &bytes.Buffer{}}
	cmd.Stderr = s.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
		cancel()
	})
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		if u, ok := strings.CutPrefix(lines.Text(), "listening on "); ok {
			s.URL = u
			go io.Copy(io.Discard, stdout) // owned by cmd.Wait, which closes the pipe
			return s
		}
	}
	scanErr := lines.Err()
	cmd.Wait() // the process ended: its stderr is complete
	t.Fatalf("replay serve exited before listening: %v\nstderr:\n%s", scanErr, s.stderr)
	return nil
}

// writeFile writes a file into a fresh temporary directory and returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// logWatch is a process's stderr: it keeps everything and closes seen when
// a line holding want is written.
type logWatch struct {
	want string
	seen chan struct{}
	mu   sync.Mutex
	buf  bytes.Buffer
	once sync.Once
}

func newLogWatch(want string) *logWatch { return &logWatch{want: want, seen: make(chan struct{})} }

func (w *logWatch) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if bytes.Contains(w.buf.Bytes(), []byte(w.want)) {
		w.once.Do(func() { close(w.seen) })
	}
	return len(p), nil
}

func (w *logWatch) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// recording is a `confrec record` process started by startRecord.
type recording struct {
	cmd  *exec.Cmd
	logs *logWatch
}

// startRecord starts `confrec record` (args are the whole command line,
// global flags included) and returns once its log holds want. The process
// is killed and waited for at cleanup if the test has not ended it.
func startRecord(t *testing.T, env []string, want string, args ...string) *recording {
	t.Helper()
	return startRecordIn(t, t.TempDir(), env, want, args...)
}

// startRecordIn is startRecord with the process's working directory.
func startRecordIn(t *testing.T, dir string, env []string, want string, args ...string) *recording {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	cmd := confrecCmd(ctx, t, env, args...)
	cmd.Dir = dir
	r := &recording{cmd: cmd, logs: newLogWatch(want)}
	cmd.Stderr = r.logs
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
		cancel()
	})
	select {
	case <-r.logs.seen:
	case <-ctx.Done():
		t.Fatalf("record never logged %q:\n%s", want, r.logs)
	}
	return r
}

// stop sends sig to the recording and waits for it to exit.
func (r *recording) stop(sig os.Signal) error {
	if err := r.cmd.Process.Signal(sig); err != nil {
		return err
	}
	return r.cmd.Wait()
}
