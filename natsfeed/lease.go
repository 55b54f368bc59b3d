package natsfeed

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// LeaseBucket is the JetStream key-value bucket in which recorders claim
// meetings (see Leases).
const LeaseBucket = "confrec-leases"

// Lease timing.
const (
	// DefaultLeaseTTL is how long a lease outlives its last renewal: a
	// recorder that dies loses its meetings to the others that long after
	// its last renewal, at most.
	DefaultLeaseTTL = 6 * time.Second
	// MinLeaseTTL is the shortest TTL a bucket takes (JetStream keeps the
	// markers of expired keys at least a second).
	MinLeaseTTL = time.Second
)

// Keys of the bucket: a lease per meeting and a heartbeat per recorder.
const (
	leasePrefix    = "lease."
	recorderPrefix = "recorder."
)

// ErrLeasesNotReady is matched by Claim's error while Run has not opened
// the bucket yet (NATS unreachable since the start).
var ErrLeasesNotReady = errors.New("the lease bucket is not open yet")

// LeaseOptions configure Leases.
type LeaseOptions struct {
	// Recorder names this recorder in its leases and heartbeat: unique in
	// the fleet (ValidRecorderID).
	Recorder string
	// TTL is how long a lease and a heartbeat outlive their last renewal
	// (default DefaultLeaseTTL, at least MinLeaseTTL); they are renewed
	// every third of it. It is the bucket's: when the bucket exists with
	// another TTL, the bucket's wins and is logged.
	TTL time.Duration
	// Grace is how long a meeting must have stayed unclaimed before this
	// recorder claims it when another live recorder ranks first for it
	// (default 2 TTL): two polls of the discovery suit it.
	Grace time.Duration
	// Replicas is how many servers keep the bucket (default 1).
	Replicas int
	// Logger is told of leases claimed, lost and not renewed (default:
	// discard).
	Logger *slog.Logger
}

// Leases claims meetings for one recorder of a fleet, so that exactly one
// recorder records each meeting at a time, and the meetings spread over
// the recorders.
//
// A lease is the key LeaseKey(confID) of the bucket LeaseBucket, its value
// the recorder ID. Claim creates it (kv.Create: only when nobody holds
// it), Run renews it every TTL/3 (kv.Update on its revision), and
// Lease.Release deletes it when the recording ends. The bucket's keys
// expire TTL after their last write, so the leases of a recorder that dies
// are free TTL after its last renewal, at most.
//
// Each recorder announces itself with a heartbeat key of its own, renewed
// with its leases. A recorder claims a meeting at once when it ranks first
// for the meeting's ID among the live recorders (rendezvous hashing of
// recorder ID and conference ID), else only once the meeting has stayed
// unclaimed for LeaseOptions.Grace: a first-ranked recorder that cannot
// record the meeting (no password, filtered out) does not block it.
//
// Run watches the bucket. When a lease expires (its holder died or lost
// NATS), the live recorder ranked first for the meeting, its holder left
// out, is told on Freed, so that it claims the meeting at once rather
// than at its next poll.
//
// A renewal that finds the lease held by another recorder loses it: Lost
// is closed and it is logged. One that finds it expired and free claims it
// again, so the recording goes on without a gap. While NATS does not
// answer, the leases are kept and renewed when it is back: no other
// recorder can claim them meanwhile, unless it reaches NATS when this one
// does not; then both record the meeting until this one reaches NATS again
// and stops (a meeting recorded twice, never one left out).
type Leases struct {
	js    jetstream.JetStream
	o     LeaseOptions
	log   *slog.Logger
	kick  chan struct{} // renew now
	freed chan string
	ready chan struct{} // closed once the bucket is open and read

	mu      sync.Mutex
	kv      jetstream.KeyValue   // nil until Run opened the bucket
	ttl     time.Duration        // the bucket's
	holders map[string]string    // conference ID → recorder holding its lease, as the bucket says
	live    map[string]bool      // recorders whose heartbeat is in the bucket
	waiting map[string]time.Time // conference ID → when this recorder first found it unclaimed
	held    map[string]*Lease    // leases this recorder holds
}

// Lease is a meeting claimed by this recorder.
type Lease struct {
	l      *Leases
	confID string
	key    string
	lost   chan struct{}

	mu       sync.Mutex // serializes renewals and the release
	rev      uint64
	released bool
	isLost   bool
}

