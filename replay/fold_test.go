package replay_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/confrec/confrec/replay"
	"github.com/confrec/confrec/store"
)

// foldT0 is when the basic scenario's socket opened: the scenario's
// createTimes are foldT0 plus offset_ms, so event times equal receive
// times there.
var foldT0 = time.UnixMilli(1742263200000).UTC()

// atMS is foldT0 plus ms milliseconds.
func atMS(ms int64) time.Time { return foldT0.Add(time.Duration(ms) * time.Millisecond) }

// fin, fout, fbin and fclose build frames for foldFrames: received from
// the service, sent by the client, binary, close.
func fin(p string) store.Frame { return store.Frame{Dir: store.In, Op: store.Text, Payload: []byte(p)} }
func fout(p string) store.Frame {
	return store.Frame{Dir: store.Out, Op: store.Text, Payload: []byte(p)}
}
func fbin(p string) store.Frame {
	return store.Frame{Dir: store.In, Op: store.Binary, Payload: []byte(p)}
}
func fclose(code uint16, reason string) store.Frame {
	return store.Frame{Dir: store.In, Op: store.Close, Payload: store.ClosePayload(code, reason)}
}

// timed sets the time of f to foldT0 + ms.
func timed(ms int64, f store.Frame) store.Frame { f.Time = atMS(ms); return f }

// inSession sets the session of f.
func inSession(id uint32, f store.Frame) store.Frame { f.Session = id; return f }

// foldFrames folds frames with a fresh Folder: frame i gets Seq i+1, time
// foldT0 + i seconds and session 1 unless it has one. It returns every
// event, Finish's included.
func foldFrames(frames []store.Frame) ([]replay.Event, *replay.Folder) {
	f := replay.NewFolder("986512347", nil)
	var evs []replay.Event
	for i := range frames {
		fr := frames[i]
		fr.Seq = uint64(i + 1)
		fr.Time = foldT0.Add(time.Duration(i) * time.Second)
		if fr.Session == 0 {
			fr.Session = 1
		}
		evs = f.Apply(evs, &fr)
	}
	return f.Finish(evs), f
}

// evStr is a compact form of ev for comparisons: "kind pid old>new (detail)".
func evStr(ev replay.Event) string {
	parts := []string{string(ev.Kind)}
	if ev.PID != "" {
		parts = append(parts, ev.PID)
	}
	if ev.Old != "" || ev.New != "" {
		parts = append(parts, ev.Old+">"+ev.New)
	}
	if ev.Detail != "" {
		parts = append(parts, "("+ev.Detail+")")
	}
	return strings.Join(parts, " ")
}

// evStrs is evStr of every event but the start of session 1.
func evStrs(evs []replay.Event) []string {
	var out []string
	for _, ev := range evs {
		if ev.Kind == replay.EventSessionStarted && ev.New == "1" && ev.Old == "" {
			continue
		}
		out = append(out, evStr(ev))
	}
	return out
}

// Payload builders for the table tests. items are JSON objects.
func partsFull(items ...string) string {
	return `{"action":"ParticipantsNotify","msgMode":0,"data":[` + strings.Join(items, ",") + `]}`
}

func partsInc(version int, items ...string) string {
	return fmt.Sprintf(`{"action":"ParticipantsNotify","msgMode":1,"version":%d,"data":[%s]}`, version, strings.Join(items, ","))
}

// pitem is a participant item of mode 0 with pinfoMap kv (pairs).
func pitem(pid string, kv ...string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	b, _ := json.Marshal(map[string]any{"pid": pid, "mode": 0, "pinfoMap": m})
	return string(b)
}

func premove(pid string) string { return `{"pid":"` + pid + `","mode":1}` }

func speakers(items ...string) string {
	if len(items) == 0 {
		return `{"action":"SpeakerChangeNotify","msgMode":0}`
	}
	return `{"action":"SpeakerChangeNotify","msgMode":0,"data":[` + strings.Join(items, ",") + `]}`
}

func spk(pid string, vol int) string {
	return fmt.Sprintf(`{"pid":%q,"name":"N-%s","speakingVolume":%d}`, pid, pid, vol)
}

