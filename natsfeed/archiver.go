package natsfeed

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/confrec/confrec/store"
)

// LabelSource prefixes the archive meeting's labels that keep, per
// recorder (and epoch: when its database created the meeting), the last
// frame stored from it and the recorder's chain link after that frame:
// "nats_source.RECORDER.EPOCH" = "SEQ LINK". The labels
// "nats_session.RECORDER.EPOCH.N" = "M" map the recorder's session N to
// the archive's session M.
const LabelSource = "nats_source."

const labelSession = "nats_session."

// ArchiverOptions configure an Archiver.
type ArchiverOptions struct {
	// Durable names the JetStream consumer (default "confrec-archive"):
	// each archive database has its own, so that several archives each
	// hold every frame.
	Durable string
	// Logger is told of every problem (default: discard).
	Logger *slog.Logger
	// OnProblem, when not nil, is called with each problem found in the
	// stream: a message that is not confrec's, a truncated frame, frames
	// missing, a frame that does not follow its recorder's chain.
	OnProblem func(error)
	// Batch is how many messages are stored in one commit at most
	// (default 256).
	Batch int
	// Wait bounds how long a batch waits for messages (default 200ms).
	Wait time.Duration
	// Replicas, when not 0, makes Run create or update the stream first
	// (EnsureStream) with that many replicas, or KeepReplicas.
	Replicas int
	// GapWait is how long a recorder's frames may wait for a frame or a
	// session message that must be stored before them (default a minute)
	// before the archive takes it as lost and goes on without it.
	//
	// The stream may hold a recorder's messages out of order: when a
	// publish is not acknowledged (a server died, the stream's leader
	// changed), the recorder publishes again from its last acknowledged
	// frame, and messages it had sent after the lost ones may have been
	// stored already. Those wait (the consumer delivers them again later)
	// until the lost ones come again. GapWait must exceed the time a
	// recorder takes to publish again: its AckTimeout and Retry.
	GapWait time.Duration
}

// redeliverAfter is how long a message that waits for others is away
// before the consumer delivers it again.
const redeliverAfter = 250 * time.Millisecond

// Archiver consumes the stream into an archive database.
type Archiver struct {
	db      *store.DB
	js      jetstream.JetStream
	o       ArchiverOptions
	sources map[source]*sourceState
	partial map[frameKey]*chunks
}

// sourceState is what the archive holds of one source's frames.
type sourceState struct {
	seq      uint64
	link     store.Hash
	sessions map[uint32]uint32 // the recorder's session → the archive's
	waiting  time.Time         // since when its messages wait for one that must come first; zero: none waits
}

type frameKey struct {
	source
	session uint32
	seq     uint64
}

// chunks gathers the messages of one chunked frame.
type chunks struct {
	first *part
	data  [][]byte
	have  int
	msgs  []jetstream.Msg
}

