package live

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/confrec/confrec/store"
)

// errClosed is returned to a page that connects after Handler.Close.
var errClosed = errors.New("live page closed")

// client is one page's stream, as the hub sees it. The hub sends on out
// without blocking; when out is full it drops the client: it closes gone,
// and sends nothing more.
type client struct {
	topic string // "" for the list, else a meeting ID
	out   chan message
	gone  chan struct{}
}

// hub is the Handler's one goroutine that reads the store: it owns the
// clients, the trackers and the cache, and nothing else touches them.
type hub struct {
	db       *store.DB // a Reader handle, done at Close
	interval time.Duration
	recent   int
	logger   *slog.Logger

	join    chan *client
	leave   chan *client
	stopped chan struct{} // closed when run returns

	clients  map[*client]struct{}
	trackers map[string]*tracker
	facts    map[string]facts
	list     message // the last list event
}

// facts is what the hub knows of a meeting from its sessions, and the
// metadata it read them at: a meeting not being recorded whose frames
// and sessions did not change need not be read again.
type facts struct {
	frames    uint64
	sessions  uint32
	recording bool
	row       meetingRow
}

func newHub(db *store.DB, o *Options) *hub {
	return &hub{db: db, interval: o.Interval, recent: o.Recent, logger: o.Logger,
		join: make(chan *client), leave: make(chan *client), stopped: make(chan struct{}),
		clients: map[*client]struct{}{}, trackers: map[string]*tracker{}, facts: map[string]facts{}}
}

// run serves the clients until ctx is done. With no client it reads
// nothing; with some, it reads after each commit, at most once per
// interval.
func (h *hub) run(ctx context.Context) {
	defer close(h.stopped)
	defer h.reset()
	timer := time.NewTimer(h.interval)
	defer timer.Stop()
	var (
		commit   <-chan struct{} // nil while nobody watches
		throttle <-chan time.Time
		pending  bool
	)
	update := func() {
		commit = h.db.Committed() // taken before reading: no commit is missed
		h.refresh()
		pending = false
		timer.Reset(h.interval)
		throttle = timer.C
	}
	for {
		if pending && throttle == nil && len(h.clients) > 0 {
			update()
		}
		select {
		case <-ctx.Done():
			return
		case c := <-h.join:
			if len(h.clients) == 0 {
				update()
			}
			h.clients[c] = struct{}{}
			h.greet(c)
		case c := <-h.leave:
			h.drop(c)
			if len(h.clients) == 0 {
				h.reset()
				commit = nil
			}
		case <-commit:
			commit, pending = nil, true
		case <-throttle:
			throttle = nil
		}
	}
}

// subscribe adds a page's stream of topic; it fails after Close.
func (h *hub) subscribe(topic string, buffer int) (*client, error) {
	c := &client{topic: topic, out: make(chan message, buffer), gone: make(chan struct{})}
	select {
	case h.join <- c:
		return c, nil
	case <-h.stopped:
		return nil, errClosed
	}
}

// unsubscribe removes a page's stream.
func (h *hub) unsubscribe(c *client) {
	select {
	case h.leave <- c:
	case <-h.stopped:
	}
}

// send queues m for c, or drops c when its buffer is full.
func (h *hub) send(c *client, m message) {
	if m == nil {
		return
	}
	select {
	case c.out <- m:
	default:
		h.logger.Info("live page too slow: disconnected", "meeting", c.topic)
		h.drop(c)
	}
}

// drop forgets c and tells its stream to end.
func (h *hub) drop(c *client) {
	if _, ok := h.clients[c]; ok {
		delete(h.clients, c)
		close(c.gone)
	}
}

// reset forgets the clients and the trackers: nobody watches.
func (h *hub) reset() {
	for c := range h.clients {
		h.drop(c)
	}
	for id, t := range h.trackers {
		t.close()
		delete(h.trackers, id)
	}
	h.list = nil
}

// greet sends a new page what it shows now.
func (h *hub) greet(c *client) {
	if c.topic == "" {
		h.send(c, h.list)
		return
	}
	t := h.trackers[c.topic]
	if t == nil {
		h.send(c, h.encode(evMeeting, h.staticView(c.topic)))
		return
	}
	st := t.folder.State()
	h.send(c, h.encode(evMeeting, t.view(st, t.now(st, time.Now()))))
	h.send(c, h.encode(evLanes, t.allLanes()))
}

// staticView is a meeting that is not being recorded: its row only.
func (h *hub) staticView(id string) meetingView {
	f, ok := h.facts[id]
	if !ok {
		f.row = meetingRow{ID: id, Speakers: []string{}}
	}
	return meetingView{meetingRow: f.row, People: []person{}, Ranking: []rank{}}
}

