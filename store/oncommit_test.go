package store_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/confrec/confrec/store"
)

// commitSums adds up the CommitStats an OnCommit hook is given.
type commitSums struct {
	mu sync.Mutex
	t  commitTotals
}

type commitTotals struct {
	commits int
	in, out int
	bytes   int64
	last    time.Time
	bad     []string // stats that cannot be right
}

func (s *commitSums) add(c store.CommitStats) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := &s.t
	t.commits++
	t.in += c.FramesIn
	t.out += c.FramesOut
	t.bytes += c.Bytes
	if c.Duration < 0 || c.FramesIn < 0 || c.FramesOut < 0 || c.Bytes < 0 {
		t.bad = append(t.bad, fmt.Sprintf("%+v", c))
	}
	if c.FramesIn+c.FramesOut == 0 && !c.Last.IsZero() || c.FramesIn+c.FramesOut > 0 && c.Last.IsZero() {
		t.bad = append(t.bad, fmt.Sprintf("Last %v with %d frames", c.Last, c.FramesIn+c.FramesOut))
	}
	if c.Last.After(t.last) {
		t.last = c.Last
	}
}

func (s *commitSums) get() commitTotals {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.t
	t.bad = append([]string(nil), t.bad...)
	return t
}

// TestOnCommitSums records frames of both directions into several meetings
// from concurrent writers, with sessions and labels between them, in many
// small commits, and checks that the CommitStats given to OnCommit add up
// to what the file holds: Meetings' frames and bytes, and the directions
// of the frames read back. Once Flush returns, OnCommit has been told of
// everything queued before it, and nothing is left queued.
func TestOnCommitSums(t *testing.T) {
	ctx := context.Background()
	var sums commitSums
	path := filepath.Join(t.TempDir(), "confrec.db")
	db := openAt(t, path, &store.Options{FlushInterval: time.Millisecond, NoSync: true, OnCommit: sums.add})
	ids := []string{"m1", "m2", "m3"}
	var wg sync.WaitGroup
	for w, id := range ids {
		wg.Go(func() {
			for i := range 400 {
				f := textFrame(w*1000 + i)
				f.Payload = append(f.Payload, make([]byte, i%37)...)
				var err error
				switch i % 50 {
				case 0:
					_, err = db.BeginSession(ctx, id, store.Session{Start: t0})
				case 25:
					err = db.SetLabel(id, "title", fmt.Sprint("t", i))
				case 40:
					err = db.Append(ctx, id, f)
					f = textFrame(w*1000 + i + 500)
				}
				if err == nil {
					err = db.Enqueue(id, f)
				}
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	must(t, db.Flush(ctx))

	got := sums.get()
	if q := db.QueuedFrames(); q != 0 {
		t.Errorf("QueuedFrames after Flush = %d, want 0", q)
	}
	if len(got.bad) > 0 {
		t.Errorf("impossible CommitStats: %v", got.bad)
	}
	if got.commits < 2 {
		t.Errorf("OnCommit called %d times; the test wants many commits", got.commits)
	}
	ms, err := db.Meetings()
	must(t, err)
	var frames, bytes uint64
	var in, out int
	var last time.Time
	for _, m := range ms {
		frames += m.Frames
		bytes += m.Bytes
		for _, f := range readAll(t, db, m.ID, nil) {
			if f.Dir == store.Out {
				out++
			} else {
				in++
			}
			if f.Time.After(last) {
				last = f.Time
			}
		}
		if one, err := db.Meeting(m.ID); err != nil || one.Frames != m.Frames || one.Bytes != m.Bytes {
			t.Errorf("Meeting(%s) = %d frames, %d bytes, %v; Meetings says %d, %d", m.ID, one.Frames, one.Bytes, err, m.Frames, m.Bytes)
		}
	}
	if want := len(ids) * (400 + 8); int(frames) != want {
		t.Errorf("the file holds %d frames, the test stored %d", frames, want)
	}
	if got.in+got.out != int(frames) || got.in != in || got.out != out {
		t.Errorf("OnCommit counted %d in + %d out, the file holds %d frames: %d in, %d out", got.in, got.out, frames, in, out)
	}
	if got.bytes != int64(bytes) {
		t.Errorf("OnCommit counted %d bytes, the meetings hold %d", got.bytes, bytes)
	}
	if !got.last.Equal(last) {
		t.Errorf("OnCommit's latest Last %v, the newest frame stored %v", got.last, last)
	}

	// Close commits nothing new: the sums stay.
	must(t, db.Close())
	if after := sums.get(); after.in != got.in || after.out != got.out || after.bytes != got.bytes {
		t.Errorf("after Close OnCommit counted %+v, before %+v", after, got)
	}
}

// TestQueuedFrames: frames queued are counted until their commit, which a
// long FlushInterval holds back until Flush.
func TestQueuedFrames(t *testing.T) {
	db := openDB(t, &store.Options{FlushInterval: time.Hour, NoSync: true})
	if q := db.QueuedFrames(); q != 0 {
		t.Fatalf("QueuedFrames of a new DB = %d", q)
	}
	for i := range 5 {
		must(t, db.Enqueue("m", textFrame(i)))
	}
	if q := db.QueuedFrames(); q != 5 {
		t.Errorf("QueuedFrames with 5 frames waiting an hour = %d, want 5", q)
	}
	must(t, db.Flush(context.Background()))
	if q := db.QueuedFrames(); q != 0 {
		t.Errorf("QueuedFrames after Flush = %d, want 0", q)
	}
}

func TestCheckWritable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "confrec.db")
	db := openAt(t, path, nil)
	if err := db.CheckWritable(); err != nil {
		t.Errorf("CheckWritable of an open DB: %v", err)
	}
	must(t, db.Close())
	if err := db.CheckWritable(); !errors.Is(err, store.ErrClosed) {
		t.Errorf("CheckWritable after Close = %v, want ErrClosed", err)
	}
	ro := openAt(t, path, &store.Options{ReadOnly: true})
	if err := ro.CheckWritable(); !errors.Is(err, store.ErrReadOnly) {
		t.Errorf("CheckWritable of a read-only DB = %v, want ErrReadOnly", err)
	}
	if q := ro.QueuedFrames(); q != 0 {
		t.Errorf("QueuedFrames of a read-only DB = %d", q)
	}
}

// TestOnCommitMeetings: each commit names the meetings it changed, frames,
// sessions, labels and deletes alike.
func TestOnCommitMeetings(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	var got []string
	db := openDB(t, &store.Options{FlushInterval: time.Hour, OnCommit: func(s store.CommitStats) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, s.Meetings...)
	}})
	take := func() []string {
		mu.Lock()
		defer mu.Unlock()
		out := slices.Sorted(slices.Values(got))
		got = nil
		return out
	}
	tests := []struct {
		name string
		do   func() error
		want []string
	}{
		{"frames of two meetings", func() error {
			must(t, db.Enqueue("a", textFrame(0)))
			must(t, db.Enqueue("b", textFrame(1)))
			return db.Flush(ctx)
		}, []string{"a", "b"}},
		{"a session", func() error { _, err := db.BeginSession(ctx, "c", store.Session{Start: t0}); return err }, []string{"c"}},
		{"its end", func() error {
			return db.EndSession(ctx, "c", 1, t0.Add(time.Second), store.SessionEnd{Reason: "stopped"})
		}, []string{"c"}},
		{"a label", func() error { must(t, db.SetLabel("a", "title", "x")); return db.Flush(ctx) }, []string{"a"}},
		{"a delete", func() error { return db.DeleteMeeting(ctx, "b") }, []string{"b"}},
	}
	for _, tt := range tests {
		ch := db.Committed()
		if err := tt.do(); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		<-ch
		if g := take(); !slices.Equal(g, tt.want) {
			t.Errorf("%s: OnCommit was told of %v, want %v", tt.name, g, tt.want)
		}
	}
}
