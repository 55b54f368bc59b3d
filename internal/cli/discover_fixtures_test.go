package cli

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/confrec/confrec/confctl"
	"github.com/confrec/confrec/replay/standin"
)

// The stand-in enterprise's application.
const (
	testAppID  = "confrec-test-app"
	testAppKey = "app-key-7c1e9a0b5d3f2e4a6c8b"
)

// enterprise is a stand-in enterprise served in this process: the
// schedule it plays and when it started, so that a test knows which
// meeting runs when and what each sent.
type enterprise struct {
	srv      *standin.Server
	meetings []standin.Scheduled
	started  time.Time // no later than the server's start
	speed    float64
}

// basicScript is the sample meeting as a Script, read once.
var basicScript = sync.OnceValues(func() (*standin.Script, error) {
	f, err := os.Open(testdata("scenario-basic.jsonl"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return standin.ReadScenario(f)
})

// meetingScript returns the sample meeting as meeting id's Script, its
// offsets stretched by stretch.
func meetingScript(t *testing.T, id string, stretch int) *standin.Script {
	t.Helper()
	base, err := basicScript()
	if err != nil {
		t.Fatal(err)
	}
	s := &standin.Script{ConfID: id, Steps: make([]standin.Step, len(base.Steps))}
	for i, st := range base.Steps {
		st.Offset *= time.Duration(stretch)
		s.Steps[i] = st
	}
	return s
}

// startEnterprise serves meetings; opts may be nil. The server is closed
// at cleanup.
func startEnterprise(t *testing.T, meetings []standin.Scheduled, opts *standin.ServerOptions) *enterprise {
	t.Helper()
	var o standin.ServerOptions
	if opts != nil {
		o = *opts
	}
	if o.Speed == 0 {
		o.Speed = 100
	}
	o.AppID, o.AppKey = testAppID, testAppKey
	e := &enterprise{meetings: meetings, started: time.Now(), speed: o.Speed}
	srv, err := standin.NewScheduleServer(meetings, &o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	e.srv = srv
	return e
}

// end is when meeting m ends, at the latest.
func (e *enterprise) end(m *standin.Scheduled) time.Time {
	last := m.Script.Steps[len(m.Script.Steps)-1].Offset
	return e.started.Add(m.Start + time.Duration(float64(last)/e.speed))
}

// lastEnd is when the last meeting ends.
func (e *enterprise) lastEnd() time.Time {
	var last time.Time
	for i := range e.meetings {
		if end := e.end(&e.meetings[i]); end.After(last) {
			last = end
		}
	}
	return last
}

// sent are the frames meeting m's stand-in sends, in order.
func sent(m *standin.Scheduled) [][]byte {
	var out [][]byte
	for _, st := range m.Script.Steps {
		if st.Kind == standin.StepText || st.Kind == standin.StepBinary {
			out = append(out, st.Payload)
		}
	}
	return out
}

// appKeyFile writes the App Key to a file of its own.
func appKeyFile(t *testing.T) string { return writeFile(t, "app-key", testAppKey+"\n") }

// discoverArgs is the command line of record --discover against e.
func discoverArgs(db, apiURL, keyFile string, extra ...string) []string {
	return append([]string{"--db", db, "record", "--discover", "--api-url", apiURL,
		"--app-id", testAppID, "--app-key-file", keyFile, "--flush-interval", "50ms"}, extra...)
}

// waitLog waits until the recorder's log matches re n times, at most until
// deadline, and fails the test with the log if it does not.
func waitLog(t *testing.T, r *recording, re *regexp.Regexp, n int, deadline time.Time) {
	t.Helper()
	for {
		if got := len(re.FindAllString(r.logs.String(), -1)); got >= n {
			return
		} else if time.Now().After(deadline) {
			t.Fatalf("the log matched %s %d times by the deadline, want %d:\n%s", re, got, n, tail(r.logs.String(), 60))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// tail is the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// logCount counts the log lines holding every one of parts.
func logCount(log string, parts ...string) int {
	n := 0
	for line := range strings.SplitSeq(log, "\n") {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(line, p)
		}
		if all {
			n++
		}
	}
	return n
}

// confIDs are n conference IDs from base on.
func confIDs(base, n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprint(base + i)
	}
	return ids
}

// passwordsFile writes lines to a 0600 passwords file and returns its path.
func passwordsFile(t *testing.T, lines ...string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "passwords")
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// scheduled is one meeting of a schedule with its password.
func scheduled(t *testing.T, id string, start time.Duration, stretch int) standin.Scheduled {
	return standin.Scheduled{
		Script:    meetingScript(t, id, stretch),
		Start:     start,
		Password:  confctl.Secret("pw-" + id),
		Subject:   "Meeting " + id,
		Organizer: "Organizer " + id[len(id)-1:],
	}
}

// freeAddr returns a loopback address with a port free a moment ago, for a
// process that must be told its address before it starts.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// postCallback posts a webhook callback to the recorder at addr and
// returns the HTTP status.
func postCallback(t *testing.T, addr string, body []byte) int {
	t.Helper()
	resp, err := http.Post("http://"+addr+"/hook", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}
