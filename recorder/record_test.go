package recorder_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/confrec/confrec/confctl"
	"github.com/confrec/confrec/recorder"
	"github.com/confrec/confrec/replay/standin"
	"github.com/confrec/confrec/store"
)

// tokenOptions returns Options for the token flow against srv.
func tokenOptions(srv *standin.Server, confID string, hc *http.Client, log *testLog) recorder.Options {
	o := recorder.Options{
		ConfID:     confID,
		APIURL:     srv.URL,
		Password:   testPassword,
		HTTPClient: hc,
		Logger:     log.logger(),
	}
	o.Backoff.Min, o.Backoff.Max = time.Millisecond, 20*time.Millisecond
	return o
}

// checkSubscribe fails unless f is our Subscribe for confID, stored with its
// token redacted.
func checkSubscribe(t *testing.T, f store.Frame, confID string) {
	t.Helper()
	if f.Dir != store.Out || f.Op != store.Text {
		t.Fatalf("first frame of session %d is %v %v, want out text Subscribe", f.Session, f.Dir, f.Op)
	}
	env, err := confctl.DecodeEnvelope(f.Payload)
	if err != nil || env.Action != confctl.ActionSubscribe || len(env.Sequence) != 30 {
		t.Fatalf("first frame of session %d is not a Subscribe with a 30-character sequence: %s", f.Session, f.Payload)
	}
	req, err := confctl.ParseSubscribe(env.Data)
	if err != nil {
		t.Fatal(err)
	}
	if req.ConferenceID != confID || !slices.Equal(req.SubscribeType, confctl.DefaultSubscribeTypes()) {
		t.Errorf("stored Subscribe = %v", req)
	}
	if !strings.HasPrefix(req.ConfToken, "[redacted:") {
		t.Errorf("stored Subscribe's confToken is not redacted: %d bytes", len(req.ConfToken))
	}
}

// checkHeartbeats fails unless frames hold a HeartBeat we sent and the
// server's echo of it.
func checkHeartbeats(t *testing.T, frames []store.Frame) {
	t.Helper()
	sent := map[string]bool{}
	echoed := 0
	for _, f := range frames {
		env, err := confctl.DecodeEnvelope(f.Payload)
		if f.Op != store.Text || err != nil || env.Action != confctl.ActionHeartBeat {
			continue
		}
		switch f.Dir {
		case store.Out:
			if !bytes.Equal(f.Payload, confctl.NewHeartBeat(env.Sequence)) {
				t.Errorf("stored heartbeat %s", f.Payload)
			}
			sent[env.Sequence] = true
		case store.In:
			if !sent[env.Sequence] {
				t.Errorf("heartbeat echo %s before its request", env.Sequence)
			}
			echoed++
		}
	}
	if len(sent) == 0 || echoed == 0 {
		t.Errorf("%d heartbeats sent, %d echoes recorded; want some of both", len(sent), echoed)
	}
}

