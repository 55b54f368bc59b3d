package live_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/confrec/confrec/store"
)

// confID is the meeting of these tests.
const confID = "555000111"

// meeting writes a meeting into a store as a recorder would: a session,
// then frames from the service, each committed before the call returns.
type meeting struct {
	t   *testing.T
	db  *store.DB
	id  string
	sid uint32
	at  time.Time // the next frame's time
	msg int       // the last msgID and version
}

// openStore opens a store in the test's directory, closed at cleanup.
func openStore(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "confrec.db"), &store.Options{NoSync: true, FlushInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// startMeeting begins a session of meeting id in db.
func startMeeting(t *testing.T, db *store.DB, id string) *meeting {
	t.Helper()
	at := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	sid, err := db.BeginSession(t.Context(), id, store.Session{Start: at, RemoteAddr: "127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	return &meeting{t: t, db: db, id: id, sid: sid, at: at}
}

// notify appends a notification of action with msgMode mode and the
// given members, a second after the last.
func (m *meeting) notify(action string, mode int, members string) {
	m.t.Helper()
	m.msg++
	m.at = m.at.Add(time.Second)
	payload := fmt.Sprintf(`{"action":%q,"version":%d,"createTime":%d,"msgID":"m%031d","msgMode":%d,"confID":%q%s}`,
		action, m.msg, m.at.UnixMilli(), m.msg, mode, m.id, members)
	if err := m.db.Append(m.t.Context(), m.id, store.Frame{Time: m.at, Session: m.sid, Dir: store.In, Op: store.Text, Payload: []byte(payload)}); err != nil {
		m.t.Fatal(err)
	}
}

// title sends the meeting's basic info.
func (m *meeting) title(title string) {
	b, _ := json.Marshal(title)
	m.notify("ConfBasicInfoNotify", 0, `,"title":`+string(b))
}

// join and leave send one participant's change.
func (m *meeting) join(pid, name string) {
	m.notify("ParticipantsNotify", 1, fmt.Sprintf(`,"data":[{"pid":%q,"mode":0,"pinfoMap":{"NAME":%q,"ROLE":"0","STATE":"0","MUTE":"1"}}]`, pid, name))
}

func (m *meeting) leave(pid string) {
	m.notify("ParticipantsNotify", 1, fmt.Sprintf(`,"data":[{"pid":%q,"mode":1}]`, pid))
}

func (m *meeting) speak(pid, name string) {
	m.notify("SpeakerChangeNotify", 0, fmt.Sprintf(`,"data":[{"pid":%q,"name":%q,"speakingVolume":60}]`, pid, name))
}

// end ends the session as a recorder does when the meeting ends.
func (m *meeting) end() {
	m.t.Helper()
	if err := m.db.EndSession(m.t.Context(), m.id, m.sid, m.at.Add(time.Second), store.SessionEnd{Reason: "meeting-ended", CloseCode: 1000}); err != nil {
		m.t.Fatal(err)
	}
}

// event is one Server-Sent Event.
type event struct {
	name string
	data string
}

// stream is a page's /events, read in a goroutine of its own until the
// server ends it or the test cancels it.
type stream struct {
	t      *testing.T
	events chan event
	cancel context.CancelFunc
	done   chan error // the reader's end
}

// client makes one connection a request, so none stays open for goleak.
var client = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

// openStream opens url's event stream; it is closed at cleanup.
func openStream(t *testing.T, url string) *stream {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		cancel()
		resp.Body.Close()
		t.Fatalf("GET %s: %s, %s", url, resp.Status, resp.Header.Get("Content-Type"))
	}
	s := &stream{t: t, events: make(chan event, 1024), cancel: cancel, done: make(chan error, 1)}
	go func() {
		defer resp.Body.Close()
		defer close(s.events)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 16<<20)
		var ev event
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "" && ev.name != "":
				s.events <- ev
				ev = event{}
			case strings.HasPrefix(line, "event: "):
				ev.name = line[len("event: "):]
			case strings.HasPrefix(line, "data: "):
				ev.data = line[len("data: "):]
			}
		}
		s.done <- sc.Err()
	}()
	t.Cleanup(s.close)
	return s
}

// close disconnects and waits for the reader.
func (s *stream) close() {
	s.cancel()
	for range s.events {
	}
}

// next returns the next event named name whose data satisfies ok, skipping
// others; it fails the test when the stream ends first.
func (s *stream) next(name string, ok func(data string) bool) string {
	s.t.Helper()
	guard := time.NewTimer(stuck)
	defer guard.Stop()
	for {
		select {
		case ev, open := <-s.events:
			if !open {
				s.t.Fatalf("stream ended before a %s event", name)
			}
			if testing.Verbose() {
				s.t.Logf("%s: %.300s", ev.name, ev.data)
			}
			if ev.name == name && ok(ev.data) {
				return ev.data
			}
		case <-guard.C:
			s.t.Fatalf("no %s event in %v", name, stuck)
		}
	}
}

// stuck is how long a test waits for what must come before it fails
// instead of hanging: not a bound on how fast it comes.
const stuck = 30 * time.Second

// has says whether data holds every one of subs.
func has(subs ...string) func(string) bool {
	return func(data string) bool {
		for _, s := range subs {
			if !strings.Contains(data, s) {
				return false
			}
		}
		return true
	}
}
