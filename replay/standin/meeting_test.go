package standin_test

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/confrec/confrec/replay/standin"
	"github.com/confrec/confrec/store"
)

// rec describes one recorded frame: at is its offset from t0, sess the
// index (1-based) of its session in the case's sessions, 0 for none.
type rec struct {
	at      time.Duration
	sess    int
	dir     store.Direction
	op      store.Opcode
	payload string
}

func in(at time.Duration, sess int, p string) rec {
	return rec{at, sess, store.In, store.Text, p}
}

func out(at time.Duration, sess int, p string) rec {
	return rec{at, sess, store.Out, store.Text, p}
}

func closeRec(at time.Duration, sess int, dir store.Direction, code uint16, reason string) rec {
	return rec{at, sess, dir, store.Close, string(store.ClosePayload(code, reason))}
}

var t0 = time.Date(2025, 3, 18, 2, 0, 0, 0, time.UTC)

// recordMeeting stores a meeting: sessions start at the given offsets from
// t0, frames follow.
func recordMeeting(ctx context.Context, t *testing.T, db *store.DB, id string, sessions []time.Duration, frames []rec) {
	t.Helper()
	ids := make([]uint32, len(sessions))
	for i, at := range sessions {
		sid, err := db.BeginSession(ctx, id, store.Session{Start: t0.Add(at), URL: "wss://h/x?confID=" + id})
		if err != nil {
			t.Fatalf("BeginSession: %v", err)
		}
		ids[i] = sid
	}
	var fs []store.Frame
	for _, r := range frames {
		f := store.Frame{Time: t0.Add(r.at), Dir: r.dir, Op: r.op, Payload: []byte(r.payload)}
		if r.sess > 0 {
			f.Session = ids[r.sess-1]
		}
		fs = append(fs, f)
	}
	if err := db.Append(ctx, id, fs...); err != nil {
		t.Fatalf("Append: %v", err)
	}
}

func openStore(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "confrec.db"), &store.Options{NoSync: true})
	if err != nil {
		t.Fatalf("store.Open: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	return db
}

const (
	subscribeOut = `{"action":"Subscribe","sequence":"1","data":"{\"confToken\":\"[redacted:1234abcd]\"}"}`
	subscribeIn  = `{"action":"Subscribe","sequence":"1","data":{"returnCode":0,"returnDesc":"SUCCESS"}}`
	heartBeatIn  = `{"action":"HeartBeat","sequence":"2"}`
	notify1      = `{"action":"ConfBasicInfoNotify","msgID":"a","msgMode":0,"confID":"m"}`
	notify2      = `{"action":"ParticipantsNotify","msgID":"b","msgMode":1,"confID":"m","data":[]}`
)

// twoSessions is a meeting whose first connection failed and whose second
// ended with the service's close.
var twoSessions = []rec{
	out(10*ms, 1, subscribeOut),
	in(20*ms, 1, subscribeIn),
	in(30*ms, 1, notify1),
	{40 * ms, 1, store.In, store.Binary, "\x00\x01"},
	in(45*ms, 1, "garbage {"),
	out(49*ms, 1, `{"action":"HeartBeat","sequence":"2"}`),
	in(50*ms, 1, heartBeatIn),
	out(1010*ms, 2, subscribeOut),
	in(1020*ms, 2, subscribeIn),
	in(1100*ms, 2, notify2),
	closeRec(1200*ms, 2, store.In, 4000, "bye"),
	closeRec(1201*ms, 2, store.Out, 4000, "bye"),
}

const ms = time.Millisecond

func TestLoadMeeting(t *testing.T) {
	tests := []struct {
		name     string
		sessions []time.Duration
		frames   []rec
		want     []standin.Step
	}{
		{"two_sessions_drop", []time.Duration{0, time.Second}, twoSessions, []standin.Step{
			{Offset: 30 * ms, Kind: standin.StepText, Payload: []byte(notify1)},
			{Offset: 40 * ms, Kind: standin.StepBinary, Payload: []byte("\x00\x01")},
			{Offset: 45 * ms, Kind: standin.StepText, Payload: []byte("garbage {")},
			{Offset: 50 * ms, Kind: standin.StepDrop},
			{Offset: 1100 * ms, Kind: standin.StepText, Payload: []byte(notify2)},
			{Offset: 1200 * ms, Kind: standin.StepClose, CloseCode: 4000, CloseReason: "bye"},
		}},
		{"close_then_reconnect", []time.Duration{0, time.Second}, []rec{
			in(10*ms, 1, notify1),
			closeRec(20*ms, 1, store.In, 1000, ""),
			closeRec(21*ms, 1, store.Out, 1000, ""),
			in(1100*ms, 2, notify2),
		}, []standin.Step{
			{Offset: 10 * ms, Kind: standin.StepText, Payload: []byte(notify1)},
			{Offset: 20 * ms, Kind: standin.StepClose, CloseCode: 1000},
			{Offset: 1100 * ms, Kind: standin.StepText, Payload: []byte(notify2)},
		}},
		{"session_without_in_frames", []time.Duration{0, time.Second}, []rec{
			out(10*ms, 1, subscribeOut),
			out(15*ms, 1, subscribeOut),
			in(1100*ms, 2, notify2),
		}, []standin.Step{
			{Offset: 15 * ms, Kind: standin.StepDrop},
			{Offset: 1100 * ms, Kind: standin.StepText, Payload: []byte(notify2)},
		}},
		{"no_sessions", nil, []rec{
			out(5*ms, 0, subscribeOut),
			in(25*ms, 0, notify1),
			{30 * ms, 0, store.In, store.Close, ""},
		}, []standin.Step{
			{Offset: 20 * ms, Kind: standin.StepText, Payload: []byte(notify1)},
			{Offset: 25 * ms, Kind: standin.StepClose},
		}},
		{"frame_before_session_start", []time.Duration{100 * ms}, []rec{
			in(90*ms, 1, notify1),
		}, []standin.Step{
			{Offset: 0, Kind: standin.StepText, Payload: []byte(notify1)},
		}},
	}
	ctx := testCtx(t)
	db := openStore(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recordMeeting(ctx, t, db, tt.name, tt.sessions, tt.frames)
			s, err := standin.LoadMeeting(db, tt.name)
			if err != nil {
				t.Fatalf("LoadMeeting: %v", err)
			}
			if s.ConfID != tt.name {
				t.Errorf("ConfID = %q", s.ConfID)
			}
			if !reflect.DeepEqual(s.Steps, tt.want) {
				t.Errorf("steps:\n got %+v\nwant %+v", s.Steps, tt.want)
			}
		})
	}

	if _, err := standin.LoadMeeting(db, "absent"); !errors.Is(err, store.ErrMeetingNotFound) {
		t.Errorf("absent meeting: %v, want ErrMeetingNotFound", err)
	}
}

// TestLoadMeetingPlayback serves a recorded two-session meeting: the client
// sees the first connection fail where the recording's did, and resumes.
func TestLoadMeetingPlayback(t *testing.T) {
	ctx := testCtx(t)
	db := openStore(t)
	recordMeeting(ctx, t, db, "m", []time.Duration{0, time.Second}, twoSessions)
	s, err := standin.LoadMeeting(db, "m")
	if err != nil {
		t.Fatal(err)
	}
	h := start(t, s, nil)
	runPlan(ctx, t, h, []connPlan{
		{msgs: []message{
			{websocket.MessageText, notify1},
			{websocket.MessageBinary, "\x00\x01"},
			{websocket.MessageText, "garbage {"},
		}, drop: true},
		{msgs: texts(notify2), code: 4000, reason: "bye"},
	})
}