func TestRecordTokenFlow(t *testing.T) {
	script := loadScenario(t, "scenario-basic.jsonl")
	// 600x: the ten-minute meeting plays in about a second, long enough
	// for a few 100ms heartbeats.
	srv := startReplay(t, script, 600)
	db, path := openDB(t)
	hc, capture := newSecretCapture(t)
	log := newTestLog()
	opts := tokenOptions(srv, script.ConfID, hc, log)
	opts.Heartbeat = 100 * time.Millisecond

	res, err := recorder.Record(t.Context(), db, opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Ended != recorder.MeetingEnded || res.Sessions < 1 {
		t.Fatalf("Result = %+v, want MeetingEnded", res)
	}

	frames := readFrames(t, db, script.ConfID)
	if m, err := db.Meeting(script.ConfID); err == nil && len(m.Sessions) > 1 {
		// A heartbeat answered late under load makes a second session.
		for _, s := range m.Sessions {
			t.Logf("session %d ended %+v", s.ID, s.SessionEnd)
		}
	}
	checkPlayed(t, playedData(frames), stepData(script))
	checkHeartbeats(t, frames)
	var in, out int64
	for i, f := range frames {
		if i == 0 || f.Session != frames[i-1].Session {
			checkSubscribe(t, f, script.ConfID)
		}
		if f.Dir == store.In {
			in++
		} else {
			out++
		}
	}
	if res.Frames.In != in || res.Frames.Out != out {
		t.Errorf("Result.Frames = %+v, stored %d in and %d out", res.Frames, in, out)
	}
	last := frames[len(frames)-1]
	if code, reason, ok := last.CloseStatus(); last.Dir != store.In || !ok || code != 1000 || reason != "" {
		t.Errorf("last frame = %v %v %q, want the server's close 1000", last.Dir, last.Op, last.Payload)
	}

	m := meeting(t, db, script.ConfID)
	if m.Labels["title"] != "Q1 Roadmap Sync" {
		t.Errorf("title label = %q", m.Labels["title"])
	}
	if len(m.Sessions) != res.Sessions {
		t.Fatalf("%d sessions stored, Result says %d", len(m.Sessions), res.Sessions)
	}
	s := m.Sessions[len(m.Sessions)-1]
	if s.Reason != "meeting-ended" || s.CloseCode != 1000 {
		t.Errorf("last session ended %+v, want meeting-ended with 1000", s.SessionEnd)
	}
	if s.RemoteAddr != srv.Addr().String() || s.Attrs["mode"] != "token" || !strings.Contains(s.URL, confctl.ConnectPath) || !strings.Contains(s.URL, "tmpToken=[redacted:") {
		t.Errorf("session = %+v", s)
	}
	if err := db.Verify(script.ConfID); err != nil {
		t.Error(err)
	}
	db.Close()
	checkNoSecrets(t, path, log.String(), capture.all())
}

func TestRecordReconnectsAfterDrop(t *testing.T) {
	script := loadScenario(t, "drop.jsonl")
	srv := startReplay(t, script, 0)
	db, path := openDB(t)
	hc, capture := newSecretCapture(t)
	log := newTestLog()

	res, err := recorder.Record(t.Context(), db, tokenOptions(srv, script.ConfID, hc, log))
	if err != nil {
		t.Fatal(err)
	}
	if res.Ended != recorder.MeetingEnded || res.Sessions != 2 {
		t.Fatalf("Result = %+v, want MeetingEnded after 2 sessions", res)
	}
	m := meeting(t, db, script.ConfID)
	if len(m.Sessions) != 2 || m.Sessions[0].Reason != "dropped" || m.Sessions[1].Reason != "meeting-ended" {
		t.Fatalf("sessions = %+v, want dropped then meeting-ended", m.Sessions)
	}
	if m.Sessions[0].URL == m.Sessions[1].URL {
		t.Errorf("both sessions connected with the same tmpToken: %s", m.Sessions[0].URL)
	}
	if m.Labels["title"] != "Quartalsplanung – 季度规划 ✓" {
		t.Errorf("title label = %q", m.Labels["title"])
	}

	frames := readFrames(t, db, script.ConfID)
	checkPlayed(t, playedData(frames), stepData(script))
	// Session 1 ends with the raw text just before the drop, without a
	// close frame; session 2 starts with a new Subscribe.
	var s1 []store.Frame
	for _, f := range frames {
		if f.Session == 1 {
			s1 = append(s1, f)
		}
	}
	checkSubscribe(t, s1[0], script.ConfID)
	if lastIn := s1[len(s1)-1]; lastIn.Op != store.Text || string(lastIn.Payload) != `this is not JSON { "action": oops` {
		t.Errorf("session 1 ends with %v %q", lastIn.Op, lastIn.Payload)
	}
	for _, f := range frames {
		if f.Session == 2 {
			checkSubscribe(t, f, script.ConfID)
			break
		}
	}
	db.Close()
	checkNoSecrets(t, path, log.String(), capture.all())
}

func TestRecordServerClosesWithoutDestroyed(t *testing.T) {
	script := loadScenario(t, "closed.jsonl")
	srv := startReplay(t, script, 0)
	db, _ := openDB(t)
	hc, _ := newSecretCapture(t)

	res, err := recorder.Record(t.Context(), db, tokenOptions(srv, script.ConfID, hc, newTestLog()))
	if err != nil {
		t.Fatal(err)
	}
	if res.Ended != recorder.MeetingEnded || res.Sessions != 1 {
		t.Fatalf("Result = %+v, want MeetingEnded after 1 session", res)
	}
	m := meeting(t, db, script.ConfID)
	if s := m.Sessions[0]; s.Reason != "closed" || s.CloseCode != 1000 || s.CloseReason != "bye" {
		t.Errorf("session ended %+v, want closed with 1000 bye", s.SessionEnd)
	}
	frames := readFrames(t, db, script.ConfID)
	checkPlayed(t, playedData(frames), stepData(script))
	last := frames[len(frames)-1]
	if code, reason, _ := last.CloseStatus(); last.Dir != store.In || code != 1000 || reason != "bye" {
		t.Errorf("last frame = %v %v %q", last.Dir, last.Op, last.Payload)
	}
}

func TestRecordStop(t *testing.T) {
	script := loadScenario(t, "stop.jsonl")
	srv := startReplay(t, script, 1) // Destroyed is an hour away
	db, _ := openDB(t)
	hc, _ := newSecretCapture(t)
	log := newTestLog()
	titled := log.when("meeting title")

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go func() {
		<-titled
		cancel()
	}()
	res, err := recorder.Record(ctx, db, tokenOptions(srv, script.ConfID, hc, log))
	if err != nil {
		t.Fatal(err)
	}
	if res.Ended != recorder.Stopped || res.Sessions != 1 {
		t.Fatalf("Result = %+v, want Stopped after 1 session", res)
	}
	m := meeting(t, db, script.ConfID)
	if s := m.Sessions[0]; s.Reason != "stopped" || s.CloseCode != 1000 || s.CloseReason != "recording stopped" || s.End.IsZero() {
		t.Errorf("session = %+v, want stopped with 1000 recording stopped", s)
	}
	// Our close is the last frame we sent. The server's echo is recorded
	// when the read loop, not the close handshake, reads it: not checked.
	frames := readFrames(t, db, script.ConfID)
	var lastOut store.Frame
	for _, f := range frames {
		if f.Dir == store.Out {
			lastOut = f
		}
	}
	if code, reason, ok := lastOut.CloseStatus(); !ok || code != 1000 || reason != "recording stopped" {
		t.Errorf("last frame sent = %v %q, want close 1000 recording stopped", lastOut.Op, lastOut.Payload)
	}
	if m.Labels["title"] != "Stopped by the recorder" {
		t.Errorf("title label = %q", m.Labels["title"])
	}
}

// directURL gets tokens from srv as a caller of direct mode would.
func directURL(t *testing.T, srv *standin.Server, confID string, hc *http.Client) (string, confctl.Secret) {
	t.Helper()
	c := &confctl.Client{BaseURL: srv.URL, HTTPClient: hc}
	ct, err := c.ConfToken(t.Context(), confID, testPassword, "")
	if err != nil {
		t.Fatal(err)
	}
	tmp, err := c.WSToken(t.Context(), confID, ct.Token)
	if err != nil {
		t.Fatal(err)
	}
	return confctl.ConnectURL(ct.WSURL, confID, tmp), ct.Token
}

func TestRecordDirect(t *testing.T) {
	tests := []struct {
		name     string
		scenario string
		wantErr  error
		wantEnd  recorder.EndKind
		reason   string
	}{
		{name: "drop", scenario: "drop.jsonl", wantErr: recorder.ErrCannotReconnect, reason: "dropped"},
		{name: "meeting_ends", scenario: "scenario-basic.jsonl", wantEnd: recorder.MeetingEnded, reason: "meeting-ended"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			script := loadScenario(t, tt.scenario)
			srv := startReplay(t, script, 0)
			db, path := openDB(t)
			hc, capture := newSecretCapture(t)
			log := newTestLog()
			u, token := directURL(t, srv, script.ConfID, hc)

			res, err := recorder.Record(t.Context(), db, recorder.Options{
				WSURL: u, ConfToken: token, HTTPClient: hc, Logger: log.logger(),
			})
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Record error = %v, want %v", err, tt.wantErr)
			}
			if res.Ended != tt.wantEnd || res.Sessions != 1 {
				t.Errorf("Result = %+v", res)
			}
			m := meeting(t, db, script.ConfID)
			if s := m.Sessions[0]; s.Reason != tt.reason || s.Attrs["mode"] != "direct" || s.End.IsZero() {
				t.Errorf("session = %+v, want reason %s", s, tt.reason)
			}
			// Everything before the drop is durable when Record returns.
			want := stepData(script)
			got := playedData(readFrames(t, db, script.ConfID))
			if tt.wantErr != nil {
				want = want[:len(got)]
				if len(got) != 4 {
					t.Errorf("recorded %d frames before the drop, want 4", len(got))
				}
			}
			checkPlayed(t, got, want)
			db.Close()
			text := log.String()
			if err != nil {
				text += err.Error()
			}
			checkNoSecrets(t, path, text, capture.all())
		})
	}
}

