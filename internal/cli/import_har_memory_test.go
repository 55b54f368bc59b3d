package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeLargeHAR writes a DevTools HAR of about size bytes to path, as a
// browser would after a long meeting: the token API's answer, then two
// WebSocket sessions of meeting 555000111 whose messages (2 KiB notifies)
// interleave in time, the first opening with a Subscribe that carries the
// control token (that alone when size is 0). It returns the number of
// messages.
func writeLargeHAR(t *testing.T, path string, size int64) (messages int) {
	t.Helper()
	const (
		tmpToken  = "tmp-7d1e2f3a4b5c6d7e8f90a1b2"
		confToken = "ctl-0a1b2c3d4e5f60718293a4b5"
	)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	str := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	fmt.Fprintf(w, `{"log":{"version":"1.2","creator":{"name":"WebInspector","version":"537.36"},"pages":[],"entries":[`)
	answer := `{"data":{"token":"` + confToken + `","tmpWsToken":"` + tmpToken + `"}}`
	fmt.Fprintf(w, `{"request":{"method":"GET","url":"https://api.example.invalid/v1/mmc/control/conferences/token","headers":[]},`+
		`"response":{"status":200,"content":{"mimeType":"application/json","text":%s}},"startedDateTime":"2025-03-18T01:59:59.000Z","time":5}`, str(answer))
	t0 := time.Date(2025, 3, 18, 2, 0, 0, 0, time.UTC)
	filler := strings.Repeat("participant-name-and-state ", 75)
	perSession := int(size / 2 / 2200)
	for s := range 2 {
		fmt.Fprintf(w, `,{"_resourceType":"websocket","request":{"method":"GET","url":%s,"headers":[]},"response":{"status":101},`+
			`"serverIPAddress":"192.0.2.1","startedDateTime":%s,"time":3600000,"_webSocketMessages":[`,
			str("wss://meeting.example.invalid/cms/open/websocket/confctl/increment/conn?confID=555000111&tmpToken="+tmpToken),
			str(t0.Add(time.Duration(s)*time.Millisecond).Format(time.RFC3339Nano)))
		sub := `{"action":"Subscribe","sequence":"1","data":"{\"confToken\":\"Basic ` + base64.StdEncoding.EncodeToString([]byte(confToken)) + `\"}"}`
		fmt.Fprintf(w, `{"type":"send","time":%.6f,"opcode":1,"data":%s}`, float64(t0.Unix())+float64(s)/1000, str(sub))
		for i := range perSession {
			at := float64(t0.UnixMicro()+int64(2*i+s+2)*1000) / 1e6
			data := fmt.Sprintf(`{"action":"AttendeeNotify","msgID":"%d-%d","data":{"state":%q}}`, s, i, filler)
			fmt.Fprintf(w, `,{"type":"receive","time":%.6f,"opcode":1,"data":%s}`, at, str(data))
		}
		fmt.Fprint(w, `]}`)
		messages += perSession + 1
	}
	fmt.Fprint(w, `]}}`)
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return messages
}

// importPeakRSS runs import har of path into a new database in dir and
// returns the most anonymous memory (RssAnon: heap, stacks) the process
// held, sampled from /proc every millisecond while it ran, and its output.
// Mapped file pages (bbolt maps the database it writes) are page cache the
// kernel takes back, not memory the import holds, so they are not counted.
func importPeakRSS(t *testing.T, dir, path string) (int64, result) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	db := filepath.Join(dir, filepath.Base(path)+".db")
	cmd := confrecCmd(ctx, t, nil, "--db", db, "import", "har", path)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	status := fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)
	var peak int64
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for {
		if b, err := os.ReadFile(status); err == nil {
			peak = max(peak, statusBytes(b, "RssAnon:"))
		}
		select {
		case err := <-done:
			r := result{stdout: stdout.String(), stderr: stderr.String()}
			if ee, ok := err.(*exec.ExitError); ok {
				r.code = ee.ExitCode()
			} else if err != nil {
				t.Fatalf("import har %s: %v", path, err)
			}
			return peak, r
		case <-tick.C:
		}
	}
}

// statusBytes returns the value of field (such as "RssAnon:") in the text
// of /proc/PID/status, in bytes, or 0 when it is missing.
func statusBytes(status []byte, field string) int64 {
	for line := range strings.Lines(string(status)) {
		if rest, ok := strings.CutPrefix(line, field); ok {
			var kib int64
			fmt.Sscanf(strings.TrimSpace(rest), "%d kB", &kib)
			return kib << 10
		}
	}
	return 0
}

// TestImportHARMemory: importing a 200 MB HAR takes memory bounded by its
// largest message, not by the file: the import's peak anonymous memory (RssAnon) exceeds that of
// a HAR of two messages by less than a quarter of the file's size. The
// race detector keeps memory of its own that grows with the work done:
// under it the file is 40 MB and the allowance twice its size, still well
// below what holding the file takes.
func TestImportHARMemory(t *testing.T) {
	t.Parallel()
	size, allowance := int64(200<<20), func(n int64) int64 { return n / 4 }
	if raceEnabled {
		size, allowance = 40<<20, func(n int64) int64 { return 2 * n }
	}
	dir := t.TempDir()
	small := filepath.Join(dir, "small.har")
	writeLargeHAR(t, small, 0)
	base, r := importPeakRSS(t, dir, small)
	if r.code != 0 {
		t.Fatalf("small HAR: exit %d, stderr %q", r.code, r.stderr)
	}
	large := filepath.Join(dir, "large.har")
	messages := writeLargeHAR(t, large, size)
	fi, err := os.Stat(large)
	if err != nil {
		t.Fatal(err)
	}
	peak, r := importPeakRSS(t, dir, large)
	if want := fmt.Sprintf("imported meeting 555000111: 2 session(s), %d frames", messages); r.code != 0 || !strings.Contains(r.stdout, want) {
		t.Fatalf("exit %d, stdout %q, stderr %q; want %q", r.code, r.stdout, r.stderr, want)
	}
	t.Logf("HAR of %d MiB, %d messages: peak RssAnon %d MiB, %d MiB for two messages", fi.Size()>>20, messages, peak>>20, base>>20)
	if peak > base+allowance(fi.Size()) {
		t.Errorf("peak RssAnon %d MiB importing a HAR of %d MiB, %d MiB for two messages: more than %d MiB more",
			peak>>20, fi.Size()>>20, base>>20, allowance(fi.Size())>>20)
	}
}
