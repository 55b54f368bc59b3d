package replay_test

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/confrec/confrec/replay"
	"github.com/confrec/confrec/store"
)

// basicScenario is the shared ten-minute scenario.
const basicScenario = "../testdata/scenario-basic.jsonl"

// Participants of the basic scenario.
const (
	pidChen  = "dxai13h2dk26cqb7qfb2o2o1aeof240s" // host at first, in the first snapshot
	pidWang  = "0jffbk1wfgbias908vhdpi9dufygdrz6" // leaves at 301500 ms and comes back at 362400 ms
	pidZhao  = "bzo78ngka4d2z7yhfyvso374bxklehnq" // sharer, host from 421800 ms
	pidSun   = "3mc0mbvlt20e8vpanigd87cu37oxf1du"
	pidOrion = "we4qepd9bmfqntwgbekw7ewybfaqtlnr" // room system, called at 125300 ms, connected at 131050 ms
	pidLiNa  = "b1ly36lxh1ui8a6wt2m1v56x7zrbiwi6" // guest from the waiting room, leaves at 575000 ms
)

// scenarioFrames reads a scenario in JSON Lines into frames at foldT0 +
// offset_ms: "frame" objects as text frames with their exact bytes,
// "binary" and "raw" lines as they say, in and out; a ws_close control
// line becomes a close frame from the service; other control lines are
// skipped. Seq and Session are left to the store.
func scenarioFrames(tb testing.TB, path string) []store.Frame {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	var frames []store.Frame
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var l struct {
			OffsetMS float64         `json:"offset_ms"`
			Dir      string          `json:"dir"`
			Frame    json.RawMessage `json:"frame"`
			Binary   *string         `json:"binary"`
			Raw      *string         `json:"raw"`
		}
		if err := json.Unmarshal(line, &l); err != nil {
			tb.Fatalf("%s: %v", line, err)
		}
		fr := store.Frame{Time: foldT0.Add(time.Duration(l.OffsetMS * float64(time.Millisecond))), Dir: store.In, Op: store.Text}
		if l.Dir == "out" {
			fr.Dir = store.Out
		}
		switch {
		case l.Binary != nil:
			fr.Op = store.Binary
			if fr.Payload, err = base64.StdEncoding.DecodeString(*l.Binary); err != nil {
				tb.Fatal(err)
			}
		case l.Raw != nil:
			fr.Payload = []byte(*l.Raw)
		default:
			var ctl struct {
				Control string `json:"_control"`
				Code    uint16 `json:"code"`
				Reason  string `json:"reason"`
			}
			_ = json.Unmarshal(l.Frame, &ctl)
			switch ctl.Control {
			case "":
				fr.Payload = append([]byte(nil), l.Frame...)
			case "ws_close":
				fr.Dir, fr.Op, fr.Payload = store.In, store.Close, store.ClosePayload(ctl.Code, ctl.Reason)
			default:
				continue
			}
		}
		frames = append(frames, fr)
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return frames
}

// storeBasic records the basic scenario as one session that ended with the
// service's close.
func storeBasic(t *testing.T) *store.DB {
	t.Helper()
	db := newFoldDB(t)
	storeSessions(t, db, "986512347", recordedSession{
		start: foldT0, frames: scenarioFrames(t, basicScenario),
		end: atMS(603900), how: store.SessionEnd{Reason: "meeting-ended", CloseCode: 1000},
	})
	return db
}

// stateView is the part of a State the golden tests compare: Attrs and
// Dynamic are checked apart.
type stateView struct {
	Meeting      replay.MeetingInfo
	Participants []replay.Participant
	Speakers     []replay.Speaker
	Waiting      []string
	Attendees    int
	Invites      []replay.InviteResult
}

func viewOf(s *replay.State) stateView {
	v := stateView{Meeting: s.Meeting, Speakers: s.Speakers, Attendees: len(s.Attendees), Invites: s.Invites}
	v.Meeting.Dynamic = nil
	for _, p := range s.Participants {
		p.Attrs = nil
		v.Participants = append(v.Participants, p)
	}
	for _, w := range s.Waiting {
		v.Waiting = append(v.Waiting, w.PID+" "+w.Name)
	}
	return v
}

