package cli

import (
	"math/rand/v2"
	"os"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/confrec/confrec/interchange"
	"github.com/confrec/confrec/replay/standin"
)

// TestDiscoverKilled: record --discover killed with SIGKILL at a random
// moment and started again on the same database records every meeting
// still running again within one poll, as a new session: the frames stored
// before the kill are intact, the new session holds every frame the
// stand-in sent from the first, the meetings that spanned the kill show a
// gap, and every hash chain verifies.
func TestDiscoverKilled(t *testing.T) {
	t.Parallel()
	ids := confIDs(730000001, 8)
	var meetings []standin.Scheduled
	for i, id := range ids {
		m := scheduled(t, id, time.Duration(i)*time.Second, 2)
		m.PasswordListed = true
		meetings = append(meetings, m)
	}
	e := startEnterprise(t, meetings, nil)
	db := t.TempDir() + "/killed.db"
	const poll = time.Second
	args := discoverArgs(db, e.srv.URL, appKeyFile(t), "--poll", poll.String())
	first := startRecord(t, nil, "discovering", args...)

	// Kill between the third meeting's start and the first one's end.
	killAt := e.started.Add(meetings[2].Start + 500*time.Millisecond +
		rand.N(e.end(&meetings[0]).Sub(e.started.Add(meetings[2].Start+time.Second))))
	time.Sleep(time.Until(killAt))
	if err := first.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	first.cmd.Wait()
	before := make(map[string][]interchange.FrameRecord)
	for _, id := range ids {
		if res := run(t, nil, "--db", db, "info", id); res.code == 0 {
			before[id] = exported(t, db, id)
		}
	}
	if len(before) == 0 {
		t.Fatalf("nothing recorded before the kill:\n%s", first.logs)
	}

	second := startRecord(t, nil, "discovering", args...)
	restarted := time.Now()
	var running []string
	for i := range meetings {
		if e.started.Add(meetings[i].Start).Before(restarted) && e.end(&meetings[i]).After(restarted.Add(2*poll)) {
			running = append(running, ids[i])
		}
	}
	if len(running) == 0 {
		t.Fatal("no meeting ran across the restart: the test proves nothing")
	}
	for _, id := range running {
		// Within one poll of the restart (the first poll is at once).
		waitLog(t, second, regexp.MustCompile(`meeting discovered.*meeting=`+id+`\b`), 1, restarted.Add(poll+time.Second))
	}
	// Every meeting still running when the second recorder began (the
	// reads above take a while: one may end between the kill and then).
	waitLog(t, second, regexp.MustCompile(`msg="recording ended" meeting=\d+ how=meeting-ended`),
		len(ids)-endedBefore(e, meetings, restarted), e.lastEnd().Add(30*time.Second))
	if err := second.stop(syscall.SIGINT); err != nil {
		t.Fatalf("after SIGINT: %v", err)
	}

	for i, id := range ids {
		after := exported(t, db, id)
		old := before[id]
		if len(after) < len(old) {
			t.Fatalf("meeting %s: %d frames after the restart, %d before", id, len(after), len(old))
		}
		for j := range old {
			if old[j].Seq != after[j].Seq || old[j].Time != after[j].Time || string(payload(t, old[j])) != string(payload(t, after[j])) {
				t.Fatalf("meeting %s: frame %d changed after the restart", id, old[j].Seq)
			}
		}
		last := lastSession(after)
		samePayloads(t, notifications(t, sessionFrames(after, last)), sent(&meetings[i]))
		if len(old) > 0 && !strings.Contains(strings.Join(running, " "), id) {
			continue
		}
		if len(old) > 0 && info(t, db, id).Gaps == 0 {
			t.Errorf("meeting %s spanned the kill but shows no gap", id)
		}
	}
	if res := run(t, nil, "--db", db, "verify"); res.code != 0 {
		t.Errorf("verify after the restart: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
}

// endedBefore counts the meetings that ended before t.
func endedBefore(e *enterprise, meetings []standin.Scheduled, t time.Time) int {
	n := 0
	for i := range meetings {
		if e.end(&meetings[i]).Before(t) {
			n++
		}
	}
	return n
}

// lastSession is the highest session of recs.
func lastSession(recs []interchange.FrameRecord) uint32 {
	var last uint32
	for _, r := range recs {
		last = max(last, r.Session)
	}
	return last
}

// sessionFrames are the frames of session s.
func sessionFrames(recs []interchange.FrameRecord, s uint32) []interchange.FrameRecord {
	var out []interchange.FrameRecord
	for _, r := range recs {
		if r.Session == s {
			out = append(out, r)
		}
	}
	return out
}

// TestDiscoverBadInput: what record --discover makes of bad input at start:
// one line naming the problem and a non-zero exit, nothing written.
func TestDiscoverBadInput(t *testing.T) {
	t.Parallel()
	m := scheduled(t, "740000001", 0, 1)
	e := startEnterprise(t, []standin.Scheduled{m}, nil)
	key := appKeyFile(t)
	bad644 := passwordsFile(t, "740000001 pw")
	if err := os.Chmod(bad644, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		env  []string
		code int
		want string
	}{
		{"wrong App Key", []string{"--app-key-file", writeFile(t, "wrong-key", "not-the-key")}, nil, 1, "refused the App ID or App Key"},
		{"no App Key", []string{"--app-key-file", ""}, nil, 2, "needs the App Key"},
		{"passwords file 0644", []string{"--passwords-file", bad644}, nil, 1, "chmod 600"},
		{"passwords file bad line", []string{"--passwords-file", passwordsFile(t, "740000001 pw", "# c", "740000002")}, nil, 1, "line 3: no password"},
		{"bad regex", []string{"--include-subject", "("}, nil, 2, "--include-subject"},
		{"with --conf-id", []string{"--conf-id", "1"}, nil, 2, "do not go together"},
		{"bad poll", []string{"--poll", "0s"}, nil, 2, "--poll must be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db := t.TempDir() + "/bad.db"
			args := discoverArgs(db, e.srv.URL, key, tt.args...)
			res := run(t, tt.env, args...)
			line := strings.TrimSpace(res.stderr)
			if i := strings.LastIndex(line, "\n"); i >= 0 {
				line = line[i+1:]
			}
			if res.code != tt.code || !strings.Contains(line, tt.want) || !strings.HasPrefix(line, "confrec: ") {
				t.Errorf("exit %d, last line %q; want exit %d and a line saying %q", res.code, line, tt.code, tt.want)
			}
			if strings.Contains(res.stderr, "not-the-key") || strings.Contains(res.stderr, testAppKey) {
				t.Errorf("stderr holds the App Key:\n%s", res.stderr)
			}
		})
	}
}
