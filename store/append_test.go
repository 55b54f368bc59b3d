package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/confrec/confrec/store"
)

func TestEnqueueThenFlush(t *testing.T) {
	db := openDB(t, &store.Options{FlushInterval: time.Hour})
	want := textFrames(0, 10)
	for _, f := range want {
		if err := db.Enqueue("m", f); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	checkFrames(t, readAll(t, db, "m", nil), want, 1)

	m, err := db.Meeting("m")
	if err != nil {
		t.Fatal(err)
	}
	var bytes uint64
	for _, f := range want {
		bytes += uint64(len(f.Payload))
	}
	if m.Frames != 10 || m.Bytes != bytes || !m.FirstTime.Equal(want[0].Time) || !m.LastTime.Equal(want[9].Time) {
		t.Errorf("Meeting: Frames %d Bytes %d First %v Last %v; want 10, %d, %v, %v",
			m.Frames, m.Bytes, m.FirstTime, m.LastTime, bytes, want[0].Time, want[9].Time)
	}
}

func TestEnqueueZeroTimeIsStamped(t *testing.T) {
	db := openDB(t, nil)
	before := time.Now()
	if err := db.Enqueue("m", store.Frame{Dir: store.In, Op: store.Text, Payload: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	if err := db.Append(context.Background(), "m", store.Frame{Dir: store.In, Op: store.Text, Payload: []byte("y")}); err != nil {
		t.Fatal(err)
	}
	after := time.Now()
	for _, f := range readAll(t, db, "m", nil) {
		if f.Time.Before(before.Truncate(0)) || f.Time.After(after) {
			t.Errorf("frame %d: Time %v, want between %v and %v", f.Seq, f.Time, before, after)
		}
	}
}

// TestAppendIsDurableOnReturn copies the file while the DB is still open:
// what Append committed must already be in the file, not only in memory.
func TestAppendIsDurableOnReturn(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "confrec.db")
	db := openAt(t, path, &store.Options{FlushInterval: time.Hour})
	want := textFrames(0, 5)
	if err := db.Append(context.Background(), "m", want...); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	snapshot := filepath.Join(dir, "snapshot.db")
	must(t, os.WriteFile(snapshot, b, 0o600))
	snap := openAt(t, snapshot, &store.Options{ReadOnly: true})
	checkFrames(t, readAll(t, snap, "m", nil), want, 1)
	if err := snap.Verify("m"); err != nil {
		t.Error(err)
	}
}

func TestSeqNumbering(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "confrec.db")
	db := openAt(t, path, nil)
	var want []store.Frame
	add := func(meeting string, n int, queue bool) {
		t.Helper()
		frames := textFrames(len(want), n)
		if meeting == "m" {
			want = append(want, frames...)
		}
		if queue {
			for _, f := range frames {
				must(t, db.Enqueue(meeting, f))
			}
			must(t, db.Flush(ctx))
			return
		}
		must(t, db.Append(ctx, meeting, frames...))
	}
	add("m", 3, false)
	add("other", 4, false) // another meeting's frames do not take m's numbers
	add("m", 1, false)
	add("m", 5, true)
	must(t, db.Close())

	db = openAt(t, path, nil)
	add("m", 2, false)
	add("m", 300, true)
	checkFrames(t, readAll(t, db, "m", nil), want, 1)
	if got := readAll(t, db, "other", nil); len(got) != 4 || got[0].Seq != 1 || got[3].Seq != 4 {
		t.Errorf("meeting other: %d frames, first/last seq %d/%d", len(got), got[0].Seq, got[len(got)-1].Seq)
	}
	if m, err := db.Meeting("m"); err != nil || m.Frames != uint64(len(want)) {
		t.Errorf("Meeting: Frames %d, err %v; want %d", m.Frames, err, len(want))
	}
	if err := db.Verify("m"); err != nil {
		t.Error(err)
	}
}

func TestConcurrentWriters(t *testing.T) {
	const (
		writers   = 16
		meetings  = 4
		perWriter = 250
	)
	db := openDB(t, &store.Options{QueueFrames: 64}) // a small queue makes writers block too
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for g := range writers {
		wg.Go(func() {
			meeting := fmt.Sprintf("meeting-%d", g%meetings)
			for i := range perWriter {
				f := store.Frame{Time: t0, Session: uint32(g), Dir: store.In, Op: store.Text, Payload: fmt.Appendf(nil, "%d", i)}
				var err error
				if g%4 == 3 && i%10 == 0 {
					err = db.Append(ctx, meeting, f) // some writers wait for commits
				} else {
					err = db.Enqueue(meeting, f)
				}
				if err != nil {
					errs <- fmt.Errorf("writer %d frame %d: %w", g, i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	must(t, db.Flush(ctx))

	for mi := range meetings {
		meeting := fmt.Sprintf("meeting-%d", mi)
		got := readAll(t, db, meeting, nil)
		if want := writers / meetings * perWriter; len(got) != want {
			t.Fatalf("%s: %d frames, want %d", meeting, len(got), want)
		}
		next := map[uint32]int{} // writer -> next frame number expected from it
		for i, f := range got {
			if f.Seq != uint64(i+1) {
				t.Fatalf("%s: frame %d has Seq %d", meeting, i, f.Seq)
			}
			if int(f.Session)%meetings != mi {
				t.Fatalf("%s: frame %d from writer %d of another meeting", meeting, f.Seq, f.Session)
			}
			if want := fmt.Sprint(next[f.Session]); string(f.Payload) != want {
				t.Fatalf("%s: frame %d from writer %d is %q, want %q (order lost)", meeting, f.Seq, f.Session, f.Payload, want)
			}
			next[f.Session]++
		}
		if err := db.Verify(meeting); err != nil {
			t.Error(err)
		}
	}
}

// TestClockStepsBack records frames whose times go backwards, as when NTP
// steps the wall clock: nothing is reordered or overwritten.
func TestClockStepsBack(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, nil)
	offsets := []time.Duration{0, time.Second, -5 * time.Second, -10 * time.Second, time.Second, 2 * time.Second, 2 * time.Second, -time.Hour}
	var want []store.Frame
	for i, d := range offsets {
		want = append(want, store.Frame{Time: t0.Add(d), Dir: store.In, Op: store.Text, Payload: fmt.Appendf(nil, "frame %d", i)})
	}
	// One commit per frame in "m1", and all in one commit in "m2".
	for _, f := range want {
		must(t, db.Append(ctx, "m1", f))
	}
	must(t, db.Append(ctx, "m2", want...))
	for _, meeting := range []string{"m1", "m2"} {
		checkFrames(t, readAll(t, db, meeting, nil), want, 1)
		if err := db.Verify(meeting); err != nil {
			t.Error(err)
		}
		// Key times are held at the latest time seen, so frames recorded
		// after a backward step sort with (and are found with) that time.
		got := readAll(t, db, meeting, &store.Query{From: t0.Add(time.Second)})
		checkFrames(t, got, want[1:], 2)
		if got := readAll(t, db, meeting, &store.Query{To: t0.Add(time.Second)}); len(got) != 1 || got[0].Seq != 1 {
			t.Errorf("%s: query To t0+1s: %d frames, want frame 1 only", meeting, len(got))
		}
	}
	// Reopening keeps the held key time: a frame after reopen still sorts last.
	path := db.Path()
	must(t, db.Close())
	db = openAt(t, path, nil)
	late := store.Frame{Time: t0.Add(-2 * time.Hour), Dir: store.Out, Op: store.Text, Payload: []byte("after reopen")}
	must(t, db.Append(ctx, "m1", late))
	checkFrames(t, readAll(t, db, "m1", nil), append(want, late), 1)
}

func TestSessions(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, nil)
	first := store.Session{
		Start:      t0,
		URL:        "wss://meeting-ws.example.invalid/conn?confID=986512347&tmpToken=[redacted]",
		RemoteAddr: "192.0.2.7:443",
		Extensions: []string{"permessage-deflate"},
		Attrs:      map[string]string{"role": "chair", "client": "confrec"},
	}
	id1, err := db.BeginSession(ctx, "m", first)
	must(t, err)
	must(t, db.Enqueue("m", store.Frame{Time: t0.Add(time.Millisecond), Session: id1, Dir: store.In, Op: store.Text, Payload: []byte("x")}))
	second := store.Session{Start: t0.Add(time.Minute), ID: 77} // ID is assigned, not taken
	id2, err := db.BeginSession(ctx, "m", second)
	must(t, err)
	idOther, err := db.BeginSession(ctx, "other", first)
	must(t, err)
	if id1 != 1 || id2 != 2 || idOther != 1 {
		t.Fatalf("session IDs %d, %d, other meeting %d; want 1, 2, 1", id1, id2, idOther)
	}
	end := store.SessionEnd{Reason: "dropped", CloseCode: 1006, CloseReason: "abnormal closure", Err: "read: connection reset by peer"}
	endAt := t0.Add(30 * time.Second).In(time.FixedZone("CST", 8*3600))
	must(t, db.EndSession(ctx, "m", id1, endAt, end))

	m, err := db.Meeting("m")
	must(t, err)
	if m.SessionCount != 2 || len(m.Sessions) != 2 {
		t.Fatalf("SessionCount %d, %d sessions; want 2", m.SessionCount, len(m.Sessions))
	}
	s1, s2 := m.Sessions[0], m.Sessions[1]
	if s1.ID != 1 || !s1.Start.Equal(first.Start) || !s1.End.Equal(endAt) || s1.URL != first.URL || s1.RemoteAddr != first.RemoteAddr ||
		!reflect.DeepEqual(s1.Extensions, first.Extensions) || !reflect.DeepEqual(s1.Attrs, first.Attrs) || s1.SessionEnd != end {
		t.Errorf("session 1: %+v", s1)
	}
	if s2.ID != 2 || !s2.Start.Equal(second.Start) || !s2.End.IsZero() || s2.SessionEnd != (store.SessionEnd{}) {
		t.Errorf("session 2: %+v", s2)
	}
	if got := readAll(t, db, "m", nil); len(got) != 1 || got[0].Session != id1 {
		t.Errorf("frames: %+v", got)
	}
	ms, err := db.Meetings()
	must(t, err)
	for _, m := range ms {
		if m.Sessions != nil {
			t.Errorf("Meetings() filled Sessions of %s", m.ID)
		}
	}
}

func TestEndSessionUnknown(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, nil)
	id, err := db.BeginSession(ctx, "m", store.Session{Start: t0})
	must(t, err)
	tests := []struct {
		name    string
		meeting string
		id      uint32
	}{
		{"unknown_id", "m", id + 1},
		{"zero_id", "m", 0},
		{"unknown_meeting", "never-recorded", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			must(t, db.Enqueue("m", textFrame(0))) // shares the commit
			err := db.EndSession(ctx, tt.meeting, tt.id, t0, store.SessionEnd{Reason: "stopped"})
			if !errors.Is(err, store.ErrSessionNotFound) {
				t.Fatalf("EndSession: %v, want ErrSessionNotFound", err)
			}
			// The failure was the request's own: the DB still works.
			must(t, db.Append(ctx, "m", textFrame(1)))
			must(t, db.EndSession(ctx, "m", id, t0, store.SessionEnd{Reason: "stopped"}))
		})
	}
	ms, err := db.Meetings()
	must(t, err)
	if len(ms) != 1 || ms[0].ID != "m" || ms[0].Frames != 6 {
		t.Errorf("Meetings: %+v; want only m, with 6 frames", ms)
	}
	if err := db.Verify("m"); err != nil {
		t.Error(err)
	}
}

func TestLabels(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, nil)
	must(t, db.SetLabel("m", "title", "Weekly sync"))
	must(t, db.SetLabel("m", "title", "Q1 Roadmap Sync")) // the later value wins
	must(t, db.SetLabel("m", "host", "Chen Jing"))
	must(t, db.SetLabel("m", "empty", ""))
	must(t, db.Flush(ctx))
	m, err := db.Meeting("m")
	must(t, err)
	want := map[string]string{"title": "Q1 Roadmap Sync", "host": "Chen Jing", "empty": ""}
	if !reflect.DeepEqual(m.Labels, want) || m.Frames != 0 {
		t.Errorf("Labels %v, Frames %d; want %v, 0", m.Labels, m.Frames, want)
	}
	if err := db.Verify("m"); err != nil { // a meeting with no frames verifies
		t.Error(err)
	}
	ms, err := db.Meetings()
	must(t, err)
	if len(ms) != 1 || !reflect.DeepEqual(ms[0].Labels, want) {
		t.Errorf("Meetings: %+v", ms)
	}
}

func TestPayloadBytesKept(t *testing.T) {
	allBytes := make([]byte, 256)
	for i := range allBytes {
		allBytes[i] = byte(i)
	}
	big := make([]byte, 5<<20)
	rng := rand.New(rand.NewChaCha8([32]byte{1}))
	for i := range big {
		big[i] = byte(rng.Uint32())
	}
	tests := []struct {
		name    string
		op      store.Opcode
		payload []byte
	}{
		{"json_text", store.Text, []byte(`{"action":"ParticipantsNotify","data":[{"name":"李雷"}]}`)},
		{"every_byte_value", store.Binary, allBytes},
		{"invalid_utf8_text", store.Text, []byte("\xff\xfe\xc3\x28 not utf-8 \xed\xa0\x80")},
		{"nul_bytes", store.Text, []byte("\x00\x00{}\x00")},
		{"nil", store.Text, nil},
		{"empty", store.Binary, []byte{}},
		{"5MiB_binary", store.Binary, big},
		{"close", store.Close, store.ClosePayload(1000, "meeting ended")},
		{"unknown_opcode", store.Opcode(0xA), []byte("pong")},
	}
	db := openDB(t, nil)
	var want []store.Frame
	for i, tt := range tests {
		f := store.Frame{Time: t0.Add(time.Duration(i)), Session: uint32(i), Dir: store.Direction(1 + i%2), Op: tt.op, Payload: tt.payload}
		want = append(want, f)
		must(t, db.Enqueue("m", f)) // all in one commit
	}
	must(t, db.Flush(context.Background()))
	got := readAll(t, db, "m", nil)
	if len(got) != len(tests) {
		t.Fatalf("%d frames, want %d", len(got), len(tests))
	}
	for i, tt := range tests {
		if d := diffFrame(want[i], got[i]); d != "" {
			t.Errorf("%s: %s", tt.name, d)
		}
	}
	if err := db.Verify("m"); err != nil {
		t.Error(err)
	}
	// The caller's slice is not kept by the store after the commit.
	if !bytes.Equal(big, want[6].Payload) {
		t.Error("store changed the caller's payload")
	}
}

func TestClosePayload(t *testing.T) {
	tests := []struct {
		name       string
		frame      store.Frame
		wantCode   uint16
		wantReason string
		wantOK     bool
	}{
		{"normal", store.Frame{Op: store.Close, Payload: store.ClosePayload(1000, "bye")}, 1000, "bye", true},
		{"code_only", store.Frame{Op: store.Close, Payload: store.ClosePayload(4000, "")}, 4000, "", true},
		{"utf8_reason", store.Frame{Op: store.Close, Payload: store.ClosePayload(1001, "会议结束")}, 1001, "会议结束", true},
		{"no_code", store.Frame{Op: store.Close, Payload: store.ClosePayload(0, "ignored")}, 0, "", false},
		{"one_byte", store.Frame{Op: store.Close, Payload: []byte{3}}, 0, "", false},
		{"not_a_close_frame", store.Frame{Op: store.Text, Payload: store.ClosePayload(1000, "bye")}, 0, "", false},
	}
	db := openDB(t, nil)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check := func(f store.Frame) {
				t.Helper()
				code, reason, ok := f.CloseStatus()
				if code != tt.wantCode || reason != tt.wantReason || ok != tt.wantOK {
					t.Errorf("CloseStatus() = %d, %q, %v; want %d, %q, %v", code, reason, ok, tt.wantCode, tt.wantReason, tt.wantOK)
				}
			}
			check(tt.frame)
			f := tt.frame
			f.Time, f.Dir = t0, store.In
			must(t, db.Append(context.Background(), "m", f))
			got := readAll(t, db, "m", &store.Query{})
			check(got[i])
		})
	}
	if p := store.ClosePayload(1000, "bye"); !bytes.Equal(p, []byte{0x03, 0xe8, 'b', 'y', 'e'}) {
		t.Errorf("ClosePayload(1000, bye) = % x", p)
	}
}

