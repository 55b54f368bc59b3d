package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/confrec/confrec/natsfeed"
	"github.com/confrec/confrec/replay/standin"
	"github.com/confrec/confrec/store"
)

// TestDiscoverSharedLeases: three `record --discover --nats` processes
// (one database each) share a stand-in enterprise of 60 staggered
// meetings, and `confrec archive` stores what they publish. Mid-run one
// recorder is killed (kill -9). In the archive:
//   - every meeting's sessions never overlap in time, whichever recorders
//     made them: one recorder records a meeting at a time (a session of the
//     killed recorder lasts until the kill, at most);
//   - each recorder recorded some meetings;
//   - each meeting the killed recorder was recording is taken over, within
//     --lease-ttl plus one --poll of the kill, by a session naming another
//     recorder;
//   - each recorder's run of sessions of a meeting holds the stand-in's
//     frames from the first, in order, each once; the runs of the
//     survivors are whole, and every meeting ends with a whole run. (The
//     stand-in plays a meeting from its first frame to each new token
//     flow, as the service sends its state to a new subscriber: the
//     recorder taking a meeting over gets the frames already sent again.)
//
// And every hash chain of the archive verifies.
func TestDiscoverSharedLeases(t *testing.T) {
	t.Parallel()
	ns := startNATSServer(t, t.TempDir(), 0)
	sharedLeases(t, leasesFleet{natsURL: ns.ClientURL()})
}

// leasesFleet is how sharedLeases runs its fleet: against which NATS, with
// what more flags of the recorders, and what more it does mid-run.
type leasesFleet struct {
	natsURL    string   // --nats of the recorders and the archive
	recordArgs []string // more flags of the recorders
	// beforeKill, when not nil, is called once the recorders are started,
	// and returns before the recorder's kill (at most a few seconds into
	// the meetings); afterKill, when not nil, right after that kill.
	beforeKill, afterKill func()
}

