package natsfeed

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// kvKey is what JetStream takes as a key.
var kvKey = regexp.MustCompile(`^[-/_=a-zA-Z0-9]+(\.[-/_=a-zA-Z0-9]+)*$`)

// TestLeaseKey: every meeting ID the store takes makes a valid key, and two
// IDs never make the same key.
func TestLeaseKey(t *testing.T) {
	t.Parallel()
	ids := []string{"986512347", "a.b", "a_2Eb", "a_b", "..", "会议 1", "x/y*>", "-", "_", "A-Z_09", string(make([]byte, 0)) + "\u00e9"}
	seen := make(map[string]string)
	for _, id := range ids {
		k := LeaseKey(id)
		if !kvKey.MatchString(k) {
			t.Errorf("LeaseKey(%q) = %q: not a valid key", id, k)
		}
		if other, ok := seen[k]; ok {
			t.Errorf("LeaseKey(%q) = LeaseKey(%q) = %q", id, other, k)
		}
		seen[k] = id
		if back, ok := decodeKey(k[len(leasePrefix):]); !ok || back != id {
			t.Errorf("decodeKey(%q) = %q, %v; want %q", k, back, ok, id)
		}
	}
}

// member is one recorder's Leases in a test, with its own connection.
type member struct {
	*Leases
	nc     *nats.Conn
	cancel context.CancelFunc
	done   chan error
}

