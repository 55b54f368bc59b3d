package natsfeed

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/confrec/confrec/store"
)

// LabelPublished is the meeting label in which a Publisher keeps how far
// it has published the meeting: "SEQ TIME LINK BEGUN ENDED", the last frame
// acknowledged, its receive time (Unix ns) and the chain link after it,
// and the last session whose beginning and whose end were acknowledged.
const LabelPublished = "nats_published"

// PublisherOptions configure a Publisher.
type PublisherOptions struct {
	// Recorder names this recorder in every message: unique in the fleet.
	Recorder string
	// Logger, when not nil, is told of outages and of their end.
	Logger *slog.Logger
	// Window is how many messages may await JetStream's acknowledgement
	// (default 256).
	Window int
	// AckTimeout bounds the wait for one window's acknowledgements
	// (default 10s); then the window is published again.
	AckTimeout time.Duration
	// Retry is the longest wait between attempts while NATS is away
	// (default 5s; the first waits are shorter).
	Retry time.Duration
	// Replicas, when not 0, makes Run create or update the stream first
	// (EnsureStream) with that many replicas, or KeepReplicas.
	Replicas int
	// Trim, when not nil, is asked of each meeting whose every frame and
	// session event JetStream has acknowledged: when it returns true, the
	// meeting is deleted from the recorder's database (unless it is under
	// a legal hold). Recording it again later starts a new epoch, which an
	// Archiver keeps apart.
	Trim func(m *store.Meeting) bool
}

// Publisher publishes what a recorder's database commits to JetStream.
type Publisher struct {
	db    *store.DB
	js    jetstream.JetStream
	o     PublisherOptions
	state map[string]*published
	down  bool // the last attempt failed

	mu          sync.Mutex
	told        bool                // Changed was called: Run reads the meetings it names
	changed     map[string]struct{} // meetings changed since Run last read them
	lastFullRun time.Time           // when Run last read every meeting
}

// fullEvery is how often Run reads every meeting even when Changed tells
// it which changed: to trim, and in case a change was missed.
const fullEvery = time.Minute

// Changed tells the Publisher which meetings a commit changed: call it
// from the database's Options.OnCommit with CommitStats.Meetings. Once it
// is called, Run reads at each commit only the meetings named since,
// instead of every meeting's metadata (which takes tens of milliseconds
// with thousands of meetings), and every meeting once a minute. It is
// cheap and safe for concurrent use.
func (p *Publisher) Changed(meetings []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.told = true
	for _, id := range meetings {
		p.changed[id] = struct{}{}
	}
}

// takeChanged returns the meetings to read now: nil for all.
func (p *Publisher) takeChanged() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.told || time.Since(p.lastFullRun) >= fullEvery {
		clear(p.changed)
		p.lastFullRun = time.Now()
		return nil
	}
	ids := make([]string, 0, len(p.changed))
	for id := range p.changed {
		ids = append(ids, id)
	}
	clear(p.changed)
	return ids
}

// giveBack returns meetings not published to the next attempt (nil: a
// full read, which is done again at once).
func (p *Publisher) giveBack(ids []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if ids == nil {
		p.lastFullRun = time.Time{}
		return
	}
	for _, id := range ids {
		p.changed[id] = struct{}{}
	}
}

// published is how far a meeting is published (LabelPublished).
type published struct {
	epoch        int64 // the meeting's Created, Unix ns
	seq          uint64
	time         int64
	link         store.Hash
	begun, ended uint32
	trimChecked  time.Time // when Trim was last asked
}

// ValidRecorderID returns nil when id can name a recorder: 1 to 128 bytes
// of printable ASCII, no space or slash.
func ValidRecorderID(id string) error {
	if id == "" || len(id) > 128 {
		return fmt.Errorf("recorder ID %q: use 1 to 128 bytes", id)
	}
	for _, r := range id {
		if r <= ' ' || r > '~' || r == '/' {
			return fmt.Errorf("recorder ID %q: use printable ASCII without spaces or slashes", id)
		}
	}
	return nil
}