// NewLeases returns the Leases of recorder o.Recorder in the bucket of js;
// Run opens the bucket and keeps the leases.
func NewLeases(js jetstream.JetStream, o LeaseOptions) (*Leases, error) {
	if err := ValidRecorderID(o.Recorder); err != nil {
		return nil, fmt.Errorf("leases: %w", err)
	}
	if o.TTL == 0 {
		o.TTL = DefaultLeaseTTL
	}
	if o.TTL < MinLeaseTTL {
		return nil, fmt.Errorf("leases: TTL %v: at least %v", o.TTL, MinLeaseTTL)
	}
	if o.Grace <= 0 {
		o.Grace = 2 * o.TTL
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Leases{
		js: js, o: o, log: o.Logger,
		kick:    make(chan struct{}, 1),
		freed:   make(chan string, 1024),
		ready:   make(chan struct{}),
		ttl:     o.TTL,
		holders: make(map[string]string),
		live:    make(map[string]bool),
		waiting: make(map[string]time.Time),
		held:    make(map[string]*Lease),
	}, nil
}

// LeaseKey is the key of meeting confID's lease: "lease." and the ID with
// every byte but A-Z, a-z, 0-9 and '-' written as '_' and two hex digits,
// so that any meeting ID makes a valid key, and two never make the same.
func LeaseKey(confID string) string { return leasePrefix + encodeKey(confID) }

func recorderKey(id string) string { return recorderPrefix + encodeKey(id) }

func encodeKey(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('_')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

func decodeKey(s string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '_' {
			b.WriteByte(s[i])
			continue
		}
		if i+2 >= len(s) {
			return "", false
		}
		var c byte
		for _, h := range s[i+1 : i+3] {
			switch {
			case h >= '0' && h <= '9':
				c = c<<4 | byte(h-'0')
			case h >= 'A' && h <= 'F':
				c = c<<4 | byte(h-'A'+10)
			default:
				return "", false
			}
		}
		b.WriteByte(c)
		i += 2
	}
	return b.String(), true
}

// Ready is closed once Run has opened the bucket and read it.
func (l *Leases) Ready() <-chan struct{} { return l.ready }

// Freed delivers the meetings whose lease expired and for which this
// recorder now ranks first: the caller should look at each at once, and
// Claim it if it still runs. A meeting may be left out when the caller
// is slow; its next poll finds it.
func (l *Leases) Freed() <-chan string { return l.freed }

// TTL is the bucket's TTL once Run opened it, else LeaseOptions.TTL.
func (l *Leases) TTL() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.ttl
}

// Run opens the bucket (creating it if needed, retrying until NATS
// answers), announces this recorder, and renews its heartbeat and leases
// every TTL/3 until ctx is done; then it withdraws the heartbeat. The
// leases still held are left to expire: release them first. It returns
// nil once ctx is done, or an error when the bucket exists but cannot
// hold leases (a TTL under MinLeaseTTL, or no markers of expired keys).
func (l *Leases) Run(ctx context.Context) error {
	kv, err := l.open(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	w, err := l.watch(ctx, kv)
	if err != nil {
		return nil // ctx is done
	}
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		l.follow(kv, w)
	}()
	defer func() {
		_ = w.Stop()
		<-watched
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), l.TTL())
		defer cancel()
		if err := kv.Delete(dctx, recorderKey(l.o.Recorder)); err != nil {
			l.log.Debug("heartbeat not withdrawn: it expires by itself", "err", err)
		}
	}()
	tick := time.NewTicker(l.TTL() / 3)
	defer tick.Stop()
	failing := false
	for {
		err := l.renew(ctx, kv)
		switch {
		case ctx.Err() != nil:
		case err != nil && !failing:
			l.log.Warn("leases not renewed: NATS does not answer; the recordings go on and the leases are renewed when it does", "err", err)
			failing = true
		case err == nil && failing:
			l.log.Info("leases renewed again")
			failing = false
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		case <-l.kick:
		}
	}
}

