package live

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/confrec/confrec/replay"
	"github.com/confrec/confrec/store"
)

// tracker follows one meeting being recorded: it keeps its place in the
// meeting's frames and folds only those committed since its last read.
// It belongs to the hub's goroutine.
type tracker struct {
	id     string
	cur    *store.Cursor
	folder *replay.Folder
	att    *replay.Attendance
	evs    []replay.Event // Apply's, reused

	row      meetingRow // the meeting in the list, as last read
	start    time.Time  // the first event's time
	lastRecv time.Time  // receive time of the last frame folded

	sent int   // intervals sent in lanes updates so far
	open []int // indexes of those still open when last sent
}

// newTracker starts following meeting m (with its sessions) of db from its
// first frame.
func newTracker(db *store.DB, m *store.Meeting) (*tracker, error) {
	skew, err := replay.FirstOffset(db, m.ID)
	if err != nil {
		return nil, fmt.Errorf("follow meeting %s: %w", m.ID, err)
	}
	cur, err := db.Frames(m.ID, nil)
	if err != nil {
		return nil, fmt.Errorf("follow meeting %s: %w", m.ID, err)
	}
	f := replay.NewFolder(m.ID, m.Sessions)
	f.SetOffset(skew)
	return &tracker{id: m.ID, cur: cur, folder: f, att: replay.NewAttendance()}, nil
}

// read folds the frames committed since the last read.
func (t *tracker) read() error {
	for t.cur.Next() {
		fr := t.cur.Frame()
		t.evs = t.folder.Apply(t.evs[:0], &fr)
		for i := range t.evs {
			ev := &t.evs[i]
			if t.start.IsZero() {
				t.start = ev.Time
			}
			t.att.Add(ev)
		}
		t.lastRecv = fr.Time
	}
	if err := t.cur.Err(); err != nil {
		return fmt.Errorf("follow meeting %s: %w", t.id, err)
	}
	return nil
}

// close stops following.
func (t *tracker) close() { t.cur.Close() }

// now returns the service's clock at wall time wall: the meeting's end
// once it ended, else the last event's clock moved on by the time since
// its frame arrived.
func (t *tracker) now(st *replay.State, wall time.Time) time.Time {
	end := t.folder.End()
	if st.Meeting.State == "Destroyed" || t.lastRecv.IsZero() {
		return end
	}
	if d := wall.Sub(t.lastRecv); d > 0 {
		return end.Add(d)
	}
	return end
}

// view returns the meeting now.
func (t *tracker) view(st *replay.State, now time.Time) meetingView {
	v := meetingView{meetingRow: t.row, State: st.Meeting.State, Start: ms(t.start), Now: ms(now),
		People: make([]person, 0, len(st.Participants)), Ranking: []rank{}}
	for _, p := range st.Participants {
		if p.Calling {
			continue
		}
		v.People = append(v.People, person{PID: p.PID, Name: p.Name, Role: p.Role,
			Muted: p.Muted, Camera: p.Camera, Hand: p.Hand, Sharing: p.Sharing})
	}
	slices.SortStableFunc(v.People, func(a, b person) int { return cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) })
	for _, s := range t.att.SummaryAt(now) {
		if s.Speaking > 0 {
			v.Ranking = append(v.Ranking, rank{PID: s.PID, Name: s.Name, Speaking: s.Speaking.Milliseconds(), Present: s.Total.Milliseconds()})
		}
	}
	slices.SortStableFunc(v.Ranking, func(a, b rank) int { return cmp.Compare(b.Speaking, a.Speaking) })
	return v
}

// present sets the meeting's row: row, the store's facts, with who is
// there now.
func (t *tracker) present(row meetingRow, st *replay.State) {
	row.Title = cmp.Or(st.Meeting.Title, row.Title)
	row.Present = 0
	for _, p := range st.Participants {
		if !p.Calling {
			row.Present++
		}
	}
	row.Speakers = make([]string, 0, len(st.Speakers))
	for _, s := range st.Speakers {
		row.Speakers = append(row.Speakers, cmp.Or(s.Name, s.PID))
	}
	t.row = row
}

// lanes returns the intervals opened or closed since the last call, and
// moves on.
func (t *tracker) lanes() lanesView {
	v := lanesView{Intervals: []interval{}}
	still := t.open[:0]
	for _, i := range t.open {
		p := t.att.Interval(i)
		if p.Left.IsZero() {
			still = append(still, i)
			continue
		}
		v.Intervals = append(v.Intervals, intervalAt(i, &p))
	}
	t.open = still
	for i := t.sent; i < t.att.Opened(); i++ {
		p := t.att.Interval(i)
		if p.Left.IsZero() {
			t.open = append(t.open, i)
		}
		v.Intervals = append(v.Intervals, intervalAt(i, &p))
	}
	t.sent = t.att.Opened()
	return v
}

// allLanes returns every interval sent so far, for a page that starts.
// The hub calls it only between a read and the next (after lanes), so the
// intervals are as the other pages were told.
func (t *tracker) allLanes() lanesView {
	v := lanesView{Reset: true, Intervals: make([]interval, 0, t.sent)}
	for i := range t.sent {
		p := t.att.Interval(i)
		v.Intervals = append(v.Intervals, intervalAt(i, &p))
	}
	return v
}

func intervalAt(i int, p *replay.Presence) interval {
	return interval{I: i, PID: p.PID, Name: p.Name, Joined: ms(p.Joined), Left: ms(p.Left)}
}