// NewPublisher returns a Publisher of db's frames to js.
func NewPublisher(db *store.DB, js jetstream.JetStream, o PublisherOptions) (*Publisher, error) {
	if err := ValidRecorderID(o.Recorder); err != nil {
		return nil, fmt.Errorf("publisher: %w", err)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Window <= 0 {
		o.Window = 256
	}
	if o.AckTimeout <= 0 {
		o.AckTimeout = 10 * time.Second
	}
	if o.Retry <= 0 {
		o.Retry = 5 * time.Second
	}
	return &Publisher{db: db, js: js, o: o, state: make(map[string]*published), changed: make(map[string]struct{})}, nil
}

// Run publishes what db has committed and what it commits, until ctx is
// done. While NATS is away it retries, with backoff, from the last
// acknowledged frame; it logs the outage once and its end. It returns nil
// when ctx is done, or the store's error.
func (p *Publisher) Run(ctx context.Context) error {
	wait := 100 * time.Millisecond
	ensured := p.o.Replicas == 0
	for {
		ch := p.db.Committed()
		var err error
		if !ensured {
			_, err = EnsureStream(ctx, p.js, p.o.Replicas)
			ensured = err == nil
		}
		if err == nil {
			ids := p.takeChanged()
			if ids == nil {
				err = p.PublishCommitted(ctx)
			} else {
				err = p.publishMeetings(ctx, ids)
			}
			if err != nil {
				p.giveBack(ids)
			}
		}
		switch {
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, store.ErrClosed):
			return nil
		case err != nil:
			if !p.down {
				p.o.Logger.Warn("publishing to NATS failed: frames wait in the database", "err", err)
				p.down = true
			}
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return nil
			}
			wait = min(2*wait, p.o.Retry)
			continue
		}
		if p.down {
			p.o.Logger.Info("publishing to NATS again")
			p.down = false
		}
		wait = 100 * time.Millisecond
		select {
		case <-ch:
		case <-ctx.Done():
			return nil
		}
	}
}

// PublishCommitted publishes every frame and session event db has
// committed and JetStream has not acknowledged, in order, and returns once
// all are acknowledged, or at the first failure.
func (p *Publisher) PublishCommitted(ctx context.Context) error {
	ms, err := p.db.Meetings()
	if err != nil {
		return err
	}
	for i := range ms {
		if err := p.publishMeeting(ctx, &ms[i]); err != nil {
			return err
		}
	}
	return nil
}

// publishMeetings publishes what of the meetings ids is not acknowledged.
func (p *Publisher) publishMeetings(ctx context.Context, ids []string) error {
	for _, id := range ids {
		m, err := p.db.Meeting(id)
		if errors.Is(err, store.ErrMeetingNotFound) {
			delete(p.state, id) // deleted
			continue
		} else if err != nil {
			return err
		}
		if err := p.publishMeeting(ctx, &m); err != nil {
			return err
		}
	}
	return nil
}

// withSessions returns m with its sessions: m itself when it was read with
// them (DB.Meeting), else read again (DB.Meetings lists none).
func (p *Publisher) withSessions(m *store.Meeting) (store.Meeting, error) {
	if len(m.Sessions) == int(m.SessionCount) {
		return *m, nil
	}
	return p.db.Meeting(m.ID)
}

func (p *Publisher) stateOf(m *store.Meeting) *published {
	epoch := m.Created.UnixNano()
	if st, ok := p.state[m.ID]; ok && st.epoch == epoch {
		return st
	}
	st := &published{link: store.ChainStart(m.ID)}
	if v, ok := m.Labels[LabelPublished]; ok {
		if parsed, err := parsePublished(v); err == nil {
			st = parsed
		} else {
			p.o.Logger.Warn("unreadable publishing mark: publishing the meeting again from its start", "meeting", m.ID, "label", LabelPublished, "err", err)
		}
	}
	st.epoch = epoch
	p.state[m.ID] = st
	return st
}

func parsePublished(v string) (*published, error) {
	f := strings.Fields(v)
	if len(f) != 5 {
		return nil, fmt.Errorf("%d fields, want 5", len(f))
	}
	st := &published{}
	var err error
	if st.seq, err = strconv.ParseUint(f[0], 10, 64); err != nil {
		return nil, err
	}
	if st.time, err = strconv.ParseInt(f[1], 10, 64); err != nil {
		return nil, err
	}
	if err := st.link.UnmarshalText([]byte(f[2])); err != nil {
		return nil, err
	}
	b, err1 := strconv.ParseUint(f[3], 10, 32)
	e, err2 := strconv.ParseUint(f[4], 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return nil, err
	}
	st.begun, st.ended = uint32(b), uint32(e)
	return st, nil
}

func (st *published) String() string {
	return fmt.Sprintf("%d %d %s %d %d", st.seq, st.time, st.link, st.begun, st.ended)
}