// open creates or opens the bucket, retrying until ctx is done.
func (l *Leases) open(ctx context.Context) (jetstream.KeyValue, error) {
	cfg := jetstream.KeyValueConfig{
		Bucket:         LeaseBucket,
		Description:    "confrec: which recorder records each meeting",
		TTL:            l.o.TTL,
		LimitMarkerTTL: max(l.o.TTL, MinLeaseTTL),
		Storage:        jetstream.FileStorage,
		Replicas:       max(1, l.o.Replicas),
		History:        1,
	}
	logged := false
	for wait := 100 * time.Millisecond; ; wait = min(2*wait, 5*time.Second) {
		kv, err := l.js.CreateKeyValue(ctx, cfg)
		if errors.Is(err, jetstream.ErrBucketExists) {
			kv, err = l.js.KeyValue(ctx, LeaseBucket)
		}
		var st jetstream.KeyValueStatus
		if err == nil {
			st, err = kv.Status(ctx)
		}
		if err == nil {
			ttl := st.TTL()
			if ttl != l.o.TTL {
				l.log.Warn("the lease bucket has another TTL: it wins", "bucket", LeaseBucket, "ttl", ttl, "asked", l.o.TTL)
			}
			if ttl < MinLeaseTTL || st.LimitMarkerTTL() == 0 {
				return nil, fmt.Errorf("lease bucket %s: TTL %v and limit markers %v: delete the bucket, confrec creates it again", LeaseBucket, ttl, st.LimitMarkerTTL())
			}
			l.mu.Lock()
			l.ttl = ttl
			l.mu.Unlock()
			return kv, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if !logged {
			l.log.Warn("lease bucket not open yet: no meeting is claimed until it is", "bucket", LeaseBucket, "err", err)
			logged = true
		}
		if sleep(ctx, wait) != nil {
			return nil, ctx.Err()
		}
	}
}

// watch announces this recorder and starts watching the bucket.
func (l *Leases) watch(ctx context.Context, kv jetstream.KeyValue) (jetstream.KeyWatcher, error) {
	for wait := 100 * time.Millisecond; ; wait = min(2*wait, 5*time.Second) {
		_, err := kv.Put(ctx, recorderKey(l.o.Recorder), []byte(l.o.Recorder))
		var w jetstream.KeyWatcher
		if err == nil {
			w, err = kv.WatchAll(ctx)
		}
		if err == nil {
			return w, nil
		}
		l.log.Debug("lease bucket not watched yet", "err", err)
		if sleep(ctx, wait) != nil {
			return nil, ctx.Err()
		}
	}
}

// follow keeps the view of the bucket until w stops: who holds each lease
// and which recorders are live. Claims begin once the bucket's keys are
// read.
func (l *Leases) follow(kv jetstream.KeyValue, w jetstream.KeyWatcher) {
	initial := true
	for e := range w.Updates() {
		if e == nil {
			if initial {
				initial = false
				l.mu.Lock()
				l.kv = kv
				l.mu.Unlock()
				close(l.ready)
			}
			continue
		}
		l.update(e, initial)
	}
}

// update takes the bucket's change e into the view. After the initial
// values, a lease that expires is reported on Freed to the recorder ranked
// first for it, and a change to a lease this recorder holds makes it renew
// at once.
func (l *Leases) update(e jetstream.KeyValueEntry, initial bool) {
	gone := e.Operation() != jetstream.KeyValuePut
	l.mu.Lock()
	defer l.mu.Unlock()
	if name, ok := strings.CutPrefix(e.Key(), recorderPrefix); ok {
		if id, ok := decodeKey(name); ok {
			if gone {
				delete(l.live, id)
			} else {
				l.live[id] = true
			}
		}
		return
	}
	name, ok := strings.CutPrefix(e.Key(), leasePrefix)
	if !ok {
		return
	}
	confID, ok := decodeKey(name)
	if !ok {
		return
	}
	prev := l.holders[confID]
	if gone {
		delete(l.holders, confID)
	} else {
		l.holders[confID] = string(e.Value())
		delete(l.waiting, confID)
	}
	if initial {
		return
	}
	if lease := l.held[confID]; lease != nil {
		if gone || string(e.Value()) != l.o.Recorder {
			select {
			case l.kick <- struct{}{}:
			default:
			}
		}
		return
	}
	// An expired lease (not one released): its holder died, or lost NATS.
	if e.Operation() == jetstream.KeyValuePurge && l.rankedFirst(confID, prev) {
		select {
		case l.freed <- confID:
		default:
		}
	}
}

// score ranks recorder for meeting confID: the live recorder with the
// highest score ranks first (rendezvous hashing).
func score(recorder, confID string) uint64 {
	h := sha256.New()
	h.Write([]byte(recorder))
	h.Write([]byte{0})
	h.Write([]byte(confID))
	return binary.BigEndian.Uint64(h.Sum(nil))
}

// rankedFirst reports whether this recorder ranks first for confID among
// the live recorders, but for except. l.mu is held.
func (l *Leases) rankedFirst(confID, except string) bool {
	me := score(l.o.Recorder, confID)
	for r := range l.live {
		if r == l.o.Recorder || r == except {
			continue
		}
		if s := score(r, confID); s > me || s == me && r < l.o.Recorder {
			return false
		}
	}
	return true
}

// Claim claims meeting confID for this recorder if nobody holds it and
// either this recorder ranks first for it among the live recorders or it
// has stayed unclaimed for LeaseOptions.Grace since this recorder first
// asked. It returns the Lease, or nil when the meeting is not this
// recorder's (now), or an error when NATS did not answer (matching
// ErrLeasesNotReady before Run opened the bucket).
func (l *Leases) Claim(ctx context.Context, confID string) (*Lease, error) {
	l.mu.Lock()
	kv := l.kv
	_, mine := l.held[confID]
	_, taken := l.holders[confID]
	if kv == nil || mine || taken {
		l.mu.Unlock()
		if kv == nil {
			return nil, ErrLeasesNotReady
		}
		return nil, nil
	}
	now := time.Now()
	first := l.rankedFirst(confID, "")
	since, ok := l.waiting[confID]
	if !ok {
		l.waiting[confID] = now
		since = now
	}
	l.mu.Unlock()
	if !first && now.Sub(since) < l.o.Grace {
		return nil, nil
	}
	key := LeaseKey(confID)
	rev, err := kv.Create(ctx, key, []byte(l.o.Recorder))
	if errors.Is(err, jetstream.ErrKeyExists) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("claim a meeting's lease: %w", err)
	}
	lease := &Lease{l: l, confID: confID, key: key, rev: rev, lost: make(chan struct{})}
	l.mu.Lock()
	l.held[confID] = lease
	delete(l.waiting, confID)
	l.mu.Unlock()
	l.log.Info("lease claimed", "meeting", confID, "ranked_first", first)
	return lease, nil
}

