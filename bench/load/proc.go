package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

// child is a started process. Its one goroutine waits for it; done is
// closed, and err set, once it has exited. Whoever starts a child must end
// up receiving from done.
type child struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// start starts cmd and the goroutine that waits for it.
func start(cmd *exec.Cmd) (*child, error) {
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", cmd.Path, err)
	}
	c := &child{cmd: cmd, done: make(chan struct{})}
	go func() {
		c.err = cmd.Wait()
		close(c.done)
	}()
	return c, nil
}

// stop asks the child to stop with SIGINT and waits for it, killing it if
// it has not exited after grace. It returns the child's exit error.
func (c *child) stop(grace time.Duration) error {
	select {
	case <-c.done:
		return c.err
	default:
	}
	_ = c.cmd.Process.Signal(os.Interrupt) // fails only if it has just exited
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-c.done:
	case <-t.C:
		_ = c.cmd.Process.Kill()
		<-c.done
	}
	return c.err
}

// cpu returns the child's user+system CPU time. Call it after done.
//
// Its ru_maxrss is no measure of its memory: Linux carries the high-water
// mark of the memory it shared with this process before exec into it
// (exec_mmap), so a child of a big process seems big. Memory is sampled
// from /proc instead (sampleMemory).
func (c *child) cpu() time.Duration {
	if ps := c.cmd.ProcessState; ps != nil {
		return ps.UserTime() + ps.SystemTime()
	}
	return 0
}

// urlWatcher is the stdout of replay serve: it sends the URL of the first
// "listening on URL" line on found and discards everything.
type urlWatcher struct {
	mu    sync.Mutex
	buf   []byte
	seen  bool
	found chan string // buffered: gets the URL once
}

func newURLWatcher() *urlWatcher { return &urlWatcher{found: make(chan string, 1)} }

func (w *urlWatcher) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.seen {
		return len(p), nil
	}
	w.buf = append(w.buf, p...)
	for {
		line, rest, ok := bytes.Cut(w.buf, []byte("\n"))
		if !ok {
			return len(p), nil
		}
		w.buf = rest
		if u, ok := strings.CutPrefix(string(line), "listening on "); ok {
			w.seen, w.buf = true, nil
			w.found <- strings.TrimSpace(u)
			return len(p), nil
		}
	}
}

// memPeak is the largest memory figures seen while sampling a process, in
// bytes.
type memPeak struct {
	HWM     int64 // VmHWM: the kernel's own peak VmRSS
	RSS     int64 // VmRSS
	Anon    int64 // RssAnon: heap, stacks
	File    int64 // RssFile: mapped files, the database's mmap included
	Threads int
	Samples int
}

// add counts sample s in m: each figure becomes the larger of the two.
func (m *memPeak) add(s memPeak) {
	m.HWM = max(m.HWM, s.HWM)
	m.RSS = max(m.RSS, s.RSS)
	m.Anon = max(m.Anon, s.Anon)
	m.File = max(m.File, s.File)
	m.Threads = max(m.Threads, s.Threads)
	m.Samples++
}

// sampleMemory reads /proc/<pid>/status every interval until stop is
// closed, then sends the peaks on the returned channel. The goroutine it
// starts ends then. Its VmHWM is the process's peak RSS up to the last
// sample, at most one interval before it exited (once it has exited, /proc
// shows no memory).
func sampleMemory(pid int, every time.Duration, stop <-chan struct{}) <-chan memPeak {
	out := make(chan memPeak, 1)
	go func() {
		var peak memPeak
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			if s, ok := readStatus(pid); ok {
				peak.add(s)
			}
			select {
			case <-stop:
				out <- peak
				return
			case <-tick.C:
			}
		}
	}()
	return out
}

// readStatus reads one sample of /proc/<pid>/status. ok is false once the
// process is gone (or a zombie, which has no Vm lines).
func readStatus(pid int) (s memPeak, ok bool) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return s, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, val, found := strings.Cut(sc.Text(), ":")
		if !found {
			continue
		}
		fields := strings.Fields(val)
		if len(fields) == 0 {
			continue
		}
		n, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			continue
		}
		switch key {
		case "VmHWM":
			s.HWM = n * 1024
		case "VmRSS":
			s.RSS, ok = n*1024, true
		case "RssAnon":
			s.Anon = n * 1024
		case "RssFile":
			s.File = n * 1024
		case "Threads":
			s.Threads = int(n)
		}
	}
	return s, ok
}

// tail returns the last n bytes of the file at path, for error messages.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return strings.TrimSpace(string(b))
}

// errTimeout is returned when record does not end in time.
var errTimeout = errors.New("record did not end in time")

// waitOrStop waits for c until limit has passed or ctx is done, then stops
// it.
func waitOrStop(ctx context.Context, c *child, limit time.Duration) error {
	t := time.NewTimer(limit)
	defer t.Stop()
	select {
	case <-c.done:
		return c.err
	case <-t.C:
		_ = c.stop(10 * time.Second)
		return errTimeout
	case <-ctx.Done():
		_ = c.stop(10 * time.Second)
		return ctx.Err()
	}
}