// TestGoldenBasicState compares the state of the basic scenario at chosen
// instants with expectations written by hand from
// testdata/scenario-basic.jsonl (line numbers below are that file's).
func TestGoldenBasicState(t *testing.T) {
	db := storeBasic(t)

	// Lines 4-5: ConfBasicInfoNotify and the first ConfDynamicInfoNotify
	// (Created, FREE, mute 1, no lock, no recording, no captions).
	meeting := replay.MeetingInfo{
		ConfID: "986512347", Title: "Q1 Roadmap Sync", Owner: "Chen Jing",
		ScheduledStart: time.UnixMilli(1742262900000).UTC(), ActualStart: time.UnixMilli(1742262960000).UTC(),
		State: "Created", Mode: "FREE", MuteAll: true,
	}
	// Line 6: Chen Jing, the host, alone in the first snapshot.
	chen := replay.Participant{PID: pidChen, Name: "Chen Jing", Role: replay.RoleHost, Camera: true, ClientType: "Desktop", Joined: atMS(268)}
	// Line 9: the host's own call, "0".
	invChen := replay.InviteResult{Time: atMS(290), CallNumber: "+99111283400117345", PID: pidChen, Name: "Chen Jing", Code: "0", Meaning: "call succeeded"}

	// +3m (180000 ms): line 13 Wang Lei joined muted, line 14 unmuted;
	// line 16 Zhao Min joined muted, line 20 unmuted; line 22 Sun Hao
	// joined muted, lines 23-24 hand up then down and unmuted; line 28
	// HZ-3F-Orion called (STATE 1, muted), line 30 connected; line 31
	// recording on; line 32 the last speakers before 3m; lines 33-35 Li Na
	// came and went through the waiting room; line 29 the room's call.
	m3 := meeting
	m3.Recording = true
	wang3 := replay.Participant{PID: pidWang, Name: "Wang Lei", Role: replay.RoleParticipant, ClientType: "Mobile", Joined: atMS(18020)}
	zhao3 := replay.Participant{PID: pidZhao, Name: "Zhao Min", Role: replay.RoleParticipant, Camera: true, ClientType: "Desktop", Joined: atMS(47150)}
	sun3 := replay.Participant{PID: pidSun, Name: "Sun Hao", Role: replay.RoleParticipant, ClientType: "Pad", Joined: atMS(95400)}
	orion3 := replay.Participant{PID: pidOrion, Name: "HZ-3F-Orion", Role: replay.RoleParticipant, Muted: true, Camera: true, ClientType: "OtherType", Joined: atMS(131050)}
	invOrion := replay.InviteResult{Time: atMS(130900), CallNumber: "+99111283400119001", PID: pidOrion, Name: "HZ-3F-Orion", Code: "0", Meaning: "call succeeded"}

	// +9m (540000 ms): line 47 captions on; line 52 mute-all on, line 76
	// off; line 53 everyone but Chen muted (Li Na already was); line 39 /
	// 57 Zhao shared and stopped; line 60 Wang left, line 61 why, line 67
	// back (muted, camera off), lines 68-69 hand up, down, unmuted; line 62
	// Sun unmuted, line 81 camera on; lines 74-75 Zhao became host and Chen
	// co-host; line 77 Zhao unmuted; line 41 HZ-3F-Orion unmuted before
	// line 53; line 38 Li Na joined (muted, camera on); line 82 the last
	// speakers before 9m.
	m9 := meeting
	m9.Recording, m9.Captions, m9.MuteAll = true, true, false
	chen9 := chen
	chen9.Role = replay.RoleCoHost
	wang9 := replay.Participant{PID: pidWang, Name: "Wang Lei", Role: replay.RoleParticipant, ClientType: "Mobile", Joined: atMS(362400)}
	lina9 := replay.Participant{PID: pidLiNa, Name: "Li Na (guest)", Role: replay.RoleParticipant, Muted: true, Camera: true, ClientType: "Desktop", Joined: atMS(180150)}
	sun9 := sun3
	sun9.Camera = true
	zhao9 := zhao3
	zhao9.Role = replay.RoleHost
	orion9 := orion3
	invWang := replay.InviteResult{Time: atMS(301620), CallNumber: "+99111283400117402", PID: pidWang, Name: "Wang Lei", Code: "11076010", Meaning: "the site hung up / left by itself"}

	// End: line 86 recording off; line 88 Li Na left, line 89 why; line 90
	// the last speaker; line 93 Destroyed (mute 0, captions on).
	mEnd := m9
	mEnd.State, mEnd.Recording = "Destroyed", false
	invLiNa := replay.InviteResult{Time: atMS(575110), CallNumber: "+86571200481730512", PID: pidLiNa, Name: "Li Na (guest)", Code: "11076010", Meaning: "the site hung up / left by itself"}

	tests := []struct {
		name string
		at   time.Time
		want stateView
	}{
		{"before_first_frame", foldT0.Add(-time.Second), stateView{Meeting: replay.MeetingInfo{ConfID: "986512347"}, Speakers: []replay.Speaker{}, Invites: []replay.InviteResult{}}},
		{"after_snapshots", atMS(300), stateView{
			Meeting: meeting, Participants: []replay.Participant{chen}, Speakers: []replay.Speaker{},
			Attendees: 5, Invites: []replay.InviteResult{invChen}}},
		{"3m", atMS(180000), stateView{
			Meeting:      m3,
			Participants: []replay.Participant{wang3, sun3, zhao3, chen, orion3},
			Speakers:     []replay.Speaker{{PID: pidChen, Name: "Chen Jing", Volume: 55}, {PID: pidOrion, Name: "HZ-3F-Orion", Volume: 38}},
			Attendees:    5, Invites: []replay.InviteResult{invChen, invOrion}}},
		{"9m", atMS(540000), stateView{
			Meeting:      m9,
			Participants: []replay.Participant{wang9, sun9, lina9, zhao9, chen9, orion9},
			Speakers: []replay.Speaker{{PID: pidChen, Name: "Chen Jing", Volume: 57}, {PID: pidZhao, Name: "Zhao Min", Volume: 40},
				{PID: pidWang, Name: "Wang Lei", Volume: 15}},
			Attendees: 5, Invites: []replay.InviteResult{invChen, invOrion, invWang}}},
		{"end", atMS(603900), stateView{
			Meeting:      mEnd,
			Participants: []replay.Participant{wang9, sun9, zhao9, chen9, orion9},
			Speakers:     []replay.Speaker{{PID: pidZhao, Name: "Zhao Min", Volume: 54}},
			Attendees:    5, Invites: []replay.InviteResult{invChen, invOrion, invWang, invLiNa}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := replay.StateAt(db, "986512347", tt.at)
			if err != nil {
				t.Fatal(err)
			}
			if got := viewOf(s); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("state at %v:\n got %+v\nwant %+v", tt.at, got, tt.want)
			}
		})
	}

	s, err := replay.StateAt(db, "986512347", atMS(540000))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(s.Meeting.Dynamic["realTimeSubtitle"]); got != "1" {
		t.Errorf("Dynamic[realTimeSubtitle] at 9m = %s, want 1 (line 47)", got)
	}
	if got := s.Participants[4].Attrs["IS_COHOST"]; got != "1" {
		t.Errorf("Chen's IS_COHOST at 9m = %q, want 1 (line 75)", got)
	}
}

