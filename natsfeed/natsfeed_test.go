package natsfeed

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/nats-io/nats.go"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/confrec/confrec/store"
)

// TestRoundTrip: every frame a recorder stores, text, binary, close and a
// 20 MiB one, reaches the archive exactly, with its sessions; the
// archive's hash chain is the recorder's.
func TestRoundTrip(t *testing.T) {
	srv := startNATS(t, t.TempDir(), 0)
	js := connect(t, srv.ClientURL())
	rec := openDB(t, "rec.db")

	big := make([]byte, 20<<20)
	rand.NewChaCha8([32]byte{7}).Read(big[:1<<20])
	copy(big[1<<20:], bytes.Repeat([]byte("0123456789abcdef"), (19<<20)/16))
	bin := []byte{0, 1, 2, 0xff, 0xfe, 0x80}
	first := textFrames(0, 300)
	first = append(first,
		store.Frame{Time: t0.Add(time.Second), Dir: store.In, Op: store.Binary, Payload: bin},
		store.Frame{Time: t0.Add(time.Second + 1), Dir: store.In, Op: store.Text, Payload: big},
		store.Frame{Time: t0.Add(time.Second + 2), Dir: store.In, Op: store.Text, Payload: []byte{}},
		store.Frame{Time: t0.Add(time.Second + 3), Dir: store.In, Op: store.Close, Payload: store.ClosePayload(1001, "going away")})
	recordSession(t, rec, "900100200", first, false)
	recordSession(t, rec, "900100200", textFrames(2000, 50), true) // still open
	recordSession(t, rec, "meeting.with spaces", textFrames(0, 3), false)

	pub, err := NewPublisher(rec, js, PublisherOptions{Recorder: "rec-a"})
	if err != nil {
		t.Fatal(err)
	}
	if err := pub.PublishCommitted(t.Context()); err != nil {
		t.Fatal(err)
	}
	arch := openDB(t, "archive.db")
	runArchiver(t, arch, js, ArchiverOptions{OnProblem: func(err error) { t.Errorf("problem: %v", err) }})

	for _, id := range []string{"900100200", "meeting.with spaces"} {
		want, err := rec.Meeting(id)
		if err != nil {
			t.Fatal(err)
		}
		got := waitFrames(t, arch, id, want.Frames)
		wf, gf := frames(t, rec, id), frames(t, arch, id)
		if len(gf) != len(wf) {
			t.Fatalf("meeting %s: %d frames archived, %d recorded", id, len(gf), len(wf))
		}
		for i := range wf {
			if !reflect.DeepEqual(gf[i], wf[i]) {
				t.Fatalf("meeting %s: frame %d archived as seq %d session %d, %d bytes; recorded seq %d session %d, %d bytes",
					id, i, gf[i].Seq, gf[i].Session, len(gf[i].Payload), wf[i].Seq, wf[i].Session, len(wf[i].Payload))
			}
		}
		if got.ChainHead != want.ChainHead {
			t.Errorf("meeting %s: archive chain head %s, recorder's %s", id, got.ChainHead, want.ChainHead)
		}
		if err := arch.Verify(id); err != nil {
			t.Errorf("meeting %s: archive Verify: %v", id, err)
		}
		// Sessions: the same, the recorder named.
		deadline := time.Now().Add(10 * time.Second)
		for {
			got, _ = arch.Meeting(id)
			ended := 0
			for _, s := range got.Sessions {
				if !s.End.IsZero() {
					ended++
				}
			}
			wantEnded := 0
			for _, s := range want.Sessions {
				if !s.End.IsZero() {
					wantEnded++
				}
			}
			if len(got.Sessions) == len(want.Sessions) && ended == wantEnded || time.Now().After(deadline) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if len(got.Sessions) != len(want.Sessions) {
			t.Fatalf("meeting %s: %d sessions archived, %d recorded", id, len(got.Sessions), len(want.Sessions))
		}
		for i, s := range got.Sessions {
			w := want.Sessions[i]
			if s.ID != w.ID || !s.Start.Equal(w.Start) || !s.End.Equal(w.End) || s.SessionEnd != w.SessionEnd || s.URL != w.URL ||
				s.Attrs["recorder"] != "rec-a" || s.Attrs["recorder_session"] != itoa(w.ID) || s.Attrs["mode"] != "token" {
				t.Errorf("meeting %s: session %+v archived, recorded %+v", id, s, w)
			}
		}
	}

	// Published again from scratch (the marks lost): duplicates, dropped.
	n := len(frames(t, rec, "900100200"))
	if err := rec.SetLabel("900100200", LabelPublished, ""); err != nil {
		t.Fatal(err)
	}
	pub2, _ := NewPublisher(rec, js, PublisherOptions{Recorder: "rec-a"})
	if err := pub2.PublishCommitted(t.Context()); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond) // the archiver would have taken any copy by now
	if m, _ := arch.Meeting("900100200"); m.Frames != uint64(n) {
		t.Errorf("after a republish the archive holds %d frames, want %d", m.Frames, n)
	}
}