// sharedLeases is TestDiscoverSharedLeases on the NATS of f: three
// recorders, 60 meetings, an archive, one recorder killed mid-run (and
// whatever f.alsoKill kills), and the checks of the archive.
func sharedLeases(t *testing.T, f leasesFleet) {
	t.Helper()
	const (
		n       = 60
		stagger = 250 * time.Millisecond
		first   = 3 * time.Second // the recorders have announced themselves
		ttl     = 3 * time.Second
		poll    = 2 * time.Second
		stretch = 4 // a meeting lasts 24 s
		killAt  = 14 * time.Second
	)
	ids := confIDs(730000001, n)
	var meetings []standin.Scheduled
	for i, id := range ids {
		m := scheduled(t, id, first+time.Duration(i)*stagger, stretch)
		m.PasswordListed = true
		meetings = append(meetings, m)
	}
	natsURL := f.natsURL
	e := startEnterprise(t, meetings, nil)
	keyFile := appKeyFile(t)
	dir := t.TempDir()
	archDB := filepath.Join(dir, "archive.db")
	arch := startRecord(t, nil, `msg=archiving`, "--db", archDB, "archive", "--nats", natsURL)
	recorders := []string{"rec-1", "rec-2", "rec-3"}
	recs := make([]*recording, len(recorders))
	dbs := make([]string, len(recorders))
	for i, id := range recorders {
		dbs[i] = filepath.Join(dir, id+".db")
		recs[i] = startRecord(t, nil, "sharing the meetings", discoverArgs(dbs[i], e.srv.URL, keyFile,
			append([]string{"--poll", poll.String(), "--nats", natsURL, "--recorder-id", id, "--lease-ttl", ttl.String()}, f.recordArgs...)...)...)
	}
	if f.beforeKill != nil {
		f.beforeKill()
	}

	time.Sleep(time.Until(e.started.Add(killAt)))
	const victim = 0
	killed := time.Now()
	if err := recs[victim].cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	recs[victim].cmd.Wait()
	if f.afterKill != nil {
		f.afterKill()
	}

	time.Sleep(time.Until(e.lastEnd().Add(2 * time.Second)))
	for i, r := range recs {
		if i == victim {
			continue
		}
		if err := r.stop(syscall.SIGINT); err != nil {
			t.Fatalf("%s after SIGINT: %v\n%s", recorders[i], err, tail(r.logs.String(), 40))
		}
		for line := range strings.SplitSeq(r.logs.String(), "\n") {
			if strings.Contains(line, "lease lost") || strings.Contains(line, "lease had expired") {
				t.Errorf("%s: %s", recorders[i], line)
			}
		}
	}
	waitArchived(t, natsURL, "confrec-archive-archive", archDB)
	if err := arch.stop(syscall.SIGINT); err != nil {
		t.Fatalf("archive after SIGINT: %v\n%s", err, tail(arch.logs.String(), 40))
	}

	// What the killed recorder was recording: its open sessions.
	open := make(map[string]bool)
	vdb, err := store.Open(dbs[victim], &store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if m, err := vdb.Meeting(id); err == nil && len(m.Sessions) > 0 && m.Sessions[len(m.Sessions)-1].End.IsZero() {
			open[id] = true
		}
	}
	vdb.Close()
	if len(open) == 0 {
		t.Fatalf("%s recorded nothing when it was killed", recorders[victim])
	}

	adb, err := store.Open(archDB, &store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer adb.Close()
	meetingsOf := make(map[string]int)
	var slowest time.Duration
	for i, id := range ids {
		m, err := adb.Meeting(id)
		if err != nil {
			t.Errorf("meeting %s is not in the archive: %v", id, err)
			continue
		}
		runs := archivedRuns(t, adb, &m)
		want := withoutPasscodesAll(sent(&meetings[i]))
		seen := make(map[string]bool)
		for j, r := range runs {
			if !seen[r.recorder] {
				seen[r.recorder] = true
				meetingsOf[r.recorder]++
			}
			// One recorder at a time.
			if j > 0 {
				prev := runs[j-1]
				end := prev.end
				if prev.recorder == recorders[victim] && prev.open {
					end = killed
				}
				if r.start.Before(end) {
					t.Errorf("meeting %s: %s's session began at %v, before %s's ended (%v)", id, r.recorder, r.start.Format(time.StampMilli), prev.recorder, end.Format(time.StampMilli))
				}
			}
			// The stand-in's frames from the first, in order, each once.
			if len(r.frames) > len(want) || !firstOf(r.frames, want) {
				t.Errorf("meeting %s: %s's %d frames are not the first of the %d the stand-in sent, in order", id, r.recorder, len(r.frames), len(want))
			}
			if r.recorder != recorders[victim] && len(r.frames) != len(want) {
				t.Errorf("meeting %s: %s recorded %d of its %d frames", id, r.recorder, len(r.frames), len(want))
			}
		}
		if len(runs) == 0 || len(runs[len(runs)-1].frames) != len(want) {
			t.Errorf("meeting %s: the archive does not end with a whole recording of it", id)
		}
		if !open[id] {
			continue
		}
		// Taken over by another recorder, as a new session.
		var next *leaseRun
		for j := range runs {
			if runs[j].recorder != recorders[victim] && runs[j].start.After(killed) {
				next = &runs[j]
				break
			}
		}
		if next == nil {
			t.Errorf("meeting %s, being recorded by %s when it was killed, was not taken over", id, recorders[victim])
			continue
		}
		d := next.start.Sub(killed)
		slowest = max(slowest, d)
		if d > ttl+poll {
			t.Errorf("meeting %s: taken over by %s %v after the kill, want within %v", id, next.recorder, d, ttl+poll)
		}
	}
	for _, id := range recorders {
		if meetingsOf[id] == 0 {
			t.Errorf("%s recorded no meeting: %v", id, meetingsOf)
		}
	}
	t.Logf("meetings per recorder: %v; %d meetings taken over from %s, the last %v after the kill (TTL %v, poll %v)",
		meetingsOf, len(open), recorders[victim], slowest, ttl, poll)
	if r := run(t, nil, "--db", archDB, "verify"); r.code != 0 {
		t.Errorf("verify the archive: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// leaseRun is one recorder's consecutive sessions of a meeting in the archive:
// when the first began and the last ended (open: the last has no end; end
// is then its last frame's time), and the notifications of the stand-in
// they hold.
type leaseRun struct {
	recorder   string
	start, end time.Time
	open       bool
	frames     [][]byte
}

// archivedRuns returns meeting m's runs in the archive, in time order.
func archivedRuns(t *testing.T, db *store.DB, m *store.Meeting) []leaseRun {
	t.Helper()
	sessions := slices.Clone(m.Sessions)
	slices.SortFunc(sessions, func(a, b store.Session) int { return a.Start.Compare(b.Start) })
	of := make(map[uint32]int) // session → run
	var runs []leaseRun
	for _, s := range sessions {
		rec := s.Attrs["recorder"]
		if len(runs) == 0 || runs[len(runs)-1].recorder != rec {
			runs = append(runs, leaseRun{recorder: rec, start: s.Start})
		}
		r := &runs[len(runs)-1]
		r.end, r.open = s.End, s.End.IsZero()
		of[s.ID] = len(runs) - 1
	}
	c, err := db.Frames(m.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for c.Next() {
		f := c.Frame()
		i, ok := of[f.Session]
		if !ok {
			t.Fatalf("meeting %s: frame %d of session %d, not one of its sessions", m.ID, f.Seq, f.Session)
		}
		r := &runs[i]
		if r.open && f.Time.After(r.end) {
			r.end = f.Time
		}
		var v struct{ Action string }
		if f.Dir == store.In && f.Op != store.Close && (json.Unmarshal(f.Payload, &v) != nil || !isReply(v.Action)) {
			r.frames = append(r.frames, f.Payload)
		}
	}
	if err := c.Err(); err != nil {
		t.Fatal(err)
	}
	return runs
}

func withoutPasscodesAll(frames [][]byte) [][]byte {
	out := make([][]byte, len(frames))
	for i, f := range frames {
		out[i] = withoutPasscodes(f)
	}
	return out
}

// firstOf reports whether got are the first of want.
func firstOf(got, want [][]byte) bool {
	for i := range got {
		if !bytes.Equal(got[i], want[i]) {
			return false
		}
	}
	return true
}

// waitArchived waits, at most a minute, until the archive archDB has
// consumed the stream: its consumer durable has delivered every message,
// and has had every one acknowledged or the archive's meetings have not
// changed for 5 s. (An acknowledgement sent to the consumer's leader as a
// NATS server is killed is lost: the message stays pending for the
// consumer's AckWait, though the archive holds it.)
func waitArchived(t *testing.T, url, durable, archDB string) {
	t.Helper()
	_, js := connectJS(t, url)
	deadline := time.Now().Add(time.Minute)
	var held string
	var since time.Time
	for {
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
		cons, err := js.Consumer(ctx, natsfeed.StreamName, durable)
		var info *jetstream.ConsumerInfo
		if err == nil {
			info, err = cons.Info(ctx)
		}
		cancel()
		if err == nil && info.NumPending == 0 {
			if info.NumAckPending == 0 {
				return
			}
			if r := run(t, nil, "--db", archDB, "meetings", "--format", "json"); r.code == 0 {
				switch {
				case r.stdout != held:
					held, since = r.stdout, time.Now()
				case time.Since(since) >= 5*time.Second:
					t.Logf("the archive's consumer waits for %d acknowledgements, but the archive has not changed for %v", info.NumAckPending, time.Since(since).Round(time.Second))
					return
				}
			}
		} else {
			held = ""
		}
		if time.Now().After(deadline) {
			t.Fatalf("the archive has not consumed the stream after a minute: %+v, %v", fmt.Sprint(info), err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestLeaseTTLFlag: --lease-ttl without --discover and --nats, or under a
// second, is a usage error, and creates nothing.
func TestLeaseTTLFlag(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "missing.db")
	keyFile := appKeyFile(t)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"without discover", []string{"record", "--conf-id", "1", "--nats", "nats://127.0.0.1:1", "--lease-ttl", "3s"}, "give --discover and --nats"},
		{"without nats", discoverArgs(missing, "http://127.0.0.1:1", keyFile, "--lease-ttl", "3s")[2:], "give --discover and --nats"},
		{"too short", discoverArgs(missing, "http://127.0.0.1:1", keyFile, "--nats", "nats://127.0.0.1:1", "--lease-ttl", "500ms")[2:], "at least 1s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, recordEnv(), append([]string{"--db", missing}, tt.args...)...)
			if r.code != 2 || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", r.code, r.stderr, tt.want)
			}
		})
	}
	if _, err := os.Stat(missing); err == nil {
		t.Error("a refused command line created the database")
	}
}
