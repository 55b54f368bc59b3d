package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/confrec/confrec/natsfeed"
)

// TestNATSClusterNodeKilled: two recorders publish two meetings to a
// stream of three replicas on a real cluster of three nats-server
// processes, and an archive consumes it; while the meetings run, the
// stream's leader is killed with SIGKILL, the others go on without it, and
// it comes back. The archive holds both meetings whole: each recorder's
// frames byte for byte and once, its sessions, its hash chain; verify
// passes; and the stream has its three replicas again, all current.
//
// The node comes back because a host that dies is restarted: its rejoin,
// catching up from the new leaders, is the part of the failure where a
// stream may deliver again or lose what it acknowledged. Until it is back
// (some seconds, 20 messages at least), the stream is on two replicas, a
// bare majority.
func TestNATSClusterNodeKilled(t *testing.T) {
	t.Parallel()
	cluster := startNATSCluster(t)
	urls := cluster.URLs()
	ids := []string{"986512347", "986512348"}
	// The sample meeting, and a copy of it under another ID, at 20 times
	// their speed: 30 s each.
	basic, err := os.ReadFile(testdata("scenario-basic.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	second := writeFile(t, "scenario-second.jsonl", strings.ReplaceAll(string(basic), ids[0], ids[1]))
	srv := startServe(t, serveEnv(), "--scenario", testdata("scenario-basic.jsonl"), "--scenario", second, "--speed", "20")
	dir := t.TempDir()
	archDB := filepath.Join(dir, "archive.db")
	var recs []*recording
	var recDBs []string
	for i, id := range ids {
		db := filepath.Join(dir, fmt.Sprintf("rec-%d.db", i+1))
		recs = append(recs, startRecord(t, recordEnv(), `msg="meeting title"`, "--db", db, "record", "--conf-id", id, "--api-url", srv.URL,
			"--nats", urls, "--nats-replicas", "3", "--recorder-id", fmt.Sprintf("rec-%d", i+1)))
		recDBs = append(recDBs, db)
	}
	arch := startRecord(t, nil, `msg=archiving`, "--db", archDB, "archive", "--nats", urls)

	_, js := connectJS(t, urls)
	// What the kill did to the stream (under -v, or when the test fails):
	// a recorder's frames are out of order after a lost publish.
	t.Cleanup(func() {
		for _, id := range ids {
			t.Logf("the stream's messages of meeting %s, in its order:%s", id, streamOrder(js, natsfeed.Subject(id)))
		}
	})
	// Both meetings in the stream, then its leader killed.
	before := awaitStream(t, js, "both meetings in the stream", func(si *jetstream.StreamInfo) bool {
		return si.State.Subjects[natsfeed.Subject(ids[0])] > 0 && si.State.Subjects[natsfeed.Subject(ids[1])] > 0
	})
	if before.Config.Replicas != 3 {
		t.Fatalf("the stream has %d replicas, want 3", before.Config.Replicas)
	}
	if before.Cluster == nil {
		t.Fatal("the stream's information tells no cluster")
	}
	cluster.restart(killStreamLeader(t, cluster, js, before))

	for i, rec := range recs {
		if err := rec.cmd.Wait(); err != nil {
			t.Fatalf("record %s: %v\n%s", ids[i], err, rec.logs)
		}
		// Whichever server a recorder is connected to, its publishing
		// meets the stream's change of leader.
		t.Logf("rec-%d: a publish failed and was retried: %t", i+1, strings.Contains(rec.logs.String(), "publishing to NATS failed"))
	}
	for i, id := range ids {
		awaitArchived(t, arch, archDB, id, info(t, recDBs[i], id))
	}
	if err := arch.stop(syscall.SIGINT); err != nil {
		t.Fatalf("archive after SIGINT: %v\n%s", err, arch.logs)
	}
	archiveWarnedNot(t, arch)
	for i, id := range ids {
		archivedWhole(t, archDB, recDBs[i], id, fmt.Sprintf("rec-%d", i+1))
	}
	final := awaitStream(t, js, "the stream's three replicas current", func(si *jetstream.StreamInfo) bool {
		return allCurrent(si.Cluster)
	})
	if final.Config.Replicas != 3 {
		t.Errorf("the stream has %d replicas, want 3", final.Config.Replicas)
	}
	// Acknowledgements sent to the consumer's leader as it was killed are
	// lost: those messages stay pending until the consumer delivers them
	// again, after its AckWait, and the archive, holding them, only
	// acknowledges them. So pending acknowledgements are no failure here.
	awaitJS(t, "the archive's consumer on three current replicas, every message delivered", func(ctx context.Context) (*jetstream.ConsumerInfo, error) {
		c, err := js.Consumer(ctx, natsfeed.StreamName, "confrec-archive-archive")
		if err != nil {
			return nil, err
		}
		return c.Info(ctx)
	}, func(ci *jetstream.ConsumerInfo) bool {
		return allCurrent(ci.Cluster) && ci.NumPending == 0
	})
}

// connectJS connects to the NATS servers urls (a comma-separated list),
// reconnecting to another of them without end while one is down, until the
// test's end.
func connectJS(t *testing.T, urls string) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	nc, err := nats.Connect(urls, nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return nc, js
}

// allCurrent says whether a stream's or consumer's cluster has a leader
// and two replicas, both current.
func allCurrent(c *jetstream.ClusterInfo) bool {
	if c == nil || c.Leader == "" || len(c.Replicas) != 2 {
		return false
	}
	for _, r := range c.Replicas {
		if !r.Current || r.Offline {
			return false
		}
	}
	return true
}

// killStreamLeader kills the stream's leader (before is the stream's
// information) with SIGKILL, waits until the stream goes on with two of its
// three replicas (a new leader takes 20 messages more), and returns it.
func killStreamLeader(t *testing.T, cluster *natsCluster, js jetstream.JetStream, before *jetstream.StreamInfo) *natsNode {
	t.Helper()
	leader := cluster.node(before.Cluster.Leader)
	t.Logf("killing nats-server %s, the stream's leader, at %d messages", leader.name, before.State.Msgs)
	cluster.kill(leader)
	awaitStream(t, js, "the stream going on without its leader", func(si *jetstream.StreamInfo) bool {
		return si.Cluster != nil && si.Cluster.Leader != "" && si.Cluster.Leader != leader.name && si.State.Msgs >= before.State.Msgs+20
	})
	return leader
}

// awaitStream waits, at most a minute, until the stream's information
// satisfies ok, and returns it; what is the wait's purpose, for its
// failure.
func awaitStream(t *testing.T, js jetstream.JetStream, what string, ok func(*jetstream.StreamInfo) bool) *jetstream.StreamInfo {
	t.Helper()
	return awaitJS(t, what, streamInfo(js, natsfeed.StreamName, jetstream.WithSubjectFilter(">")), ok)
}

// streamInfo returns, for awaitJS, the getter of stream name's
// information.
func streamInfo(js jetstream.JetStream, name string, opts ...jetstream.StreamInfoOpt) func(context.Context) (*jetstream.StreamInfo, error) {
	return func(ctx context.Context) (*jetstream.StreamInfo, error) {
		s, err := js.Stream(ctx, name)
		if err != nil {
			return nil, err
		}
		return s.Info(ctx, opts...)
	}
}

// awaitJS waits, at most a minute, until what get returns satisfies ok,
// and returns it; what is the wait's purpose, for its failure. A request
// that fails (no leader yet) is tried again.
func awaitJS[T any](t *testing.T, what string, get func(context.Context) (T, error), ok func(T) bool) T {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	var last T
	var lastErr error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
		v, err := get(ctx)
		cancel()
		if err == nil && ok(v) {
			return v
		}
		last, lastErr = v, err
		time.Sleep(200 * time.Millisecond)
	}
	b, _ := json.Marshal(last)
	t.Fatalf("waited a minute for %s: the last answer was %s, error %v", what, b, lastErr)
	return last
}

// streamOrder lists the stream's messages of subject, in the stream's
// order, as f and the frame's seq or s and the session's: for the log of a
// failure.
func streamOrder(js jetstream.JetStream, subject string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, natsfeed.StreamName)
	if err != nil {
		return err.Error()
	}
	var b strings.Builder
	for seq := uint64(1); seq <= s.CachedInfo().State.LastSeq; seq++ {
		m, err := s.GetMsg(ctx, seq)
		switch {
		case err != nil:
			fmt.Fprintf(&b, " %d:%v", seq, err)
		case m.Subject != subject:
		case m.Header.Get("Confrec-Kind") == "session":
			fmt.Fprintf(&b, " s%s.%s", m.Header.Get("Confrec-Session"), m.Header.Get("Confrec-Event"))
		default:
			fmt.Fprintf(&b, " f%s", m.Header.Get("Confrec-Seq"))
		}
	}
	return b.String()
}