// NewArchiver returns an Archiver of the stream into db.
func NewArchiver(db *store.DB, js jetstream.JetStream, o ArchiverOptions) *Archiver {
	if o.Durable == "" {
		o.Durable = "confrec-archive"
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Batch <= 0 {
		o.Batch = 256
	}
	if o.GapWait <= 0 {
		o.GapWait = time.Minute
	}
	if o.Wait <= 0 {
		o.Wait = 200 * time.Millisecond
	}
	return &Archiver{db: db, js: js, o: o, sources: make(map[source]*sourceState), partial: make(map[frameKey]*chunks)}
}

// Run consumes the stream until ctx is done, storing each message and
// acknowledging it once the commit that holds it is durable. It returns nil
// when ctx is done, or the store's error: an archive that cannot write
// stops rather than acknowledge what it did not keep.
func (a *Archiver) Run(ctx context.Context) error {
	cons, err := a.consumer(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	wait := 100 * time.Millisecond
	for ctx.Err() == nil {
		batch, err := cons.Fetch(a.o.Batch, jetstream.FetchMaxWait(a.o.Wait))
		if err != nil {
			a.o.Logger.Debug("fetch from NATS failed", "err", err)
			if sleep(ctx, wait) != nil {
				break
			}
			wait = min(2*wait, 5*time.Second)
			continue
		}
		wait = 100 * time.Millisecond
		var done []jetstream.Msg
		for msg := range batch.Messages() {
			acks, err := a.handle(ctx, msg)
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return fmt.Errorf("archive: %w", err)
			}
			done = append(done, acks...)
		}
		if len(done) == 0 {
			continue
		}
		if err := a.db.Flush(ctx); err != nil {
			if ctx.Err() != nil {
				break
			}
			return fmt.Errorf("archive: %w", err)
		}
		for _, m := range done {
			m.Ack()
		}
	}
	return nil
}

func (a *Archiver) consumer(ctx context.Context) (jetstream.Consumer, error) {
	for wait := 100 * time.Millisecond; ; wait = min(2*wait, 5*time.Second) {
		if a.o.Replicas != 0 {
			if _, err := EnsureStream(ctx, a.js, a.o.Replicas); err != nil {
				a.o.Logger.Debug("no stream yet", "err", err)
				if sleep(ctx, wait) != nil {
					return nil, ctx.Err()
				}
				continue
			}
		}
		cons, err := a.js.CreateOrUpdateConsumer(ctx, StreamName, jetstream.ConsumerConfig{
			Durable:     a.o.Durable,
			Description: "a confrec archive",
			AckPolicy:   jetstream.AckExplicitPolicy,
			AckWait:     2 * time.Minute,
			// Room for many meetings' frames held back at once (waiting
			// for a frame the stream holds later), besides a batch and a
			// chunked frame: when it is full, delivery stops.
			MaxAckPending: 16384 + 4*(a.o.Batch+maxChunks),
			FilterSubject: subjectPrefix + ">",
		})
		if err == nil {
			return cons, nil
		}
		a.o.Logger.Debug("no consumer yet", "err", err)
		if sleep(ctx, wait) != nil {
			return nil, ctx.Err()
		}
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// problem reports a problem of the stream.
func (a *Archiver) problem(err error) {
	a.o.Logger.Warn("archive: a message of the stream is refused or incomplete", "err", err)
	if a.o.OnProblem != nil {
		a.o.OnProblem(err)
	}
}

// handle stores msg's part and returns the messages to acknowledge after
// the next commit: msg, or none while its frame's chunks are incomplete,
// or all of them once it is whole. An error is the store's.
func (a *Archiver) handle(ctx context.Context, msg jetstream.Msg) ([]jetstream.Msg, error) {
	p, err := decode(msg.Headers(), msg.Data())
	if err != nil {
		a.problem(fmt.Errorf("subject %s: %w", msg.Subject(), err))
		return []jetstream.Msg{msg}, nil
	}
	src, err := a.state(p.source)
	if err != nil {
		return nil, err
	}
	if p.kind == kindSession {
		if p.after > src.seq && a.hold(msg, src) {
			return nil, nil
		}
		a.truncate(p, 0)
		return []jetstream.Msg{msg}, a.session(ctx, p, src)
	}
	if p.frame.Seq <= src.seq {
		return []jetstream.Msg{msg}, nil // delivered again
	}
	if p.frame.Seq > src.seq+1 || p.session != 0 && src.sessions[p.session] == 0 {
		// Frames before it, or its session's beginning, not stored yet.
		if a.hold(msg, src) {
			return nil, nil
		}
	}
	a.truncate(p, p.frame.Seq)
	if p.n > 1 {
		key := frameKey{p.source, p.session, p.frame.Seq}
		c := a.partial[key]
		if c == nil {
			c = &chunks{first: p, data: make([][]byte, p.n)}
			a.partial[key] = c
		}
		c.msgs = append(c.msgs, msg)
		if c.data[p.k-1] == nil {
			c.data[p.k-1] = append([]byte{}, p.frame.Payload...)
			c.have++
		}
		if c.have < p.n {
			return nil, nil
		}
		delete(a.partial, key)
		whole := *c.first
		whole.frame.Payload = make([]byte, 0, whole.size)
		for _, d := range c.data {
			whole.frame.Payload = append(whole.frame.Payload, d...)
		}
		return c.msgs, a.frame(ctx, &whole, src)
	}
	return []jetstream.Msg{msg}, a.frame(ctx, p, src)
}

// hold puts msg back in the stream, to be delivered again after
// redeliverAfter, and says so; unless src's messages have waited GapWait
// already: then the archive goes on without what they wait for.
func (a *Archiver) hold(msg jetstream.Msg, src *sourceState) bool {
	now := time.Now()
	if src.waiting.IsZero() {
		src.waiting = now
	}
	if now.Sub(src.waiting) >= a.o.GapWait {
		return false
	}
	msg.NakWithDelay(redeliverAfter)
	return true
}

// truncate drops, as truncated, the incomplete frames of p's recorder and
// meeting that come before seq (every one, when seq is 0): the stream went
// on without their missing chunks.
func (a *Archiver) truncate(p *part, seq uint64) {
	for key, c := range a.partial {
		if key.source == p.source && (seq == 0 || key.seq < seq) {
			a.problem(fmt.Errorf("meeting %s: frame %d of recorder %s is truncated: %d of its %d chunks came, then the stream went on; not stored",
				p.meeting, key.seq, p.recorder, c.have, len(c.data)))
			delete(a.partial, key)
			for _, m := range c.msgs {
				m.Ack()
			}
		}
	}
}

// state returns what the archive holds of src's frames, from the
// meeting's labels the first time.
func (a *Archiver) state(src source) (*sourceState, error) {
	if s, ok := a.sources[src]; ok {
		return s, nil
	}
	s := &sourceState{link: store.ChainStart(src.meeting), sessions: make(map[uint32]uint32)}
	m, err := a.db.Meeting(src.meeting)
	switch {
	case errors.Is(err, store.ErrMeetingNotFound):
	case err != nil:
		return nil, err
	default:
		if v, ok := m.Labels[sourceLabel(src)]; ok {
			seq, link, _ := strings.Cut(v, " ")
			n, err1 := strconv.ParseUint(seq, 10, 64)
			err2 := s.link.UnmarshalText([]byte(link))
			if err := errors.Join(err1, err2); err != nil {
				return nil, fmt.Errorf("archive meeting %s: label %s %q: %w", src.meeting, sourceLabel(src), v, err)
			}
			s.seq = n
		}
		prefix := sessionLabel(src, "")
		for k, v := range m.Labels {
			if rs, ok := strings.CutPrefix(k, prefix); ok {
				r, err1 := strconv.ParseUint(rs, 10, 32)
				as, err2 := strconv.ParseUint(v, 10, 32)
				if err1 == nil && err2 == nil {
					s.sessions[uint32(r)] = uint32(as)
				}
			}
		}
	}
	a.sources[src] = s
	return s, nil
}

// sourceLabel is the archive meeting's label of src's state.
func sourceLabel(src source) string {
	return LabelSource + src.recorder + "." + strconv.FormatInt(src.epoch, 10)
}

// sessionLabel is the archive meeting's label that maps src's session n.
func sessionLabel(src source, n string) string {
	return labelSession + src.recorder + "." + strconv.FormatInt(src.epoch, 10) + "." + n
}

// frame stores the whole frame p from src, unless it does not follow the
// recorder's chain.
func (a *Archiver) frame(ctx context.Context, p *part, src *sourceState) error {
	f := &p.frame
	switch {
	case f.Seq != src.seq+1:
		// Frames never came (lost from the stream) or the archive began
		// with a stream that no longer holds the first ones: the chain
		// cannot be checked across the gap; it goes on from this frame.
		a.problem(fmt.Errorf("meeting %s: frames %d to %d of recorder %s are not in the stream; the archive goes on from frame %d",
			p.meeting, src.seq+1, f.Seq-1, p.recorder, f.Seq))
	case store.ChainNext(src.link, f) != p.link:
		// Not stored, and the chain stays where it was: a forged frame
		// cannot push out the real one delivered after it.
		a.problem(fmt.Errorf("meeting %s: frame %d of recorder %s does not follow the recorder's hash chain: altered in transit or in NATS, or forged; not stored",
			p.meeting, f.Seq, p.recorder))
		return nil
	}
	sess, err := a.archiveSession(ctx, p, src, f.Time)
	if err != nil {
		return err
	}
	af := store.Frame{Time: f.Time, Session: sess, Dir: f.Dir, Op: f.Op, Payload: f.Payload}
	if err := a.db.Enqueue(p.meeting, af); err != nil {
		return err
	}
	src.seq, src.link, src.waiting = f.Seq, p.link, time.Time{}
	return a.db.SetLabel(p.meeting, sourceLabel(p.source), src.String())
}

func (s *sourceState) String() string { return strconv.FormatUint(s.seq, 10) + " " + s.link.String() }

// archiveSession returns the archive's session for p's recorder session,
// beginning one (at start, when no message said how it began) if needed.
func (a *Archiver) archiveSession(ctx context.Context, p *part, src *sourceState, start time.Time) (uint32, error) {
	if p.session == 0 {
		return 0, nil
	}
	if id, ok := src.sessions[p.session]; ok {
		return id, nil
	}
	s := store.Session{Start: start}
	if p.kind == kindSession {
		s = p.sess
	}
	s.ID = 0
	s.Attrs = maps.Clone(s.Attrs)
	if s.Attrs == nil {
		s.Attrs = make(map[string]string)
	}
	s.Attrs["recorder"] = p.recorder
	s.Attrs["recorder_session"] = strconv.FormatUint(uint64(p.session), 10)
	s.End, s.SessionEnd = time.Time{}, store.SessionEnd{}
	id, err := a.db.BeginSession(ctx, p.meeting, s)
	if err != nil {
		return 0, err
	}
	src.sessions[p.session] = id
	return id, a.db.SetLabel(p.meeting, sessionLabel(p.source, strconv.FormatUint(uint64(p.session), 10)), strconv.FormatUint(uint64(id), 10))
}

// session stores a session's beginning or end.
func (a *Archiver) session(ctx context.Context, p *part, src *sourceState) error {
	src.waiting = time.Time{}
	id, err := a.archiveSession(ctx, p, src, p.sess.Start)
	if err != nil || p.event != "end" {
		return err
	}
	m, err := a.db.Meeting(p.meeting)
	if err != nil {
		return err
	}
	for _, s := range m.Sessions {
		if s.ID == id && !s.End.IsZero() {
			return nil // delivered again
		}
	}
	return a.db.EndSession(ctx, p.meeting, id, p.sess.End, p.sess.SessionEnd)
}
