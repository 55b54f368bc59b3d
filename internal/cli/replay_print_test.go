package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"
)

// TestReplayPrintNoTerminalEscapes: replay print writes to a terminal what
// the server sent (participant IDs, names, a close reason, sequences,
// actions); control characters in them (ESC sequences that set the
// window title, clear the screen, write the clipboard, or a CR and LF
// that fake a line) are printed as spaces, so a recorded meeting cannot
// drive the terminal of whoever replays it.
func TestReplayPrintNoTerminalEscapes(t *testing.T) {
	t.Parallel()
	const esc = "\x1b]52;c;ZXZpbA==\x07\x1b[2J\r\nFAKE\u009b1m"
	e, _ := json.Marshal(esc)
	s := string(e[1 : len(e)-1])
	t0 := int64(1742263200000)
	frames := []string{
		fmt.Sprintf(`{"action":"ConfBasicInfoNotify","version":%d,"createTime":%d,"msgID":"m0","msgMode":0,"confID":"888","title":"T%s"}`, t0, t0, s),
		fmt.Sprintf(`{"action":"ParticipantsNotify","version":%d,"createTime":%d,"msgID":"m1","msgMode":0,"confID":"888","data":[{"pid":"p%s","pinfoMap":{"NAME":"N%s","ADDTIME":"%d"}}]}`, t0+1, t0+1, s, s, t0+1),
		fmt.Sprintf(`{"action":"X%s","sequence":"q%s","msgID":"m2"}`, s, s),
		fmt.Sprintf(`{"action":"ConfDynamicInfoNotify","version":%d,"createTime":%d,"msgID":"m4","msgMode":0,"confID":"888","state":"Destroyed"}`, t0+9, t0+9),
	}
	lines := []string{`{"offset_ms":0,"dir":"out","frame":{"_control":"ws_open","url":"wss://x.invalid/cms/open/websocket/confctl/increment/conn?confID=888&tmpToken=x"}}`}
	for i, f := range frames {
		raw, _ := json.Marshal(f)
		lines = append(lines, fmt.Sprintf(`{"offset_ms":%d,"dir":"in","raw":%s}`, i+1, raw))
	}
	lines = append(lines, `{"offset_ms":99,"dir":"in","frame":{"_control":"ws_close","code":1000,"reason":"bye`+s+`"}}`)
	scenario := writeFile(t, "escapes.jsonl", strings.Join(lines, "\n")+"\n")
	srv := startServe(t, serveEnv(), "--scenario", scenario, "--speed", "0")
	db := filepath.Join(t.TempDir(), "rec.db")
	mustRun(t, recordEnv(), "--db", db, "record", "--conf-id", "888", "--api-url", srv.URL)

	out := mustRun(t, nil, "--db", db, "replay", "print", "888", "--speed", "0").stdout
	for _, want := range []string{"bye", "(p", "FAKE"} {
		if !strings.Contains(out, want) {
			t.Errorf("replay print lacks %q:\n%s", want, out)
		}
	}
	for i, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		for _, r := range line {
			if unicode.IsControl(r) {
				t.Errorf("line %d holds the control character %U: %q", i+1, r, line)
				break
			}
		}
		if strings.HasPrefix(line, "FAKE") {
			t.Errorf("line %d is faked by a line break from the server: %q", i+1, line)
		}
	}
}

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