// publishMeeting publishes what of meeting m is not yet acknowledged.
func (p *Publisher) publishMeeting(ctx context.Context, m *store.Meeting) error {
	st := p.stateOf(m)
	if m.Frames <= st.seq && m.SessionCount <= st.ended {
		return p.trim(ctx, m, st)
	}
	full, err := p.withSessions(m) // read before the frames
	if err != nil {
		return err
	}
	src := source{meeting: m.ID, recorder: p.o.Recorder, epoch: st.epoch}
	next := *st // advanced as messages are sent; st once they are acknowledged
	var pending []jetstream.PubAckFuture
	flush := func() error {
		if err := p.await(ctx, pending); err != nil {
			return err
		}
		pending = pending[:0]
		if next == *st {
			return nil
		}
		*st = next
		return p.db.SetLabel(m.ID, LabelPublished, st.String())
	}
	send := func(msg *nats.Msg) error {
		f, err := p.js.PublishMsgAsync(msg)
		if err != nil {
			return fmt.Errorf("publish to NATS: %w", err)
		}
		pending = append(pending, f)
		if len(pending) >= p.o.Window {
			return flush()
		}
		return nil
	}
	sessions := full.Sessions
	begin := func(upTo uint32) error {
		for _, s := range sessions {
			if s.ID > next.begun && s.ID <= upTo {
				msg, err := sessionMsg(src, &s, false, next.seq)
				if err != nil {
					return err
				}
				if err := send(msg); err != nil {
					return err
				}
				next.begun = s.ID
			}
		}
		return nil
	}

	if full.Frames > st.seq {
		var from time.Time
		if st.time != 0 {
			from = time.Unix(0, st.time) // at or before its key time: frames up to st.seq are skipped
		}
		c, err := p.db.Frames(m.ID, &store.Query{From: from})
		if err != nil {
			return err
		}
		defer c.Close()
		for c.Next() {
			f := c.Frame()
			if f.Seq <= next.seq {
				continue
			}
			if f.Seq != next.seq+1 {
				return fmt.Errorf("meeting %s: frame %d follows frame %d: the database lacks frames", m.ID, f.Seq, next.seq)
			}
			if f.Session > next.begun {
				if err := begin(f.Session); err != nil {
					return err
				}
			}
			link := store.ChainNext(next.link, &f)
			for _, msg := range frameMsgs(src, &f, link) {
				if err := send(msg); err != nil {
					return err
				}
			}
			next.seq, next.time, next.link = f.Seq, f.Time.UnixNano(), link
			if next.seq >= full.Frames {
				break // what was committed when the sessions were read
			}
		}
		if err := c.Err(); err != nil {
			return err
		}
	}
	// Sessions begun without frames yet, and those that ended: a session's
	// end is committed after its frames, so every frame of a session that
	// full says ended was read above.
	if err := begin(full.SessionCount); err != nil {
		return err
	}
	for _, s := range sessions {
		if s.ID > next.ended && s.ID <= next.begun && !s.End.IsZero() {
			msg, err := sessionMsg(src, &s, true, next.seq)
			if err != nil {
				return err
			}
			if err := send(msg); err != nil {
				return err
			}
			next.ended = s.ID
		} else if s.ID > next.ended {
			break // ends go in order
		}
	}
	return flush()
}

// trimEvery is how often Trim is asked of one meeting.
const trimEvery = time.Minute

// trim deletes meeting m, all of which is acknowledged, when Trim says so
// of it (with its sessions), asking at most every trimEvery.
func (p *Publisher) trim(ctx context.Context, m *store.Meeting, st *published) error {
	if p.o.Trim == nil || m.Hold != nil || time.Since(st.trimChecked) < trimEvery {
		return nil
	}
	st.trimChecked = time.Now()
	full, err := p.withSessions(m)
	if err != nil || !p.o.Trim(&full) {
		return err
	}
	err = p.db.DeleteMeeting(ctx, m.ID)
	switch {
	case errors.Is(err, store.ErrHeld), errors.Is(err, store.ErrMeetingNotFound):
		return nil
	case err != nil:
		return err
	}
	delete(p.state, m.ID)
	p.o.Logger.Info("meeting published and trimmed from the database", "meeting", m.ID, "frames", m.Frames)
	return nil
}

// await waits for the acknowledgement of every publish in fs.
func (p *Publisher) await(ctx context.Context, fs []jetstream.PubAckFuture) error {
	if len(fs) == 0 {
		return nil
	}
	timeout := time.NewTimer(p.o.AckTimeout)
	defer timeout.Stop()
	for _, f := range fs {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			return fmt.Errorf("publish to NATS: %w", err)
		case <-timeout.C:
			return fmt.Errorf("publish to NATS: no acknowledgement within %v", p.o.AckTimeout)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}