func itoa(n uint32) string { return string(rune('0' + n)) }

var _ = context.Background

// TestNATSDown: while NATS is away, frames wait in the recorder's
// database; when it is back they reach the archive in order, each once.
func TestNATSDown(t *testing.T) {
	dir := t.TempDir()
	srv := startNATS(t, dir, 0)
	port, url := natsPort(srv), srv.ClientURL()
	js := connect(t, url)
	rec, arch := openDB(t, "rec.db"), openDB(t, "archive.db")
	ctx, cancel := context.WithCancel(context.Background())
	pub, err := NewPublisher(rec, js, PublisherOptions{Recorder: "rec-a", Retry: 200 * time.Millisecond, AckTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- pub.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("publisher: %v", err)
		}
	}()
	runArchiver(t, arch, js, ArchiverOptions{OnProblem: func(err error) { t.Errorf("problem: %v", err) }})

	const id = "900100300"
	sid, err := rec.BeginSession(ctx, id, store.Session{Start: t0})
	if err != nil {
		t.Fatal(err)
	}
	add := func(from, n int) {
		fs := textFrames(from, n)
		for i := range fs {
			fs[i].Session = sid
		}
		if err := rec.Append(ctx, id, fs...); err != nil {
			t.Fatal(err)
		}
	}
	add(0, 100)
	waitFrames(t, arch, id, 100)

	srv.Shutdown()
	srv.WaitForShutdown()
	for i := range 20 { // recording goes on for 2 s with NATS away
		add(100+10*i, 10)
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(time.Second)
	if m, _ := arch.Meeting(id); m.Frames != 100 {
		t.Fatalf("the archive holds %d frames while NATS is away, want 100", m.Frames)
	}
	startNATS(t, dir, port)
	add(300, 50)
	waitFrames(t, arch, id, 350)
	time.Sleep(500 * time.Millisecond) // a duplicate would come now
	got, want := frames(t, arch, id), frames(t, rec, id)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("after the outage the archive holds %d frames, the recorder %d; not the same", len(got), len(want))
	}
}