// destroyed is a ConfDynamicInfoNotify announcing the meeting's end.
func destroyed(confID string) []byte {
	return []byte(`{"action":"ConfDynamicInfoNotify","msgID":"end","msgMode":0,"confID":"` + confID + `","state":"Destroyed"}`)
}

func TestRecordStoresPayloadsExactly(t *testing.T) {
	const confID = "700100500"
	big := bytes.Repeat([]byte(`{"pid":"p","pinfoMap":{"NAME":"Łukasz Żółć 名前"}},`), 5<<20/51+1)
	big = append(append([]byte(`{"action":"ParticipantsNotify","msgID":"big","msgMode":0,"data":[`), big[:len(big)-1]...), "]}"...)
	allBytes := make([]byte, 256)
	for i := range allBytes {
		allBytes[i] = byte(i)
	}
	script := &standin.Script{ConfID: confID, Steps: []standin.Step{
		{Kind: standin.StepText, Payload: []byte(`{"action":"ConfBasicInfoNotify","msgID":"t","msgMode":0,"title":"Réunion 会议 🚀"}`)},
		{Kind: standin.StepText, Payload: big},
		{Kind: standin.StepBinary, Payload: allBytes},
		{Kind: standin.StepText, Payload: []byte("\xff\xfe not UTF-8, not JSON")},
		{Kind: standin.StepText, Payload: []byte(`{"action":"ConfDynamicInfoNotify","state":7,"title":["odd"]}`)},
		{Kind: standin.StepText, Payload: []byte{}},
		{Kind: standin.StepText, Payload: destroyed(confID)},
		{Kind: standin.StepClose, CloseCode: 4000, CloseReason: "fin – 终"},
	}}
	if len(big) < 5<<20 {
		t.Fatalf("big frame is %d bytes", len(big))
	}
	srv := startReplay(t, script, 0)
	db, _ := openDB(t)
	hc, _ := newSecretCapture(t)

	res, err := recorder.Record(t.Context(), db, tokenOptions(srv, confID, hc, newTestLog()))
	if err != nil {
		t.Fatal(err)
	}
	if res.Ended != recorder.MeetingEnded {
		t.Fatalf("Result = %+v", res)
	}
	frames := readFrames(t, db, confID)
	checkPlayed(t, playedData(frames), stepData(script))
	last := frames[len(frames)-1]
	if code, reason, _ := last.CloseStatus(); code != 4000 || reason != "fin – 终" {
		t.Errorf("close frame stored as %q", last.Payload)
	}
	if got := meeting(t, db, confID).Labels["title"]; got != "Réunion 会议 🚀" {
		t.Errorf("title label = %q", got)
	}
}