func TestFoldEvents(t *testing.T) {
	alice := pitem("a", "NAME", "Alice", "ROLE", "1", "STATE", "0", "MUTE", "0", "CAMERASTATE", "1", "HAND", "0", "SHARE", "0", "TEL", "+100")
	bob := pitem("b", "NAME", "Bob", "ROLE", "0", "STATE", "0", "MUTE", "1", "CAMERASTATE", "0", "TEL", "+200")
	tests := []struct {
		name   string
		frames []store.Frame
		want   []string
	}{
		{"snapshot_joins_without_attribute_events",
			[]store.Frame{fin(partsFull(alice, bob))},
			[]string{"joined a >host", "joined b >participant"}},
		{"mute_unmute",
			[]store.Frame{fin(partsFull(bob)), fin(partsInc(1, pitem("b", "MUTE", "0"))), fin(partsInc(2, pitem("b", "MUTE", "1")))},
			[]string{"joined b >participant", "unmuted b", "muted b"}},
		{"same_value_is_no_change",
			[]store.Frame{fin(partsFull(bob)), fin(partsInc(1, pitem("b", "MUTE", "1", "CAMERASTATE", "0")))},
			[]string{"joined b >participant"}},
		{"camera_hand_share",
			[]store.Frame{fin(partsFull(bob)),
				fin(partsInc(1, pitem("b", "CAMERASTATE", "1", "HAND", "1", "SHARE", "1"))),
				fin(partsInc(2, pitem("b", "CAMERASTATE", "0", "HAND", "0", "SHARE", "0")))},
			[]string{"joined b >participant", "camera_on b", "hand_raised b", "sharing_started b",
				"camera_off b", "hand_lowered b", "sharing_stopped b"}},
		{"host_handover_and_cohost",
			[]store.Frame{fin(partsFull(alice, bob)),
				fin(partsInc(1, pitem("a", "ROLE", "0"), pitem("b", "ROLE", "1"))),
				fin(partsInc(2, pitem("a", "IS_COHOST", "1"))),
				fin(partsInc(3, pitem("a", "IS_COHOST", "0", "ROLE", "2")))},
			[]string{"joined a >host", "joined b >participant",
				"role_changed a host>participant", "role_changed b participant>host",
				"role_changed a participant>co-host", "role_changed a co-host>audience"}},
		{"leave_and_rejoin",
			[]store.Frame{fin(partsFull(alice)), fin(partsInc(1, premove("a"))), fin(partsInc(2, alice)), fin(partsInc(3, premove("a")))},
			[]string{"joined a >host", "left a host>", "rejoined a >host", "left a host>"}},
		{"join_by_refresh_of_unknown_pid",
			[]store.Frame{fin(partsInc(1, pitem("x", "HAND", "1")))},
			[]string{"joined x >participant"}},
		{"remove_unknown_pid",
			[]store.Frame{fin(partsInc(1, premove("x")))},
			nil},
		{"calling_site_joins_when_connected",
			[]store.Frame{fin(partsInc(1, pitem("r", "NAME", "Room", "STATE", "1", "MUTE", "1"))),
				fin(partsInc(2, pitem("r", "MUTE", "0"))),
				fin(partsInc(3, pitem("r", "STATE", "0"))),
				fin(partsInc(4, pitem("r", "MUTE", "1")))},
			[]string{"joined r >participant", "muted r"}},
		{"call_that_never_connects",
			[]store.Frame{fin(partsInc(1, pitem("r", "STATE", "1"))), fin(partsInc(2, premove("r")))},
			nil},
		{"full_snapshot_diff",
			[]store.Frame{fin(partsFull(alice, bob)),
				fin(partsFull(pitem("b", "NAME", "Bob", "ROLE", "0", "STATE", "0", "MUTE", "0"), pitem("c", "NAME", "Carol")))},
			[]string{"joined a >host", "joined b >participant", "unmuted b", "joined c >participant", "left a host>"}},
		{"full_snapshot_mode1_item_is_absent",
			[]store.Frame{fin(partsFull(alice, bob)), fin(partsFull(alice, premove("b")))},
			[]string{"joined a >host", "joined b >participant", "left b participant>"}},
		{"numbers_and_bools_in_pinfoMap",
			[]store.Frame{fin(partsFull(bob)),
				fin(`{"action":"ParticipantsNotify","msgMode":"1","version":"1","data":[{"pid":"b","mode":"0","pinfoMap":{"MUTE":0,"HAND":true,"ROLE":1}}]}`)},
			[]string{"joined b >participant", "role_changed b participant>host", "unmuted b", "hand_raised b"}},
		{"speakers",
			[]store.Frame{fin(speakers(spk("a", 40))), fin(speakers(spk("b", 60), spk("a", 20))), fin(speakers()), fin(speakers(spk("", 3)))},
			[]string{"speaker_started a >40", "speaker_started b >60", "speaker_stopped b 60>", "speaker_stopped a 20>"}},
		{"speakers_null_data",
			[]store.Frame{fin(speakers(spk("a", 40))), fin(`{"action":"SpeakerChangeNotify","msgMode":0,"data":null}`)},
			[]string{"speaker_started a >40", "speaker_stopped a 40>"}},
		{"dynamic",
			[]store.Frame{
				fin(`{"action":"ConfDynamicInfoNotify","msgMode":0,"state":"Schedule","lock":0,"recState":0}`),
				fin(`{"action":"ConfDynamicInfoNotify","msgMode":1,"version":1,"state":"Created"}`),
				fin(`{"action":"ConfDynamicInfoNotify","msgMode":1,"version":2,"lock":"1","recState":1}`),
				fin(`{"action":"ConfDynamicInfoNotify","msgMode":1,"version":3,"lock":0,"recState":"0","mute":1}`),
				fin(`{"action":"ConfDynamicInfoNotify","msgMode":0,"state":"Destroyed","lock":1}`)},
			[]string{"meeting_started Schedule>Created", "meeting_locked", "recording_started",
				"meeting_unlocked", "recording_stopped", "meeting_ended Created>Destroyed", "meeting_locked"}},
		{"invites_and_spellings",
			[]store.Frame{fin(partsFull(alice, bob)),
				fin(`{"action":"InviteResultNotify","msgMode":1,"version":1,"data":[{"callNumber":"+100","resultCode":"0"}]}`),
				fin(`{"action":"InviteResultNotify","msgMode":1,"version":2,"data":[{"callNumber":"+200","errorCode":"11111004"}]}`),
				fin(`{"action":"InviteResultNotify","msgMode":1,"version":3,"data":[{"callNumber":"+300","resultCode":11076016}]}`),
				fin(`{"action":"InviteResultNotify","msgMode":1,"version":4,"data":[{"callNumber":"+300","resultCode":"4711"}]}`)},
			[]string{"joined a >host", "joined b >participant",
				"invite_result a >0 (call succeeded)", "invite_result b >11111004 (WebSocket timeout)",
				"invite_result >11076016 (hung up by the Portal)", "invite_result >4711 (call failed (code 4711))"}},
		{"invite_full_snapshot_restates",
			[]store.Frame{
				fin(`{"action":"InviteResultNotify","msgMode":0,"data":[{"callNumber":"+100","resultCode":"0"}]}`),
				fin(`{"action":"InviteResultNotify","msgMode":0,"data":[{"callNumber":"+100","resultCode":"0"},{"callNumber":"+200","resultCode":"0"}]}`)},
			[]string{"invite_result >0 (call succeeded)", "invite_result >0 (call succeeded)"}},
		{"invite_for_participant_who_left",
			[]store.Frame{fin(partsFull(bob)), fin(partsInc(1, premove("b"))),
				fin(`{"action":"InviteResultNotify","msgMode":1,"version":1,"data":[{"callNumber":"+200","resultCode":"11076010"}]}`)},
			[]string{"joined b >participant", "left b participant>", "invite_result b >11076010 (the site hung up / left by itself)"}},
		{"waiting_room",
			[]store.Frame{
				fin(`{"action":"WaitingListNotify","msgMode":0,"data":[]}`),
				fin(`{"action":"WaitingListNotify","msgMode":1,"version":1,"data":[{"pid":"w1","mode":0,"pinfoMap":{"NAME":"Guest","WAITINGSTATE":"0"}}]}`),
				fin(`{"action":"WaitingListNotify","msgMode":1,"version":2,"data":[{"pid":"w1","mode":0,"pinfoMap":{"WAITINGSTATE":"1"}}]}`),
				fin(`{"action":"WaitingListNotify","msgMode":1,"version":3,"data":[{"pid":"w1","mode":1}]}`),
				fin(`{"action":"WaitingListNotify","msgMode":0,"data":[{"pid":"w2","mode":0,"pinfoMap":{"NAME":"G2"}},{"pid":"w3","mode":0}]}`),
				fin(`{"action":"WaitingListNotify","msgMode":0,"data":[{"pid":"w3","mode":0}]}`)},
			[]string{"waiting_joined w1", "waiting_left w1", "waiting_joined w2", "waiting_joined w3", "waiting_left w2"}},
		{"version_gap",
			[]store.Frame{fin(partsInc(1)), fin(partsInc(2)), fin(partsInc(4)), fin(partsInc(3)), fin(partsInc(4)),
				fin(`{"action":"SpeakerChangeNotify","msgMode":1,"version":9}`)},
			[]string{"version_gap 2>4", "version_gap 4>3"}},
		{"version_counters_reset_with_the_session",
			[]store.Frame{fin(partsInc(7)), inSession(2, fin(partsInc(1))), inSession(2, fin(partsInc(2)))},
			[]string{"session_ended 1> (end not recorded)", "session_started 1>2 (end not recorded)"}},
		{"version_of_a_full_message_is_not_a_counter",
			[]store.Frame{fin(partsInc(1)), fin(partsFull()), fin(partsInc(2))},
			nil},
		{"duplicate_msgID_not_folded_twice",
			[]store.Frame{
				fin(`{"action":"ParticipantsNotify","msgMode":1,"version":1,"msgID":"m1","data":[{"pid":"b","mode":0,"pinfoMap":{"NAME":"Bob"}}]}`),
				fin(`{"action":"ParticipantsNotify","msgMode":1,"version":2,"msgID":"m2","data":[{"pid":"b","mode":1}]}`),
				fin(`{"action":"ParticipantsNotify","msgMode":1,"version":1,"msgID":"m1","data":[{"pid":"b","mode":0,"pinfoMap":{"NAME":"Bob"}}]}`)},
			[]string{"joined b >participant", "left b participant>", "duplicate_msg (m1)"}},
		{"unknown_and_unreadable_frames",
			[]store.Frame{
				fin(`{"action":"BreakoutSettingNotify","msgMode":0}`),
				fin(`{"msgMode":0}`),
				fin(`[1,2]`),
				fin(`not json`),
				fin(`{"action":"ParticipantsNotify",`),
				fin(``),
				fbin("\x00\x01"),
				fin(`{"action":"ParticipantsNotify","msgMode":0}`),
				fin(`{"action":"ParticipantsNotify","msgMode":0,"data":{"pid":"a"}}`),
				fin(`{"action":"InviteResultNotify","msgMode":1,"data":"x"}`)},
			[]string{"unknown (unknown action)", "unknown (no action)", "unknown (not a JSON object)", "unknown (not a JSON object)",
				"unknown (malformed JSON: unexpected end of JSON input)", "unknown (not a JSON object)", "unknown (binary frame of 2 bytes)",
				"unknown (no data list)", "unknown (no data list)", "unknown (no data list)"}},
		{"known_kinds_without_state",
			[]store.Frame{
				fin(`{"action":"RealTimeSubtitleNotify","version":"1","createTime":"1742263200000","msgMode":0,"data":{"msgs":[]}}`),
				fin(`{"action":"InterpreterGroupNotify","msgMode":0,"data":[]}`),
				fin(`{"action":"NetConditionNotify","msgMode":1,"version":57,"data":[{"participantID":"a","mode":0,"bandwidth":4096}]}`),
				fin(`{"action":"CustomMultiPicNotify","msgMode":0,"mode":"FIXED","picNum":4}`),
				fin(`{"action":"NetworkQualityNotify","msgMode":0}`)},
			nil},
		{"client_frames_replies_and_closes_change_nothing",
			[]store.Frame{
				fout(partsFull(alice)),
				fout(`{"action":"HeartBeat","sequence":"1"}`),
				fin(`{"action":"HeartBeat","sequence":"1"}`),
				fin(`{"action":"Subscribe","sequence":"2","data":{"returnCode":0}}`),
				fin(`{"action":"ConfControl","sequence":"3","data":{"returnCode":0}}`),
				fclose(1000, "bye")},
			[]string{"session_ended 1> (close 1000 bye)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, _ := foldFrames(tt.frames)
			if got := evStrs(evs); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("events:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

// TestFoldState checks the state fields each notification kind sets,
// with the documented spelling and type variants.
func TestFoldState(t *testing.T) {
	_, f := foldFrames([]store.Frame{
		fin(`{"action":"ConfBasicInfoNotify","msgMode":0,"title":"T","owner":"O","startTime":1742262960000,"scheduledStartTime":"1742262900000"}`),
		fin(`{"action":"ConfDynamicInfoNotify","msgMode":0,"state":"Created","mode":"FIXED","lock":"1","mute":1,"lockSharing":true,"recState":0,"realTimeSubtitle":2,"picNum":9}`),
		fin(`{"action":"ConfDynamicInfoNotify","msgMode":1,"version":1,"recState":"1"}`),
		fin(partsFull(
			pitem("p2", "NAME", "Two", "CLICENT_LOGIN_TYPE", "Pad", "ROLE", "2", "MUTE", "1", "CAMERASTATE", "1", "HAND", "1", "SHARE", "1"),
			pitem("p1", "NAME", "One", "CLIENT_LOGIN_TYPE", "Desktop", "ROLE", "0", "IS_COHOST", "1", "STATE", "1"))),
		fin(`{"action":"AttendeesNotify","msgMode":0,"data":[{"mode":0,"userUUID":"u1","name":"One","role":1,"type":"normal"},{"mode":0,"participantID":"s2","name":"Two","role":"0","type":"terminal"},{"mode":0,"name":"no key"}]}`),
		fin(`{"action":"AttendeesNotify","msgMode":1,"version":1,"data":[{"mode":0,"userUUID":"u3","name":"Three"},{"mode":1,"participantID":"s2"},{"mode":0,"userUUID":"u1","name":"Uno"}]}`),
		fin(`{"action":"WaitingListNotify","msgMode":0,"data":[{"pid":"w","mode":0,"pinfoMap":{"NAME":"Guest","CLIENT_LOGIN_TYPE":"Desktop"}}]}`),
		fin(speakers(spk("p1", 10), spk("zz", 30))),
		fin(`{"action":"InviteResultNotify","msgMode":1,"version":1,"data":[{"callNumber":"+1","errorCode":"0"}]}`),
	})
	s := f.State()
	wantMeeting := replay.MeetingInfo{
		ConfID: "986512347", Title: "T", Owner: "O",
		ScheduledStart: time.UnixMilli(1742262900000).UTC(), ActualStart: time.UnixMilli(1742262960000).UTC(),
		State: "Created", Mode: "FIXED", Locked: true, MuteAll: true, LockSharing: true, Recording: true, Captions: true,
	}
	gotMeeting := s.Meeting
	gotMeeting.Dynamic = nil
	if !reflect.DeepEqual(gotMeeting, wantMeeting) {
		t.Errorf("meeting:\n got %+v\nwant %+v", gotMeeting, wantMeeting)
	}
	if got := string(s.Meeting.Dynamic["picNum"]); got != "9" {
		t.Errorf("Dynamic[picNum] = %q, want 9", got)
	}
	if got := string(s.Meeting.Dynamic["recState"]); got != `"1"` {
		t.Errorf("Dynamic[recState] = %q, want the merged \"1\"", got)
	}
	if _, ok := s.Meeting.Dynamic["msgMode"]; ok {
		t.Error("Dynamic holds the header member msgMode")
	}
	var parts []replay.Participant
	for _, p := range s.Participants {
		p.Attrs = nil
		parts = append(parts, p)
	}
	wantParts := []replay.Participant{
		{PID: "p1", Name: "One", Role: replay.RoleCoHost, Calling: true, ClientType: "Desktop"},
		{PID: "p2", Name: "Two", Role: replay.RoleAudience, Muted: true, Camera: true, Hand: true, Sharing: true,
			ClientType: "Pad", Joined: foldT0.Add(3 * time.Second)},
	}
	if !reflect.DeepEqual(parts, wantParts) {
		t.Errorf("participants:\n got %+v\nwant %+v", parts, wantParts)
	}
	if got := s.Participants[1].Attrs["CLICENT_LOGIN_TYPE"]; got != "Pad" {
		t.Errorf("Attrs[CLICENT_LOGIN_TYPE] = %q, want Pad", got)
	}
	wantAtt := []replay.Attendee{
		{UserUUID: "u1", Name: "Uno", Role: replay.RoleHost, Type: "normal"},
		{UserUUID: "u3", Name: "Three"},
	}
	if !reflect.DeepEqual(s.Attendees, wantAtt) {
		t.Errorf("attendees:\n got %+v\nwant %+v", s.Attendees, wantAtt)
	}
	wantWaiting := []replay.Waiting{{PID: "w", Name: "Guest", Attrs: map[string]string{"NAME": "Guest", "CLIENT_LOGIN_TYPE": "Desktop"}}}
	if !reflect.DeepEqual(s.Waiting, wantWaiting) {
		t.Errorf("waiting:\n got %+v\nwant %+v", s.Waiting, wantWaiting)
	}
	wantSpeakers := []replay.Speaker{{PID: "zz", Name: "N-zz", Volume: 30}, {PID: "p1", Name: "N-p1", Volume: 10}}
	if !reflect.DeepEqual(s.Speakers, wantSpeakers) {
		t.Errorf("speakers:\n got %+v\nwant %+v", s.Speakers, wantSpeakers)
	}
	wantInv := []replay.InviteResult{{Time: foldT0.Add(8 * time.Second), CallNumber: "+1", Code: "0", Meaning: "call succeeded"}}
	if !reflect.DeepEqual(s.Invites, wantInv) {
		t.Errorf("invites:\n got %+v\nwant %+v", s.Invites, wantInv)
	}
	if !s.At.Equal(foldT0.Add(8 * time.Second)) {
		t.Errorf("At = %v", s.At)
	}

	// State is a deep copy.
	s.Participants[0].Attrs["NAME"] = "changed"
	s.Meeting.Dynamic["mode"][1] = 'X'
	again := f.State()
	if again.Participants[0].Attrs["NAME"] != "One" || string(again.Meeting.Dynamic["mode"]) != `"FIXED"` {
		t.Error("changing a returned State changed the Folder's")
	}
}

// TestFoldTimes: events carry the service's createTime (number or string)
// and the receive time; without createTime the time is the receive time
// moved onto the service's clock by the last frame's offset.
func TestFoldTimes(t *testing.T) {
	evs, f := foldFrames([]store.Frame{
		fin(`{"action":"ParticipantsNotify","msgMode":0,"createTime":1742263100000,"data":[{"pid":"a","mode":0}]}`),
		fin(`{"action":"ParticipantsNotify","msgMode":1,"version":1,"createTime":"1742263100500","data":[{"pid":"a","mode":0,"pinfoMap":{"HAND":"1"}}]}`),
		fin(`{"action":"ParticipantsNotify","msgMode":1,"version":2,"data":[{"pid":"a","mode":1}]}`),
	})
	type tt struct{ time, received time.Time }
	var got []tt
	for _, ev := range evs {
		if ev.Kind == replay.EventSessionStarted {
			continue
		}
		got = append(got, tt{ev.Time, ev.Received})
	}
	want := []tt{
		{time.UnixMilli(1742263100000).UTC(), foldT0},
		{time.UnixMilli(1742263100500).UTC(), foldT0.Add(time.Second)},
		{time.UnixMilli(1742263101500).UTC(), foldT0.Add(2 * time.Second)},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("times:\n got %v\nwant %v", got, want)
	}
	// End is on the service's clock: the last frame arrived a second after
	// the last one with a createTime.
	if want := time.UnixMilli(1742263100500 + 1000).UTC(); !f.End().Equal(want) {
		t.Errorf("End = %v, want %v", f.End(), want)
	}
}

// TestFoldSessions: session boundaries become events that say how each
// session ended, from the sessions given to NewFolder.
func TestFoldSessions(t *testing.T) {
	sessions := []store.Session{
		{ID: 1, Start: atMS(-100), End: atMS(2500), SessionEnd: store.SessionEnd{Reason: "dropped", Err: "read: EOF"}},
		{ID: 2, Start: atMS(2900), End: atMS(4200), SessionEnd: store.SessionEnd{Reason: "meeting-ended", CloseCode: 1000, CloseReason: "meeting ended"}},
	}
	f := replay.NewFolder("c", sessions)
	frames := []store.Frame{
		{Seq: 1, Time: atMS(0), Session: 1, Dir: store.In, Op: store.Text, Payload: []byte(`{"action":"HeartBeat"}`)},
		{Seq: 2, Time: atMS(2000), Session: 1, Dir: store.Out, Op: store.Text, Payload: []byte(`{}`)},
		{Seq: 3, Time: atMS(3000), Session: 2, Dir: store.In, Op: store.Text, Payload: []byte(`{"action":"HeartBeat"}`)},
		{Seq: 4, Time: atMS(4000), Session: 2, Dir: store.In, Op: store.Close, Payload: store.ClosePayload(1000, "meeting ended")},
		{Seq: 5, Time: atMS(4100), Session: 0, Dir: store.In, Op: store.Text, Payload: []byte(`{"action":"HeartBeat"}`)},
	}
	var evs []replay.Event
	for i := range frames {
		evs = f.Apply(evs, &frames[i])
	}
	evs = f.Finish(evs)
	if more := f.Finish(nil); len(more) != 0 {
		t.Errorf("second Finish: %v", more)
	}
	type row struct {
		kind     replay.EventKind
		time     time.Time
		seq      uint64
		old, new string
		detail   string
	}
	var got []row
	for _, ev := range evs {
		got = append(got, row{ev.Kind, ev.Time, ev.Seq, ev.Old, ev.New, ev.Detail})
	}
	want := []row{
		{replay.EventSessionStarted, atMS(-100), 1, "", "1", ""},
		{replay.EventSessionEnded, atMS(2500), 2, "1", "", "dropped, error: read: EOF"},
		{replay.EventSessionStarted, atMS(2900), 3, "1", "2", "dropped, error: read: EOF"},
		{replay.EventSessionEnded, atMS(4200), 4, "2", "", "meeting-ended, close 1000 meeting ended"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("events:\n got %+v\nwant %+v", got, want)
	}
}

// TestFoldSessionEndUnknown: without sessions, the last session ends at its
// last frame only when the service closed it.
func TestFoldSessionEndUnknown(t *testing.T) {
	evs, _ := foldFrames([]store.Frame{fin(`{"action":"HeartBeat"}`)})
	if got := evStrs(evs); len(got) != 0 {
		t.Errorf("events %q, want none (the session's end is unknown)", got)
	}
	evs, _ = foldFrames([]store.Frame{fin(`{"action":"HeartBeat"}`), fclose(1001, "")})
	if got, want := evStrs(evs), []string{"session_ended 1> (close 1001)"}; !reflect.DeepEqual(got, want) {
		t.Errorf("events %q, want %q", got, want)
	}
}

func TestInviteResultMeaning(t *testing.T) {
	tests := map[string]string{
		"0":        "call succeeded",
		"11111001": "MCU received no media (network)",
		"11111002": "the site sent no media (network or client fault)",
		"11111003": "SIP signalling timeout",
		"11111004": "WebSocket timeout",
		"11076002": "hung up by the host from a soft client",
		"11076010": "the site hung up / left by itself",
		"11076016": "hung up by the Portal",
		"42":       "call failed (code 42)",
		"":         "no result code",
	}
	for code, want := range tests {
		if got := replay.InviteResultMeaning(code); got != want {
			t.Errorf("InviteResultMeaning(%q) = %q, want %q", code, got, want)
		}
	}
}

// newFoldDB opens a store in a temporary directory.
func newFoldDB(tb testing.TB) *store.DB {
	tb.Helper()
	db, err := store.Open(filepath.Join(tb.TempDir(), "fold.db"), &store.Options{NoSync: true})
	if err != nil {
		tb.Fatalf("store.Open: %v", err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("close store: %v", err)
		}
	})
	return db
}

// recordedSession is one session to store: its frames (Time set) and end.
type recordedSession struct {
	start  time.Time
	frames []store.Frame
	end    time.Time // zero: never ended
	how    store.SessionEnd
}

// storeSessions records sessions of meeting confID in db, in order.
func storeSessions(tb testing.TB, db *store.DB, confID string, sessions ...recordedSession) {
	tb.Helper()
	ctx := context.Background()
	for _, s := range sessions {
		id, err := db.BeginSession(ctx, confID, store.Session{Start: s.start, URL: "wss://example.invalid/conn"})
		if err != nil {
			tb.Fatalf("BeginSession: %v", err)
		}
		for i := range s.frames {
			s.frames[i].Session = id
		}
		for len(s.frames) > 0 {
			n := min(len(s.frames), 4096)
			if err := db.Append(ctx, confID, s.frames[:n]...); err != nil {
				tb.Fatalf("Append: %v", err)
			}
			s.frames = s.frames[n:]
		}
		if !s.end.IsZero() {
			if err := db.EndSession(ctx, confID, id, s.end, s.how); err != nil {
				tb.Fatalf("EndSession: %v", err)
			}
		}
	}
}