// TestGoldenBasicTimeline compares the events of the basic scenario, all
// but the speaker changes, with the list written by hand from
// testdata/scenario-basic.jsonl.
func TestGoldenBasicTimeline(t *testing.T) {
	db := storeBasic(t)
	type row struct {
		ms   int64
		kind replay.EventKind
		pid  string
		old  string
		new  string
	}
	var got []row
	speakerEvents := 0
	_, f, err := replay.Reconstruct(db, "986512347", func(ev *replay.Event) error {
		if ev.Kind == replay.EventSpeakerStarted || ev.Kind == replay.EventSpeakerStopped {
			speakerEvents++
			return nil
		}
		got = append(got, row{ev.Time.Sub(foldT0).Milliseconds(), ev.Kind, ev.PID, ev.Old, ev.New})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []row{
		{0, replay.EventSessionStarted, "", "", "1"},
		{252, replay.EventMeetingStarted, "", "", "Created"},                                  // line 5
		{268, replay.EventJoined, pidChen, "", replay.RoleHost},                               // line 6
		{290, replay.EventInviteResult, pidChen, "", "0"},                                     // line 9
		{18020, replay.EventJoined, pidWang, "", replay.RoleParticipant},                      // line 13
		{24800, replay.EventUnmuted, pidWang, "", ""},                                         // line 14
		{47150, replay.EventJoined, pidZhao, "", replay.RoleParticipant},                      // line 16
		{71900, replay.EventUnmuted, pidZhao, "", ""},                                         // line 20
		{95400, replay.EventJoined, pidSun, "", replay.RoleParticipant},                       // line 22
		{101000, replay.EventHandRaised, pidSun, "", ""},                                      // line 23
		{109500, replay.EventUnmuted, pidSun, "", ""},                                         // line 24
		{109500, replay.EventHandLowered, pidSun, "", ""},                                     // line 24
		{130900, replay.EventInviteResult, pidOrion, "", "0"},                                 // line 29
		{131050, replay.EventJoined, pidOrion, "", replay.RoleParticipant},                    // line 30 (called at line 28)
		{138000, replay.EventRecordingStarted, "", "", ""},                                    // line 31
		{160200, replay.EventWaitingJoined, pidLiNa, "", ""},                                  // line 33
		{179900, replay.EventWaitingLeft, pidLiNa, "", ""},                                    // line 35
		{180150, replay.EventJoined, pidLiNa, "", replay.RoleParticipant},                     // line 38
		{186000, replay.EventSharingStarted, pidZhao, "", ""},                                 // line 39
		{215000, replay.EventUnmuted, pidOrion, "", ""},                                       // line 41
		{268250, replay.EventMuted, pidWang, "", ""},                                          // line 53 (Li Na already muted)
		{268250, replay.EventMuted, pidZhao, "", ""},                                          // line 53
		{268250, replay.EventMuted, pidSun, "", ""},                                           // line 53
		{268250, replay.EventMuted, pidOrion, "", ""},                                         // line 53
		{286000, replay.EventSharingStopped, pidZhao, "", ""},                                 // line 57
		{301500, replay.EventLeft, pidWang, replay.RoleParticipant, ""},                       // line 60
		{301620, replay.EventInviteResult, pidWang, "", "11076010"},                           // line 61
		{318000, replay.EventUnmuted, pidSun, "", ""},                                         // line 62
		{362400, replay.EventRejoined, pidWang, "", replay.RoleParticipant},                   // line 67
		{371000, replay.EventHandRaised, pidWang, "", ""},                                     // line 68
		{385000, replay.EventUnmuted, pidWang, "", ""},                                        // line 69
		{385000, replay.EventHandLowered, pidWang, "", ""},                                    // line 69
		{421800, replay.EventRoleChanged, pidChen, replay.RoleHost, replay.RoleParticipant},   // line 74
		{421800, replay.EventRoleChanged, pidZhao, replay.RoleParticipant, replay.RoleHost},   // line 74
		{423000, replay.EventRoleChanged, pidChen, replay.RoleParticipant, replay.RoleCoHost}, // line 75
		{435500, replay.EventUnmuted, pidZhao, "", ""},                                        // line 77
		{495000, replay.EventCameraOn, pidSun, "", ""},                                        // line 81
		{548000, replay.EventRecordingStopped, "", "", ""},                                    // line 86
		{575000, replay.EventLeft, pidLiNa, replay.RoleParticipant, ""},                       // line 88
		{575110, replay.EventInviteResult, pidLiNa, "", "11076010"},                           // line 89
		{603500, replay.EventMeetingEnded, "", "Created", "Destroyed"},                        // line 93
		{603900, replay.EventSessionEnded, "", "1", ""},                                       // line 94 and the session's end
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("timeline:\n got %+v\nwant %+v", got, want)
	}
	// Speaker lists at lines 12-90 (see TestGoldenBasicAttendance): 18
	// stints start, all but Zhao's last one stop.
	if speakerEvents != 35 {
		t.Errorf("%d speaker events, want 35", speakerEvents)
	}
	if !f.End().Equal(atMS(603500)) {
		t.Errorf("End = %v, want the Destroyed notification's time (line 93)", f.End())
	}
}

// TestGoldenBasicAttendance compares the attendance rows of the basic
// scenario with rows written by hand from testdata/scenario-basic.jsonl.
func TestGoldenBasicAttendance(t *testing.T) {
	db := storeBasic(t)
	att := replay.NewAttendance()
	_, f, err := replay.Reconstruct(db, "986512347", func(ev *replay.Event) error { att.Add(ev); return nil })
	if err != nil {
		t.Fatal(err)
	}
	att.Finish(f.End())
	end := atMS(603500) // line 93: the meeting ended; everyone present leaves then
	ms := func(n int64) time.Duration { return time.Duration(n) * time.Millisecond }

	wantPresences := []replay.Presence{
		{PID: pidChen, Name: "Chen Jing", Role: replay.RoleHost, Joined: atMS(268), Left: end, Duration: ms(603232)},
		{PID: pidWang, Name: "Wang Lei", Role: replay.RoleParticipant, Joined: atMS(18020), Left: atMS(301500), Duration: ms(283480)},
		{PID: pidZhao, Name: "Zhao Min", Role: replay.RoleParticipant, Joined: atMS(47150), Left: end, Duration: ms(556350)},
		{PID: pidSun, Name: "Sun Hao", Role: replay.RoleParticipant, Joined: atMS(95400), Left: end, Duration: ms(508100)},
		{PID: pidOrion, Name: "HZ-3F-Orion", Role: replay.RoleParticipant, Joined: atMS(131050), Left: end, Duration: ms(472450)},
		{PID: pidLiNa, Name: "Li Na (guest)", Role: replay.RoleParticipant, Joined: atMS(180150), Left: atMS(575000), Duration: ms(394850)},
		{PID: pidWang, Name: "Wang Lei", Role: replay.RoleParticipant, Joined: atMS(362400), Left: end, Duration: ms(241100)},
	}
	if got := att.Presences(); !reflect.DeepEqual(got, wantPresences) {
		t.Errorf("presences:\n got %+v\nwant %+v", got, wantPresences)
	}

	// Speaking, from the SpeakerChangeNotify lists at lines 12-90:
	//   Chen  6410-112000, 142600-190500, 222000-252700, 272000-388000, 438000-560000 = 422190 ms
	//   Wang  26300-63500, 74200-112000, 252700-269000, 388000-438000, 502000-560000 = 199300 ms
	//   Zhao  74200-142600, 190500-252700, 438000-560000, 583000-603500 (end)         = 273100 ms
	//   Sun   112000-142600, 320000-438000                                              = 148600 ms
	//   Orion 142600-190500, 222000-269000                                              =  94900 ms
	// Muted (line 53 only): Wang, Zhao, Sun, Orion once; Li Na joined muted.
	wantSummary := []replay.PersonSummary{
		{PID: pidChen, Name: "Chen Jing", FirstJoined: atMS(268), LastLeft: end, Total: ms(603232), Speaking: ms(422190)},
		{PID: pidWang, Name: "Wang Lei", FirstJoined: atMS(18020), LastLeft: end, Total: ms(283480 + 241100), Rejoins: 1, Speaking: ms(199300), TimesMuted: 1},
		{PID: pidZhao, Name: "Zhao Min", FirstJoined: atMS(47150), LastLeft: end, Total: ms(556350), Speaking: ms(273100), TimesMuted: 1},
		{PID: pidSun, Name: "Sun Hao", FirstJoined: atMS(95400), LastLeft: end, Total: ms(508100), Speaking: ms(148600), TimesMuted: 1},
		{PID: pidOrion, Name: "HZ-3F-Orion", FirstJoined: atMS(131050), LastLeft: end, Total: ms(472450), Speaking: ms(94900), TimesMuted: 1},
		{PID: pidLiNa, Name: "Li Na (guest)", FirstJoined: atMS(180150), LastLeft: atMS(575000), Total: ms(394850)},
	}
	if got := att.Summary(); !reflect.DeepEqual(got, wantSummary) {
		t.Errorf("summary:\n got %+v\nwant %+v", got, wantSummary)
	}
}

// TestReconnect: a meeting recorded in two sessions, the second starting
// with fresh full snapshots. Nobody who stayed appears to leave and
// rejoin; the one who left during the gap leaves at the snapshot; the
// attribute that changed during the gap changes at the snapshot.
func TestReconnect(t *testing.T) {
	const id = "777000111"
	msg := 0
	// n returns a notification with a unique msgID and createTime = the
	// receive time.
	n := func(ms int64, body string) store.Frame {
		msg++
		p := []byte(body[:len(body)-1])
		p = fmt.Appendf(p, `,"msgID":"m%d","createTime":%d}`, msg, atMS(ms).UnixMilli())
		return store.Frame{Time: atMS(ms), Dir: store.In, Op: store.Text, Payload: p}
	}
	alice := pitem("a", "NAME", "Alice", "ROLE", "1", "STATE", "0", "MUTE", "0")
	bob := pitem("b", "NAME", "Bob", "ROLE", "0", "STATE", "0", "MUTE", "1")
	carol := pitem("c", "NAME", "Carol", "ROLE", "0", "STATE", "0", "MUTE", "0")
	dave := pitem("d", "NAME", "Dave", "ROLE", "0", "STATE", "0", "MUTE", "0")
	bobUnmuted := pitem("b", "NAME", "Bob", "ROLE", "0", "STATE", "0", "MUTE", "0")
	dynamic := `{"action":"ConfDynamicInfoNotify","msgMode":0,"state":"Created","lock":0,"recState":1}`

	db := newFoldDB(t)
	storeSessions(t, db, id,
		recordedSession{start: atMS(0), end: atMS(60500), how: store.SessionEnd{Reason: "dropped", Err: "unexpected EOF"}, frames: []store.Frame{
			n(100, `{"action":"ConfBasicInfoNotify","msgMode":0,"title":"Reconnect"}`),
			n(110, dynamic),
			n(120, partsFull(alice, bob, carol)),
			n(130, speakers(spk("a", 50))),
			n(10000, partsInc(1, dave)),
			n(20000, speakers(spk("d", 40), spk("a", 30))),
			n(30000, partsInc(2, pitem("c", "HAND", "1"))),
		}},
		recordedSession{start: atMS(65000), end: atMS(130000), how: store.SessionEnd{Reason: "meeting-ended", CloseCode: 1000}, frames: []store.Frame{
			n(65100, `{"action":"ConfBasicInfoNotify","msgMode":0,"title":"Reconnect"}`),
			n(65110, dynamic),
			n(65120, partsFull(alice, bobUnmuted, dave)), // Carol left during the gap; Bob unmuted
			n(65130, speakers(spk("d", 45), spk("a", 30))),
			n(70000, partsInc(1, pitem("a", "MUTE", "1"))), // the counter starts again: no gap
			n(120000, `{"action":"ConfDynamicInfoNotify","msgMode":1,"version":1,"state":"Destroyed"}`),
			{Time: atMS(120100), Dir: store.In, Op: store.Close, Payload: store.ClosePayload(1000, "")},
		}},
	)

	var got []string
	att := replay.NewAttendance()
	_, f, err := replay.Reconstruct(db, id, func(ev *replay.Event) error {
		att.Add(ev)
		if ev.Time.After(atMS(60000)) {
			got = append(got, fmt.Sprintf("%d %s", ev.Time.Sub(foldT0).Milliseconds(), evStr(*ev)))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	att.Finish(f.End())
	want := []string{
		"60500 session_ended 1> (dropped, error: unexpected EOF)",
		"65000 session_started 1>2 (dropped, error: unexpected EOF)",
		"65120 unmuted b",
		"65120 left c participant>",
		"70000 muted a",
		"120000 meeting_ended Created>Destroyed",
		"130000 session_ended 2> (meeting-ended, close 1000)",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("events after the drop:\n got %q\nwant %q", got, want)
	}
	type pres struct {
		pid          string
		joined, left int64
	}
	var presences []pres
	for _, p := range att.Presences() {
		presences = append(presences, pres{p.PID, p.Joined.Sub(foldT0).Milliseconds(), p.Left.Sub(foldT0).Milliseconds()})
	}
	wantPresences := []pres{{"a", 120, 120000}, {"b", 120, 120000}, {"c", 120, 65120}, {"d", 10000, 120000}}
	if !reflect.DeepEqual(presences, wantPresences) {
		t.Errorf("presences %v, want %v", presences, wantPresences)
	}
	for _, s := range att.Summary() {
		if s.Rejoins != 0 {
			t.Errorf("%s rejoined %d times across the reconnect", s.PID, s.Rejoins)
		}
	}
}