func TestRecordFrameTooLarge(t *testing.T) {
	const confID = "700100600"
	small := []byte(`{"action":"SpeakerChangeNotify","msgID":"s","msgMode":0}`)
	script := &standin.Script{ConfID: confID, Steps: []standin.Step{
		{Kind: standin.StepText, Payload: small},
		{Kind: standin.StepText, Payload: bytes.Repeat([]byte("x"), 4096)},
		{Kind: standin.StepText, Payload: destroyed(confID)},
		{Kind: standin.StepClose, CloseCode: 1000},
	}}
	srv := startReplay(t, script, 0)
	db, _ := openDB(t)
	hc, _ := newSecretCapture(t)
	opts := tokenOptions(srv, confID, hc, newTestLog())
	opts.MaxFrame = 1024

	res, err := recorder.Record(t.Context(), db, opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Ended != recorder.MeetingEnded {
		t.Fatalf("Result = %+v", res)
	}
	m := meeting(t, db, confID)
	s := m.Sessions[0]
	if s.Reason != "frame-too-large" || s.CloseCode != 1009 || !strings.Contains(s.Err, "1024") {
		t.Errorf("first session ended %+v, want frame-too-large with 1009", s.SessionEnd)
	}
	played := playedData(readFrames(t, db, confID))
	if len(played) == 0 || !bytes.Equal(played[0].Payload, small) {
		t.Fatalf("first played frame not recorded")
	}
	for _, f := range played {
		if len(f.Payload) > 1024 {
			t.Errorf("a %d-byte frame was stored past the limit", len(f.Payload))
		}
	}
}

func TestRecordStoreFailureIsFatal(t *testing.T) {
	script := loadScenario(t, "stop.jsonl")
	srv := startReplay(t, script, 1) // Destroyed is an hour away
	db, _ := openDB(t)
	hc, _ := newSecretCapture(t)
	log := newTestLog()
	titled := log.when("meeting title")
	opts := tokenOptions(srv, script.ConfID, hc, log)
	opts.Heartbeat = 20 * time.Millisecond // the next heartbeat meets the closed store

	closed := make(chan struct{})
	go func() {
		defer close(closed)
		<-titled
		db.Close()
	}()
	res, err := recorder.Record(t.Context(), db, opts)
	<-closed
	if !errors.Is(err, store.ErrClosed) {
		t.Fatalf("Record error = %v, want store.ErrClosed", err)
	}
	if res.Ended != recorder.Unfinished || res.Sessions != 1 {
		t.Errorf("Result = %+v", res)
	}
}

func TestRecordRedactsSecretsInReceivedFrames(t *testing.T) {
	const confID = "700100700"
	basic := `{"action":"ConfBasicInfoNotify","msgID":"b","msgMode":0,"title":"Board","pwds":[{"role":"chair","pwd":"` +
		testPassword + `"},{"role":"general","pwd":"` + base64.StdEncoding.EncodeToString([]byte(testPassword)) + `"}]}`
	script := &standin.Script{ConfID: confID, Steps: []standin.Step{
		{Kind: standin.StepText, Payload: []byte(basic)},
		{Kind: standin.StepText, Payload: destroyed(confID)},
		{Kind: standin.StepClose, CloseCode: 1000},
	}}
	db, path := openDB(t)
	log := newTestLog()
	// Two recordings of the meeting, each from a server of its own: the
	// label counts over both.
	for i := range 2 {
		srv := startReplay(t, script, 0)
		hc, _ := newSecretCapture(t)
		res, err := recorder.Record(t.Context(), db, tokenOptions(srv, confID, hc, log))
		if err != nil {
			t.Fatal(err)
		}
		if res.Ended != recorder.MeetingEnded {
			t.Fatalf("recording %d: Result = %+v, want MeetingEnded", i+1, res)
		}
	}

	var stored []store.Frame
	for _, f := range readFrames(t, db, confID) {
		if f.Dir == store.In && bytes.Contains(f.Payload, []byte(`"ConfBasicInfoNotify"`)) {
			stored = append(stored, f)
		}
	}
	if len(stored) != 2 {
		t.Fatalf("stored %d ConfBasicInfoNotify frames, want 2", len(stored))
	}
	for _, f := range stored {
		if n := bytes.Count(f.Payload, []byte(`"pwd":"[redacted`)); n != 2 {
			t.Errorf("stored frame has %d redacted passwords, want 2: %s", n, f.Payload)
		}
		if !bytes.Contains(f.Payload, []byte(`"title":"Board"`)) {
			t.Errorf("redaction changed more than the password: %s", f.Payload)
		}
	}
	m := meeting(t, db, confID)
	if m.Labels[recorder.LabelRedactedFrames] != "2" || m.Labels["title"] != "Board" {
		t.Errorf("labels = %v, want %s=2 and the title", m.Labels, recorder.LabelRedactedFrames)
	}
	text := log.String()
	if !strings.Contains(text, "secret redacted from a received frame") || !strings.Contains(text, "action=ConfBasicInfoNotify") {
		t.Errorf("redaction not logged with its action:\n%s", text)
	}
	db.Close()
	checkNoSecrets(t, path, text, []string{testPassword})
}
