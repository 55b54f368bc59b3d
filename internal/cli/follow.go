package cli

import (
	"errors"
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/confrec/confrec/recorder"
	"github.com/confrec/confrec/replay"
	"github.com/confrec/confrec/store"
)

// flgFollow is the flag of export frames, export timeline and replay print
// that prints what is recorded as it is committed.
const flgFollow = "follow"

// followFlags are --follow and its --wait.
func followFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: flgFollow, Category: catFollow,
			Usage: "go on printing what the recorder commits, until the meeting's recording ends (or Ctrl-C)"},
		&cli.BoolFlag{Name: flgWait, Category: catFollow,
			Usage: "with --follow, wait for a meeting the recorder has not begun yet"},
	}
}

// catFollow is the help category of followFlags.
const catFollow = "Follow"

// follower waits, for --follow, for what the recorder commits to a meeting.
// Use it as
//
//	fl.begin()
//	for {
//		read the frames to the end
//		if more, err := fl.next(); !more || err != nil { ... }
//	}
type follower struct {
	c        *cli.Context
	db       *store.DB
	id       string
	on       bool            // --follow, and a recorder writes db
	last     bool            // the recording ended: one read more, then the end
	stopped  bool            // the recorder stopped first
	ch       <-chan struct{} // db.Committed, taken before the read
	stopping <-chan struct{} // closed when the recorder stops
}

// openFollowed opens meeting id for reading, with a follower for it. With
// --follow --wait, a meeting the recorder has not begun yet is waited for;
// with --follow, one begun without a frame yet.
// Without a recorder (the file was free) there is nothing to follow: the
// follower ends after the first read, and says so on stderr.
func openFollowed(c *cli.Context, id string) (*store.DB, store.Meeting, *follower, error) {
	db, err := openRead(c)
	if err != nil {
		return nil, store.Meeting{}, nil, err
	}
	fl := &follower{c: c, db: db, id: id}
	if q := queryFrom(c.Context); q != nil && c.Bool(flgFollow) {
		fl.on, fl.stopping = true, q.stopping
	}
	if c.Bool(flgFollow) && c.String(flgOutput) != "" && c.String(flgOutput) != "-" {
		db.Close()
		return nil, store.Meeting{}, nil, usagef("--%s prints as the meeting goes, and -o writes a file whole or not at all: send stdout to the file instead (> FILE)", flgFollow)
	}
	if c.Bool(flgWait) && !c.Bool(flgFollow) {
		db.Close()
		return nil, store.Meeting{}, nil, usagef("--%s waits for a meeting to follow: give --%s too", flgWait, flgFollow)
	}
	if c.Bool(flgFollow) && !fl.on {
		fmt.Fprintf(c.App.ErrWriter, "confrec: note: no recorder holds %s: --%s printed what is stored\n", c.String(flgDB), flgFollow)
	}
	for {
		ch := db.Committed()
		m, err := db.Meeting(id)
		// A followed meeting whose first frame is not recorded yet is
		// waited for too: --from +OFFSET counts from that frame.
		if err == nil && (!fl.on || !m.FirstTime.IsZero() || recordingEnded(&m)) {
			return db, m, fl, nil
		}
		if err != nil && (!errors.Is(err, store.ErrMeetingNotFound) || !fl.on || !c.Bool(flgWait)) {
			db.Close()
			return nil, store.Meeting{}, nil, err
		}
		select {
		case <-ch:
		case <-fl.stopping:
			if err == nil {
				// What it committed last is all there is: the follower
				// prints it and says the recorder stopped.
				if m, err = db.Meeting(id); err == nil {
					return db, m, fl, nil
				}
			}
			db.Close()
			return nil, store.Meeting{}, nil, fmt.Errorf("meeting %s: the recorder stopped before it began the meeting", id)
		case <-c.Context.Done():
			db.Close()
			return nil, store.Meeting{}, nil, c.Context.Err()
		}
	}
}

// begin is called before the first read.
func (f *follower) begin() { f.ch = f.db.Committed() }