func (h *hub) encode(name string, v any) message {
	m, err := newMessage(name, v)
	if err != nil {
		h.logger.Error("live page update", "err", err)
	}
	return m
}

// refresh reads what was committed since the last refresh and sends each
// page what changed.
func (h *hub) refresh() {
	ms, err := h.db.Meetings()
	if err != nil {
		h.logger.Warn("live page: list meetings", "err", err)
		return
	}
	wall := time.Now()
	watched := map[string]bool{}
	for c := range h.clients {
		watched[c.topic] = true
	}
	var list listView
	for i := range ms {
		m := &ms[i]
		f, err := h.factsOf(m)
		if err != nil {
			h.logger.Warn("live page: read meeting", "meeting", m.ID, "err", err)
			continue
		}
		t := h.trackers[m.ID]
		if !f.recording {
			if t != nil {
				h.follow(t, f.row, watched[m.ID], wall) // its last frames
				t.close()
				delete(h.trackers, m.ID)
				h.publish(m.ID, h.encode(evMeeting, h.staticView(m.ID)))
			}
			list.Recorded = append(list.Recorded, f.row)
			continue
		}
		if t == nil {
			full, err := h.db.Meeting(m.ID)
			if err == nil {
				t, err = newTracker(h.db, &full)
			}
			if err != nil {
				h.logger.Warn("live page: follow meeting", "meeting", m.ID, "err", err)
				continue
			}
			h.trackers[m.ID] = t
		}
		list.Recording = append(list.Recording, h.follow(t, f.row, watched[m.ID], wall))
	}
	list.Total = len(ms)
	slices.SortFunc(list.Recorded, func(a, b meetingRow) int {
		return cmp.Or(cmp.Compare(b.LastFrame, a.LastFrame), strings.Compare(a.ID, b.ID))
	})
	list.Recorded = list.Recorded[:min(len(list.Recorded), h.recent)]
	if list.Recording == nil {
		list.Recording = []meetingRow{}
	}
	if list.Recorded == nil {
		list.Recorded = []meetingRow{}
	}
	h.list = h.encode(evList, &list)
	h.publish("", h.list)
}

// follow reads t's new frames and returns its row; when watched, it sends
// its pages the meeting now and the lanes that changed.
func (h *hub) follow(t *tracker, row meetingRow, watched bool, wall time.Time) meetingRow {
	if err := t.read(); err != nil {
		h.logger.Warn("live page", "err", err)
	}
	st := t.folder.State()
	t.present(row, st)
	lanes := t.lanes() // moves on even when nobody watches this meeting
	if watched {
		h.publish(t.id, h.encode(evMeeting, t.view(st, t.now(st, wall))))
		if len(lanes.Intervals) > 0 {
			h.publish(t.id, h.encode(evLanes, &lanes))
		}
	}
	return t.row
}

// publish sends m to every page of topic.
func (h *hub) publish(topic string, m message) {
	for c := range h.clients {
		if c.topic == topic {
			h.send(c, m)
		}
	}
}

// factsOf returns what the hub knows of m, reading its sessions when they
// may have changed: when it is being recorded (its last session may have
// ended) or its frames or sessions changed.
func (h *hub) factsOf(m *store.Meeting) (facts, error) {
	f, ok := h.facts[m.ID]
	if ok && !f.recording && f.frames == m.Frames && f.sessions == m.SessionCount {
		return f, nil
	}
	full, err := h.db.Meeting(m.ID)
	if err != nil {
		return f, err
	}
	f = facts{frames: m.Frames, sessions: m.SessionCount}
	f.row = meetingRow{ID: m.ID, Title: full.Labels["title"], Frames: m.Frames, LastFrame: ms(m.LastTime),
		Sessions: m.SessionCount, Speakers: []string{}}
	if m.SessionCount > 0 {
		f.row.Gaps = m.SessionCount - 1
	}
	if n := len(full.Sessions); n > 0 {
		last := full.Sessions[n-1]
		f.recording = last.End.IsZero()
		f.row.Recording = f.recording
		f.row.Session = sessionState(&last)
	}
	h.facts[m.ID] = f
	return f, nil
}

// sessionState says how a session stands, in words.
func sessionState(s *store.Session) string {
	if s.End.IsZero() {
		return "connected since " + s.Start.UTC().Format(time.TimeOnly) + "Z"
	}
	how := cmp.Or(s.Reason, "ended")
	if s.CloseCode != 0 {
		how += " (" + strconv.Itoa(s.CloseCode) + ")"
	}
	return how + " at " + s.End.UTC().Format(time.TimeOnly) + "Z"
}
