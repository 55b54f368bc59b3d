package cli

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/confrec/confrec/natsfeed"
)

// TestNATSClusterDiscoverKilled is TestDiscoverSharedLeases on a real
// cluster of three nats-server processes (TestNATSClusterNodeKilled's),
// the recorders given the three URLs and --nats-replicas 3: the stream and
// the lease bucket on three servers. Mid-run, two failures: once the
// recorders publish, the stream's leader is killed (kill -9), and the
// stream goes on with two replicas; then one recorder is killed (kill -9),
// its meetings are taken over on the two servers left, and the killed
// server is restarted. The archive passes TestDiscoverSharedLeases's
// checks (sessions of a meeting never overlap, every recorder recorded
// some, the killed recorder's meetings taken over within the lease's TTL
// and a poll as sessions naming the recorder, the stand-in's frames in
// order and once, verify), and the stream and the bucket have three
// current replicas again.
//
// The killed server leads the stream, not the lease bucket: when the two
// leaders are on one server, the bucket's steps down first. A bucket
// without a leader takes no renewal until one is elected (some seconds,
// the election timeout of NATS's Raft, longer than the test's 3 s TTL),
// so its leases would lapse under recorders that are alive. And the two
// kills are seconds apart: a recorder connected to the killed server
// follows the bucket again only seconds after (8 s when the kills were at
// one moment), and until then does not see the other's leases expire.
func TestNATSClusterDiscoverKilled(t *testing.T) {
	t.Parallel()
	cluster := startNATSCluster(t)
	urls := cluster.URLs()
	nc, js := connectJS(t, urls)
	var node *natsNode // the killed server
	start := time.Now()
	sharedLeases(t, leasesFleet{
		natsURL:    urls,
		recordArgs: []string{"--nats-replicas", "3"},
		beforeKill: func() {
			awaitStream(t, js, "the recorders' frames in the stream", func(si *jetstream.StreamInfo) bool { return si.State.Msgs > 0 })
			node = killStreamLeader(t, cluster, js, separateLeaders(t, nc, js))
			t.Logf("the stream went on without nats-server %s %v into the test", node.name, time.Since(start).Round(time.Millisecond))
		},
		afterKill: func() { cluster.restart(node) },
	})
	for _, name := range []string{natsfeed.StreamName, leaseStream} {
		si := awaitJS(t, "stream "+name+" on three current replicas", streamInfo(js, name), func(si *jetstream.StreamInfo) bool { return allCurrent(si.Cluster) })
		if si.Config.Replicas != 3 {
			t.Errorf("stream %s has %d replicas, want 3", name, si.Config.Replicas)
		}
	}
}

// leaseStream is the stream of the lease bucket.
const leaseStream = "KV_" + natsfeed.LeaseBucket

// separateLeaders makes the stream's leader and the lease bucket's two
// servers, asking the bucket's leader to step down while they are one,
// and returns the stream's information.
func separateLeaders(t *testing.T, nc *nats.Conn, js jetstream.JetStream) *jetstream.StreamInfo {
	t.Helper()
	leaderOf := func(name string) *jetstream.StreamInfo {
		return awaitJS(t, "a leader of stream "+name, streamInfo(js, name), func(si *jetstream.StreamInfo) bool { return si.Cluster != nil && si.Cluster.Leader != "" })
	}
	deadline := time.Now().Add(time.Minute)
	for {
		si, kv := leaderOf(natsfeed.StreamName), leaderOf(leaseStream)
		if si.Cluster.Leader != kv.Cluster.Leader {
			return si
		}
		if time.Now().After(deadline) {
			t.Fatalf("streams %s and %s are still led by %s after a minute", natsfeed.StreamName, leaseStream, si.Cluster.Leader)
		}
		t.Logf("%s leads streams %s and %s: the bucket's leader steps down", si.Cluster.Leader, natsfeed.StreamName, leaseStream)
		resp, err := nc.Request("$JS.API.STREAM.LEADER.STEPDOWN."+leaseStream, nil, 5*time.Second)
		var v struct {
			Success bool
			Error   *struct{ Description string }
		}
		if err == nil {
			err = json.Unmarshal(resp.Data, &v)
		}
		if err != nil || !v.Success {
			t.Logf("step down: %v %+v", err, v.Error)
		}
		awaitJS(t, "a new leader of stream "+leaseStream, streamInfo(js, leaseStream), func(info *jetstream.StreamInfo) bool {
			return info.Cluster != nil && info.Cluster.Leader != "" && info.Cluster.Leader != kv.Cluster.Leader
		})
	}
}