// renew renews the heartbeat and every lease held; it returns the first
// error of NATS.
func (l *Leases) renew(ctx context.Context, kv jetstream.KeyValue) error {
	_, err := kv.Put(ctx, recorderKey(l.o.Recorder), []byte(l.o.Recorder))
	l.mu.Lock()
	held := make([]*Lease, 0, len(l.held))
	for _, lease := range l.held {
		held = append(held, lease)
	}
	for id, since := range l.waiting {
		if time.Since(since) > 10*l.o.Grace+time.Minute {
			delete(l.waiting, id) // not asked about again: it ended
		}
	}
	l.mu.Unlock()
	for _, lease := range held {
		if rerr := lease.renew(ctx, kv); rerr != nil && err == nil {
			err = rerr
		}
	}
	return err
}

// renew renews the lease, or finds it lost. Its error is NATS not
// answering: the lease is kept.
func (s *Lease) renew(ctx context.Context, kv jetstream.KeyValue) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.released || s.isLost {
		return nil
	}
	me := []byte(s.l.o.Recorder)
	rev, err := kv.Update(ctx, s.key, me, s.rev)
	if err == nil {
		s.rev = rev
		return nil
	}
	if !errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
		return fmt.Errorf("renew the lease of meeting %s: %w", s.confID, err)
	}
	e, err := kv.Get(ctx, s.key)
	switch {
	case err == nil && string(e.Value()) == s.l.o.Recorder:
		s.rev = e.Revision() // renewed before, its acknowledgement lost
		return nil
	case err == nil:
		s.lose("another recorder holds it", string(e.Value()))
		return nil
	case !errors.Is(err, jetstream.ErrKeyNotFound) && !errors.Is(err, jetstream.ErrKeyDeleted):
		return fmt.Errorf("renew the lease of meeting %s: %w", s.confID, err)
	}
	// Expired, and nobody took it: the recording goes on.
	rev, err = kv.Create(ctx, s.key, me)
	switch {
	case err == nil:
		s.rev = rev
		s.l.log.Warn("lease had expired (not renewed within its TTL): claimed again, the recording goes on", "meeting", s.confID)
		return nil
	case errors.Is(err, jetstream.ErrKeyExists):
		s.lose("it expired and another recorder claimed it", "")
		return nil
	}
	return fmt.Errorf("claim the expired lease of meeting %s again: %w", s.confID, err)
}

// lose marks the lease lost and closes Lost. s.mu is held.
func (s *Lease) lose(why, holder string) {
	s.isLost = true
	close(s.lost)
	s.l.mu.Lock()
	if s.l.held[s.confID] == s {
		delete(s.l.held, s.confID)
	}
	s.l.mu.Unlock()
	s.l.log.Warn("lease lost: the recording stops", "meeting", s.confID, "why", why, "holder", holder)
}

// ConfID is the meeting the lease is for.
func (s *Lease) ConfID() string { return s.confID }

// Lost is closed when the lease is lost to another recorder: stop
// recording the meeting.
func (s *Lease) Lost() <-chan struct{} { return s.lost }

// Release gives the lease up (the recording ended), so that the meeting
// may be claimed again at once; a lease lost is left alone. A release
// that NATS does not acknowledge is logged: the lease then expires.
func (s *Lease) Release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.released {
		return
	}
	s.released = true
	s.l.mu.Lock()
	if s.l.held[s.confID] == s {
		delete(s.l.held, s.confID)
	}
	kv, ttl := s.l.kv, s.l.ttl
	s.l.mu.Unlock()
	if s.isLost {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), ttl)
	defer cancel()
	if err := kv.Delete(ctx, s.key, jetstream.LastRevision(s.rev)); err != nil {
		s.l.log.Warn("lease not released: it expires by itself", "meeting", s.confID, "ttl", ttl, "err", err)
	}
}