func TestCloseIsIdempotentAndFinal(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, nil)
	must(t, db.Append(ctx, "m", textFrames(0, 300)...))
	c, err := db.Frames("m", nil)
	must(t, err)
	if !c.Next() { // reads the first chunk
		t.Fatal(c.Err())
	}
	for range 3 {
		if err := db.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
	}
	calls := []struct {
		name string
		call func() error
	}{
		{"Enqueue", func() error { return db.Enqueue("m", textFrame(0)) }},
		{"Append", func() error { return db.Append(ctx, "m", textFrame(0)) }},
		{"Flush", func() error { return db.Flush(ctx) }},
		{"BeginSession", func() error { _, err := db.BeginSession(ctx, "m", store.Session{}); return err }},
		{"EndSession", func() error { return db.EndSession(ctx, "m", 1, t0, store.SessionEnd{}) }},
		{"SetLabel", func() error { return db.SetLabel("m", "k", "v") }},
		{"Meetings", func() error { _, err := db.Meetings(); return err }},
		{"Meeting", func() error { _, err := db.Meeting("m"); return err }},
		{"Frames", func() error { _, err := db.Frames("m", nil); return err }},
		{"Verify", func() error { return db.Verify("m") }},
		{"Cursor.Next", func() error {
			for c.Next() {
			}
			return c.Err()
		}},
	}
	for _, tt := range calls {
		if err := tt.call(); !errors.Is(err, store.ErrClosed) {
			t.Errorf("%s after Close: %v, want ErrClosed", tt.name, err)
		}
	}
	must(t, c.Close())
}

func TestCloseFlushesQueue(t *testing.T) {
	path := filepath.Join(t.TempDir(), "confrec.db")
	db := openAt(t, path, &store.Options{FlushInterval: time.Hour})
	want := textFrames(0, 100)
	for _, f := range want {
		must(t, db.Enqueue("m", f))
	}
	must(t, db.SetLabel("m", "title", "x"))
	must(t, db.Close())
	db = openAt(t, path, &store.Options{ReadOnly: true})
	checkFrames(t, readAll(t, db, "m", nil), want, 1)
	if m, err := db.Meeting("m"); err != nil || m.Labels["title"] != "x" {
		t.Errorf("Meeting: %+v, %v", m, err)
	}
}

func TestContextCancelled(t *testing.T) {
	db := openDB(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := db.Flush(ctx); err != nil && !errors.Is(err, context.Canceled) {
		t.Errorf("Flush: %v, want nil or context.Canceled", err)
	}
	// A cancelled wait does not harm the DB.
	must(t, db.Append(context.Background(), "m", textFrame(0)))
}