// startLeases runs the Leases of recorder id on url until t ends (or stop).
func startLeases(t *testing.T, url, id string, o LeaseOptions) *member {
	t.Helper()
	nc, err := nats.Connect(url, nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	o.Recorder = id
	if o.TTL == 0 {
		o.TTL = time.Second
	}
	l, err := NewLeases(js, o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	m := &member{Leases: l, nc: nc, cancel: cancel, done: make(chan error, 1)}
	go func() { m.done <- l.Run(ctx) }()
	t.Cleanup(func() { m.stop(t) })
	select {
	case <-l.Ready():
	case <-time.After(30 * time.Second):
		t.Fatalf("%s: the lease bucket is not open after 30 s", id)
	}
	return m
}

// stop ends Run and closes the connection.
func (m *member) stop(t *testing.T) {
	t.Helper()
	if m.cancel == nil {
		return
	}
	m.cancel()
	if err := <-m.done; err != nil {
		t.Errorf("%s: Run: %v", m.o.Recorder, err)
	}
	m.nc.Close()
	m.cancel = nil
}

// die is kill -9: the connection closes, nothing is released or
// withdrawn.
func (m *member) die(t *testing.T) {
	t.Helper()
	m.nc.Close()
	m.stop(t)
}

// waitLive waits until m sees n live recorders.
func (m *member) waitLive(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		m.mu.Lock()
		got := len(m.live)
		m.mu.Unlock()
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s sees %d live recorders, want %d", m.o.Recorder, got, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// firstFor returns a meeting ID for which recorders rank in the order of
// ids (the first first).
func firstFor(ids ...string) string {
	for i := 0; ; i++ {
		id := fmt.Sprint(900000000 + i)
		ok := true
		for j := 1; j < len(ids); j++ {
			ok = ok && score(ids[j-1], id) > score(ids[j], id)
		}
		if ok {
			return id
		}
	}
}

// eventually waits until cond holds, at most 30 s.
func eventually(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("not so after 30 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func mustClaim(t *testing.T, m *member, confID string) *Lease {
	t.Helper()
	l, err := m.Claim(t.Context(), confID)
	if err != nil || l == nil {
		t.Fatalf("%s: Claim(%s) = %v, %v; want a lease", m.o.Recorder, confID, l, err)
	}
	return l
}

func mustNotClaim(t *testing.T, m *member, confID string) {
	t.Helper()
	if l, err := m.Claim(t.Context(), confID); err != nil || l != nil {
		t.Fatalf("%s: Claim(%s) = %v, %v; want none", m.o.Recorder, confID, l, err)
	}
}

// holder is who holds confID's lease in the bucket ("" for nobody).
func holder(t *testing.T, js jetstream.JetStream, confID string) string {
	t.Helper()
	kv, err := js.KeyValue(t.Context(), LeaseBucket)
	if err != nil {
		t.Fatal(err)
	}
	e, err := kv.Get(t.Context(), LeaseKey(confID))
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(e.Value())
}

// TestLeasesExclusive: recorders racing for the same meetings (no grace)
// get each meeting's lease one at a time: exactly one wins each, and once
// it is released another may claim it at once.
func TestLeasesExclusive(t *testing.T) {
	t.Parallel()
	url := startNATS(t, t.TempDir(), 0).ClientURL()
	var ms []*member
	for _, id := range []string{"rec-a", "rec-b", "rec-c"} {
		ms = append(ms, startLeases(t, url, id, LeaseOptions{Grace: time.Nanosecond}))
	}
	for round := range 20 {
		confID := fmt.Sprint(500000 + round)
		got := make([]*Lease, len(ms))
		var wg sync.WaitGroup
		for i, m := range ms {
			wg.Go(func() {
				l, err := m.Claim(t.Context(), confID)
				if err != nil {
					t.Errorf("%s: %v", m.o.Recorder, err)
				}
				got[i] = l
			})
		}
		wg.Wait()
		var winners []int
		for i, l := range got {
			if l != nil {
				winners = append(winners, i)
			}
		}
		if len(winners) != 1 {
			t.Fatalf("meeting %s: %d recorders hold its lease, want 1", confID, len(winners))
		}
		w := winners[0]
		if h := holder(t, ms[0].js, confID); h != ms[w].o.Recorder {
			t.Fatalf("meeting %s: the bucket names %q, the winner is %s", confID, h, ms[w].o.Recorder)
		}
		got[w].Release()
		if h := holder(t, ms[0].js, confID); h != "" {
			t.Fatalf("meeting %s: released, the bucket still names %q", confID, h)
		}
		// Another claims it as soon as it sees it released.
		other := ms[(w+1)%len(ms)]
		eventually(t, func() bool {
			l, err := other.Claim(t.Context(), confID)
			if err != nil {
				t.Fatal(err)
			}
			if l != nil {
				l.Release()
			}
			return l != nil
		})
	}
}

// TestLeasesSpread: three live recorders each claim at once the meetings
// they rank first for, and those only: every meeting is claimed by exactly
// one, and each recorder gets a fair part.
func TestLeasesSpread(t *testing.T) {
	t.Parallel()
	url := startNATS(t, t.TempDir(), 0).ClientURL()
	ids := []string{"rec-a", "rec-b", "rec-c"}
	var ms []*member
	for _, id := range ids {
		ms = append(ms, startLeases(t, url, id, LeaseOptions{Grace: time.Hour}))
	}
	for _, m := range ms {
		m.waitLive(t, len(ms))
	}
	const n = 300
	count := make(map[string]int)
	for i := range n {
		confID := fmt.Sprint(600000 + i)
		holders := 0
		for _, m := range ms {
			l, err := m.Claim(t.Context(), confID)
			if err != nil {
				t.Fatal(err)
			}
			if l != nil {
				holders++
				count[m.o.Recorder]++
			}
		}
		if holders != 1 {
			t.Fatalf("meeting %s: claimed by %d recorders, want 1", confID, holders)
		}
	}
	for _, id := range ids {
		if count[id] < n/6 {
			t.Errorf("%s claimed %d of %d meetings: %v", id, count[id], n, count)
		}
	}
	t.Logf("meetings claimed: %v", count)
}

// TestLeasesGrace: a recorder that does not rank first claims a meeting
// only once it has stayed unclaimed for the grace; the first-ranked one
// claims at once.
func TestLeasesGrace(t *testing.T) {
	t.Parallel()
	url := startNATS(t, t.TempDir(), 0).ClientURL()
	const grace = 300 * time.Millisecond
	a := startLeases(t, url, "rec-a", LeaseOptions{Grace: grace})
	b := startLeases(t, url, "rec-b", LeaseOptions{Grace: grace})
	a.waitLive(t, 2)
	b.waitLive(t, 2)
	confID := firstFor("rec-a", "rec-b")
	start := time.Now()
	mustNotClaim(t, b, confID)
	for {
		l, err := b.Claim(t.Context(), confID)
		if err != nil {
			t.Fatal(err)
		}
		if l != nil {
			if d := time.Since(start); d < grace {
				t.Fatalf("claimed %v after first asking, before the grace of %v", d, grace)
			}
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The first-ranked recorder claims at once.
	other := firstFor("rec-b", "rec-a")
	mustClaim(t, b, other)
}

// TestLeasesTakeover: when a recorder dies (its connection gone, nothing
// released), its lease expires within the TTL and the live recorder ranked
// first for the meeting, the dead one left out, is told on Freed and
// claims it. The dead recorder's heartbeat expires too.
func TestLeasesTakeover(t *testing.T) {
	t.Parallel()
	url := startNATS(t, t.TempDir(), 0).ClientURL()
	ids := []string{"rec-a", "rec-b", "rec-c"}
	a := startLeases(t, url, ids[0], LeaseOptions{})
	b := startLeases(t, url, ids[1], LeaseOptions{})
	c := startLeases(t, url, ids[2], LeaseOptions{})
	for _, m := range []*member{a, b, c} {
		m.waitLive(t, 3)
	}
	confID := firstFor("rec-a", "rec-c", "rec-b") // c takes over
	mustClaim(t, a, confID)
	time.Sleep(1500 * time.Millisecond) // renewed beyond the TTL
	if h := holder(t, b.js, confID); h != "rec-a" {
		t.Fatalf("before the death: holder %q, want rec-a", h)
	}
	died := time.Now()
	a.die(t)
	var freed string
	select {
	case freed = <-c.Freed():
	case got := <-b.Freed():
		t.Fatalf("rec-b was told of %s, rec-c ranks first", got)
	case <-time.After(30 * time.Second):
		t.Fatal("nobody was told of the expired lease")
	}
	if freed != confID {
		t.Fatalf("freed %q, want %s", freed, confID)
	}
	mustClaim(t, c, confID)
	t.Logf("taken over %v after the death (TTL 1s)", time.Since(died))
	mustNotClaim(t, b, confID)
	b.waitLive(t, 2)
}

// TestLeaseLost: a renewal that finds the lease held by another recorder
// closes Lost; one that finds it expired and free claims it again, and the
// lease goes on.
func TestLeaseLost(t *testing.T) {
	t.Parallel()
	url := startNATS(t, t.TempDir(), 0).ClientURL()
	a := startLeases(t, url, "rec-a", LeaseOptions{})
	kv, err := a.js.KeyValue(t.Context(), LeaseBucket)
	if err != nil {
		t.Fatal(err)
	}

	expired := mustClaim(t, a, "700001")
	if err := kv.Purge(t.Context(), LeaseKey("700001")); err != nil { // as if expired
		t.Fatal(err)
	}
	eventually(t, func() bool { return holder(t, a.js, "700001") == "rec-a" })
	select {
	case <-expired.Lost():
		t.Fatal("a lease expired and claimed again was lost")
	default:
	}

	taken := mustClaim(t, a, "700002")
	if _, err := kv.Put(t.Context(), LeaseKey("700002"), []byte("rec-z")); err != nil {
		t.Fatal(err)
	}
	select {
	case <-taken.Lost():
	case <-time.After(30 * time.Second):
		t.Fatal("a lease another recorder holds was not lost")
	}
	taken.Release() // leaves the other's lease alone
	if h := holder(t, a.js, "700002"); h != "rec-z" {
		t.Fatalf("holder %q after releasing a lost lease, want rec-z", h)
	}
	expired.Release()
	if h := holder(t, a.js, "700001"); h != "" {
		t.Fatalf("holder %q after the release, want none", h)
	}
}

// TestLeasesStop: a recorder that stops withdraws its heartbeat at once.
func TestLeasesStop(t *testing.T) {
	t.Parallel()
	url := startNATS(t, t.TempDir(), 0).ClientURL()
	a := startLeases(t, url, "rec-a", LeaseOptions{TTL: time.Minute})
	b := startLeases(t, url, "rec-b", LeaseOptions{TTL: time.Minute})
	b.waitLive(t, 2)
	a.stop(t)
	b.waitLive(t, 1)
	if _, err := NewLeases(b.js, LeaseOptions{Recorder: "x", TTL: time.Millisecond}); err == nil {
		t.Error("a TTL under MinLeaseTTL was taken")
	}
}