// next is called when a read reached the end of what was committed. It
// waits for the next commit and returns true, or returns false once the
// meeting's recording has ended (after one read more) or without --follow.
// When the recorder stops first, it returns an error after one read more.
func (f *follower) next() (bool, error) {
	if !f.on {
		return false, nil
	}
	if f.last {
		if f.stopped {
			return false, fmt.Errorf("meeting %s: the recorder stopped before the meeting's recording ended: what it had recorded is printed", f.id)
		}
		return false, nil
	}
	m, err := f.db.Meeting(f.id)
	if err != nil {
		return false, err
	}
	if recordingEnded(&m) {
		f.last = true
		return true, nil
	}
	select {
	case <-f.ch:
	case <-f.stopping:
		// What the recorder committed last may say the recording ended.
		f.last = true
		m, err := f.db.Meeting(f.id)
		if err != nil {
			return false, err
		}
		f.stopped = !recordingEnded(&m)
		return true, nil
	case <-f.c.Context.Done():
		return false, f.c.Context.Err()
	}
	f.ch = f.db.Committed()
	return true, nil
}

// sessions refreshes folder's sessions when frame fr begins one it does
// not know, or at the end: those the follower's meeting has now.
func (f *follower) sessions(folder *replay.Folder, fr *store.Frame) error {
	if !f.on || (fr != nil && folder.KnowsSession(fr.Session)) {
		return nil
	}
	m, err := f.db.Meeting(f.id)
	if err != nil {
		return err
	}
	folder.SetSessions(m.Sessions)
	return nil
}

// recordingEnded reports whether the recorder says m's recording ended for
// good (recorder.LabelEnded), its last session closed.
func recordingEnded(m *store.Meeting) bool {
	n := len(m.Sessions)
	return m.Labels[recorder.LabelEnded] != "" && (n == 0 || !m.Sessions[n-1].End.IsZero())
}

// foldMeeting folds meeting m of db frame by frame, as replay.Reconstruct
// does, and with --follow goes on with what the recorder commits: fn sees
// every frame with the events it derived, and last, with a nil frame, the
// events of Folder.Finish. flush, when not nil, runs each time the frames
// committed so far are folded.
func foldMeeting(db *store.DB, m *store.Meeting, fl *follower, fn func(fr *store.Frame, evs []replay.Event) error, flush func() error) (*replay.Folder, error) {
	fl.begin()
	var skew time.Duration
	for {
		d, found, err := replay.LookupFirstOffset(db, m.ID)
		if err != nil {
			return nil, fmt.Errorf("reconstruct meeting: %w", err)
		}
		if skew = d; found || !fl.on {
			break
		}
		// Following from the meeting's first frames: the events before
		// the first createTime wait for it, to be on the service's clock.
		if more, err := fl.next(); err != nil {
			return nil, err
		} else if !more {
			break
		}
	}
	if fl.on {
		// Sessions begun while it waited.
		if mm, err := db.Meeting(m.ID); err == nil {
			m = &mm
		}
	}
	folder := replay.NewFolder(m.ID, m.Sessions)
	folder.SetOffset(skew)
	cur, err := db.Frames(m.ID, nil)
	if err != nil {
		return nil, err
	}
	defer cur.Close()
	var evs []replay.Event
	for {
		for cur.Next() {
			fr := cur.Frame()
			if err := fl.sessions(folder, &fr); err != nil {
				return nil, err
			}
			evs = folder.Apply(evs[:0], &fr)
			if err := fn(&fr, evs); err != nil {
				return nil, err
			}
		}
		if err := cur.Err(); err != nil {
			return nil, err
		}
		if flush != nil && fl.on {
			if err := flush(); err != nil {
				return nil, err
			}
		}
		more, err := fl.next()
		if err != nil {
			return nil, err
		}
		if !more {
			break
		}
	}
	if err := fl.sessions(folder, nil); err != nil {
		return nil, err
	}
	return folder, fn(nil, folder.Finish(evs[:0]))
}