// TestArchiverBadInput: a message that is not confrec's, a frame whose
// chunks stop coming, a frame altered in the stream and one forged under a
// recorder's name are each reported; nothing false is stored, and the
// archive goes on.
func TestArchiverBadInput(t *testing.T) {
	srv := startNATS(t, t.TempDir(), 0)
	js := connect(t, srv.ClientURL())
	arch := openDB(t, "archive.db")
	var problems []string
	var mu sync.Mutex
	// Frames after a gap wait GapWait for it: a second here.
	runArchiver(t, arch, js, ArchiverOptions{GapWait: time.Second, OnProblem: func(err error) {
		mu.Lock()
		defer mu.Unlock()
		problems = append(problems, err.Error())
	}})
	const id = "900100400"
	ctx := t.Context()
	pub := func(m *nats.Msg) {
		t.Helper()
		if _, err := js.PublishMsg(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	// The recorder's frames 1 to 6, with their links.
	fs := textFrames(0, 6)
	fs[3].Payload = bytes.Repeat([]byte("x"), 2*ChunkSize+100) // three chunks
	links := make([]store.Hash, len(fs))
	prev := store.ChainStart(id)
	for i := range fs {
		fs[i].Seq, fs[i].Session = uint64(i+1), 0
		links[i] = store.ChainNext(prev, &fs[i])
		prev = links[i]
	}
	msgsOf := func(i int) []*nats.Msg { return frameMsgs(source{id, "rec-a", 1}, &fs[i], links[i]) }

	pub(&nats.Msg{Subject: Subject(id), Data: []byte("hello")}) // not confrec's
	pub(msgsOf(0)[0])
	altered := msgsOf(1)[0]
	altered.Data = bytes.ToUpper(altered.Data) // same length, not the bytes the chain covers
	pub(altered)
	pub(msgsOf(2)[0]) // follows frame 2's link as the recorder sent it
	chunks := msgsOf(3)
	pub(chunks[0])
	pub(chunks[1]) // and no third: the stream goes on with frame 5
	pub(msgsOf(4)[0])
	forged := store.Frame{Seq: 6, Time: fs[5].Time, Dir: store.In, Op: store.Text, Payload: []byte(`{"action":"forged"}`)}
	pub(frameMsgs(source{id, "rec-a", 1}, &forged, store.ChainNext(store.ChainStart(id), &forged))[0]) // a link that does not follow
	pub(msgsOf(5)[0])                                                                                  // the real frame 6, delivered after the forged one

	m := waitFrames(t, arch, id, 4)
	time.Sleep(500 * time.Millisecond) // a frame stored wrongly would be there by now
	got := frames(t, arch, id)
	var payloads []string
	for _, f := range got {
		payloads = append(payloads, string(f.Payload))
	}
	want := []string{string(fs[0].Payload), string(fs[2].Payload), string(fs[4].Payload), string(fs[5].Payload)}
	if !reflect.DeepEqual(payloads, want) {
		t.Errorf("the archive holds %d frames %q..., want frames 1, 3, 5 and 6 (%d frames in the meeting)", len(payloads), payloads, m.Frames)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, p := range []string{"not a confrec message", "frame 2 of recorder rec-a does not follow", "frames 2 to 2 of recorder rec-a are not in the stream",
		"frame 4 of recorder rec-a is truncated: 2 of its 3 chunks", "frames 4 to 4 of recorder rec-a are not in the stream", "frame 6 of recorder rec-a does not follow"} {
		found := false
		for _, q := range problems {
			found = found || strings.Contains(q, p)
		}
		if !found {
			t.Errorf("no problem says %q; problems:\n%s", p, strings.Join(problems, "\n"))
		}
	}
}

// TestTrimAndRecordAgain: a meeting all of which JetStream acknowledged is
// deleted from the recorder's database when Trim says so; recorded again
// there later, it is a new epoch, which the archive keeps beside the first
// recording instead of taking its frames for repeats.
func TestTrimAndRecordAgain(t *testing.T) {
	srv := startNATS(t, t.TempDir(), 0)
	js := connect(t, srv.ClientURL())
	rec, arch := openDB(t, "rec.db"), openDB(t, "archive.db")
	runArchiver(t, arch, js, ArchiverOptions{OnProblem: func(err error) { t.Errorf("problem: %v", err) }})
	const id = "900100500"
	recordSession(t, rec, id, textFrames(0, 40), false)
	if err := rec.SetHold(t.Context(), id, store.Hold{Reason: "a test"}); err != nil {
		t.Fatal(err)
	}
	trim := true
	pub, err := NewPublisher(rec, js, PublisherOptions{Recorder: "rec-a", Trim: func(m *store.Meeting) bool { return trim }})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // the second pass trims what the first acknowledged
		if err := pub.PublishCommitted(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	pub.state[id].trimChecked = time.Time{} // asked again at once
	if _, err := rec.Meeting(id); err != nil {
		t.Fatalf("a meeting under a legal hold was trimmed: %v", err)
	}
	if err := rec.ReleaseHold(t.Context(), id); err != nil {
		t.Fatal(err)
	}
	pub.state[id].trimChecked = time.Time{}
	if err := pub.PublishCommitted(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := rec.Meeting(id); !errors.Is(err, store.ErrMeetingNotFound) {
		t.Fatalf("the published meeting is still in the recorder's database: %v", err)
	}
	waitFrames(t, arch, id, 40)

	time.Sleep(2 * time.Millisecond) // a new Created
	recordSession(t, rec, id, textFrames(100, 25), false)
	trim = false
	if err := pub.PublishCommitted(t.Context()); err != nil {
		t.Fatal(err)
	}
	m := waitFrames(t, arch, id, 65)
	time.Sleep(300 * time.Millisecond)
	if m, _ = arch.Meeting(id); m.Frames != 65 || len(m.Sessions) != 2 {
		t.Errorf("the archive holds %d frames in %d sessions, want 65 in 2", m.Frames, len(m.Sessions))
	}
	if err := arch.Verify(id); err != nil {
		t.Error(err)
	}
}

// TestArchiverOutOfOrder: the stream holds a recorder's messages out of
// order, as it does after a publish was lost and the recorder published
// again from its last acknowledged frame (a server died): frames before
// the ones they follow, the session's beginning after its first frames,
// its end before its last. The archive holds the meeting as recorded, and
// reports no problem.
func TestArchiverOutOfOrder(t *testing.T) {
	srv := startNATS(t, t.TempDir(), 0)
	js := connect(t, srv.ClientURL())
	rec := openDB(t, "rec.db")
	const id = "900100500"
	recordSession(t, rec, id, textFrames(0, 6), false)
	m, err := rec.Meeting(id)
	if err != nil {
		t.Fatal(err)
	}
	fs := frames(t, rec, id)
	var msgs []*nats.Msg
	link := store.ChainStart(id)
	for i := range fs {
		link = store.ChainNext(link, &fs[i])
		msgs = append(msgs, frameMsgs(source{id, "rec-a", m.Created.UnixNano()}, &fs[i], link)[0])
	}
	begin, err1 := sessionMsg(source{id, "rec-a", m.Created.UnixNano()}, &m.Sessions[0], false, 0)
	end, err2 := sessionMsg(source{id, "rec-a", m.Created.UnixNano()}, &m.Sessions[0], true, 6)
	if err := errors.Join(err1, err2); err != nil {
		t.Fatal(err)
	}
	arch := openDB(t, "archive.db")
	runArchiver(t, arch, js, ArchiverOptions{OnProblem: func(err error) { t.Errorf("problem: %v", err) }})
	for _, msg := range []*nats.Msg{msgs[1], msgs[0], begin, msgs[3], end, msgs[2], msgs[5], msgs[4]} {
		if _, err := js.PublishMsg(t.Context(), msg); err != nil {
			t.Fatal(err)
		}
	}
	waitFrames(t, arch, id, 6)
	if got := frames(t, arch, id); !reflect.DeepEqual(got, fs) {
		t.Errorf("the archive holds\n%v\nwant\n%v", got, fs)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		a, err := arch.Meeting(id)
		if err != nil {
			t.Fatal(err)
		}
		if s := a.Sessions; len(s) == 1 && !s[0].End.IsZero() {
			if r := m.Sessions[0]; s[0].URL != r.URL || !s[0].Start.Equal(r.Start) || !s[0].End.Equal(r.End) || s[0].SessionEnd != r.SessionEnd {
				t.Errorf("the archive's session %+v, want %+v", s[0], r)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the archive's sessions after 10 s: %+v", a.Sessions)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestPublisherChanged: told by the database's OnCommit which meetings each
// commit changed, Run reads only those, and publishes every frame of
// every meeting all the same.
func TestPublisherChanged(t *testing.T) {
	srv := startNATS(t, t.TempDir(), 0)
	js := connect(t, srv.ClientURL())
	var pub atomic.Pointer[Publisher]
	rec, err := store.Open(filepath.Join(t.TempDir(), "rec.db"), &store.Options{OnCommit: func(s store.CommitStats) {
		if p := pub.Load(); p != nil {
			p.Changed(s.Meetings)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	recordSession(t, rec, "900100600", textFrames(0, 10), true) // before the Publisher: its first run reads every meeting
	p, err := NewPublisher(rec, js, PublisherOptions{Recorder: "rec-a"})
	if err != nil {
		t.Fatal(err)
	}
	pub.Store(p)
	arch := openDB(t, "archive.db")
	runArchiver(t, arch, js, ArchiverOptions{OnProblem: func(err error) { t.Errorf("problem: %v", err) }})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	waitFrames(t, arch, "900100600", 10)
	for i := range 20 { // many meetings, a few frames each, as they come
		id := fmt.Sprintf("9001007%02d", i)
		recordSession(t, rec, id, textFrames(100*i, 5), false)
	}
	for i := range 20 {
		id := fmt.Sprintf("9001007%02d", i)
		waitFrames(t, arch, id, 5)
		if got, want := frames(t, arch, id), frames(t, rec, id); !reflect.DeepEqual(got, want) {
			t.Errorf("meeting %s: %d frames archived, not the %d recorded", id, len(got), len(want))
		}
	}
	p.mu.Lock()
	told := p.told
	p.mu.Unlock()
	if !told {
		t.Error("the Publisher was never told of a change")
	}
}
