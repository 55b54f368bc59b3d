package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"time"
)

// scenario is one generated meeting: its conference ID, the JSON Lines file
// replay serve plays, and what the recorder must store.
type scenario struct {
	ConfID string
	Path   string
	// Frames are the server-to-client notifications, in the order played.
	Frames []wantFrame
}

// wantFrame is one notification the recorder must store: when it is played
// (from the moment the client connected) and the SHA-256 of its payload.
type wantFrame struct {
	Offset time.Duration
	Sum    [sha256.Size]byte
}

// Offsets of a generated meeting's opening snapshots and of its stream.
const (
	snapshotAt  = 200 * time.Millisecond // the first snapshot; the others follow 10 ms apart
	streamStart = time.Second            // the first increment
	closeAfter  = 100 * time.Millisecond // the server closes this long after "Destroyed"
	epochMS     = 1742263200000          // createTime of offset 0 of meeting 0, in Unix ms
)

// confID returns the conference ID of meeting i: nine digits, like the
// service's.
func confID(i int) string { return strconv.Itoa(700000000 + i) }

// person is a participant of a generated meeting.
type person struct {
	PID, Name, Account string
	Muted, Hand        bool
}

var firstNames = []string{"Chen", "Wang", "Li", "Zhao", "Liu", "Sun", "Zhou", "Wu", "Xu", "Ma", "Hu", "Guo"}
var lastNames = []string{"Jing", "Lei", "Na", "Min", "Yang", "Hao", "Tao", "Fang", "Qiang", "Li", "Bo", "Yan"}

// sceneWriter writes one scenario file and remembers what it will play.
type sceneWriter struct {
	w      *bufio.Writer
	s      *scenario
	base   int64 // createTime of offset 0, in Unix ms
	n      int   // frames written, for msgIDs
	people []person
	joined int // participants created so far, for pids and names
	pver   int // version of the last ParticipantsNotify increment
	rng    *rand.Rand
}

// writeScenario generates meeting i's scenario into path: snapshots of the
// meeting, its participants, attendees and speakers (shaped like the
// service's notifications), then rate increments per second until d —
// speaker changes, mute and hand toggles, joins and leaves, chosen by a
// generator seeded with i — then "Destroyed" at d and a close 1000.
func writeScenario(path string, i int, d time.Duration, rate float64) (s *scenario, err error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create scenario: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("close scenario: %w", cerr)
		}
	}()
	sw := &sceneWriter{
		w:    bufio.NewWriter(f),
		s:    &scenario{ConfID: confID(i), Path: path},
		base: epochMS + int64(i)*1000,
		rng:  rand.New(rand.NewPCG(uint64(i), 0x10ad)),
	}
	sw.line(0, "out", fmt.Sprintf(`{"_control":"ws_open","url":"wss://meeting-ws.example.invalid:443/cms/open/websocket/confctl/increment/conn?confID=%s"}`, sw.s.ConfID))
	for range 4 {
		sw.join()
	}
	at := snapshotAt
	for _, snap := range []func(time.Duration){sw.basicInfo, sw.dynamicInfo, sw.participantsFull, sw.attendees, sw.speakers} {
		snap(at)
		at += 10 * time.Millisecond
	}
	if rate > 0 {
		every := time.Duration(float64(time.Second) / rate)
		for at := streamStart; at < d; at += every {
			sw.increment(at)
		}
	}
	sw.destroyed(max(d, at))
	sw.line(max(d, at)+closeAfter, "in", `{"_control":"ws_close","code":1000,"reason":""}`)
	if err := sw.w.Flush(); err != nil {
		return nil, fmt.Errorf("write scenario: %w", err)
	}
	return sw.s, nil
}

// line writes one scenario line holding frame.
func (sw *sceneWriter) line(at time.Duration, dir, frame string) {
	fmt.Fprintf(sw.w, `{"offset_ms":%s,"dir":%q,"frame":%s}`+"\n",
		strconv.FormatFloat(float64(at)/float64(time.Millisecond), 'f', -1, 64), dir, frame)
}

// notify writes a notification played at offset at: the envelope members
// the service sends first, then body (JSON members without braces, or "").
// version < 0 means the createTime (full snapshots and speakers).
func (sw *sceneWriter) notify(at time.Duration, action string, version int64, msgMode int, body string) {
	created := sw.base + at.Milliseconds()
	if version < 0 {
		version = created
	}
	sw.n++
	var seed [16]byte
	copy(seed[:8], sw.s.ConfID)
	binary.BigEndian.PutUint64(seed[8:], uint64(sw.n))
	id := sha256.Sum256(seed[:])
	frame := fmt.Sprintf(`{"action":%q,"version":%d,"createTime":%d,"msgID":%q,"msgMode":%d,"confID":%q`,
		action, version, created, hex.EncodeToString(id[:16]), msgMode, sw.s.ConfID)
	if body != "" {
		frame += "," + body
	}
	frame += "}"
	sw.line(at, "in", frame)
	sw.s.Frames = append(sw.s.Frames, wantFrame{Offset: at, Sum: sha256.Sum256([]byte(frame))})
}

// join adds a new participant to the meeting's people.
func (sw *sceneWriter) join() person {
	k := sw.joined
	sw.joined++
	h := sha256.Sum256([]byte(sw.s.ConfID + "/" + strconv.Itoa(k)))
	const digits = "0123456789abcdefghijklmnopqrstuvwxyz"
	pid := make([]byte, 32)
	for j := range pid {
		pid[j] = digits[int(h[j])%len(digits)]
	}
	first, last := firstNames[k%len(firstNames)], lastNames[(k/len(firstNames)+k)%len(lastNames)]
	p := person{PID: string(pid), Name: first + " " + last, Account: fmt.Sprintf("%s%s%d", first, last, k), Muted: k%2 == 1}
	sw.people = append(sw.people, p)
	return p
}

// pinfo returns a participant's complete attribute set, as in a full
// ParticipantsNotify or a join.
func (sw *sceneWriter) pinfo(p person, role int, at time.Duration) map[string]string {
	return map[string]string{
		"NAME": p.Name, "TEL": "+9911128340" + p.PID[:7], "ROLE": strconv.Itoa(role), "STATE": "0",
		"HAND": bit(p.Hand), "BROADCAST": "0", "ROLLCALL": "0", "SHARE": "0",
		"ADDTIME": strconv.FormatInt(sw.base+at.Milliseconds(), 10), "MUTE": bit(p.Muted), "VIDEO": "1",
		"M": "1", "T": "1", "ANONYMOUS": "0", "LOCALREC": "0", "CLIENT_LOGIN_TYPE": "Desktop", "VIEW_TYPE": "0",
		"CAMERASTATE": "1", "IS_COHOST": "0", "RTC_USER_ID": p.PID, "ORG_ID": "58213",
		"ACCOUNT_ID": p.PID, "ACCOUNT": p.Account, "THIRDACCOUNT": p.Account,
	}
}

func bit(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// mustJSON marshals v, which is always marshalable here.
func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// participant is one item of a ParticipantsNotify's data.
type participant struct {
	PID   string            `json:"pid"`
	Mode  int               `json:"mode"`
	PInfo map[string]string `json:"pinfoMap,omitempty"`
}

func (sw *sceneWriter) basicInfo(at time.Duration) {
	start := strconv.FormatInt(sw.base-240000, 10)
	sw.notify(at, "ConfBasicInfoNotify", -1, 0, fmt.Sprintf(`"displayID":%q,"title":%q,"startTime":%q,"scheduledStartTime":%q,`+
		`"recType":1,"media":2,"owner":%q,"ownerID":%q,"userType":2,"supportWatermark":1,"callInRestriction":0,"confMode":"COMMON",`+
		`"realTimeSubtitle":1,"orgID":"58213","webinar":false,"supportCohost":1,"supportWaitingRoom":true`,
		sw.s.ConfID, "Load meeting "+sw.s.ConfID, start, start, sw.people[0].Name, sw.people[0].PID))
}

func (sw *sceneWriter) dynamicInfo(at time.Duration) { sw.dynamic(at, "Created") }

func (sw *sceneWriter) destroyed(at time.Duration) { sw.dynamic(at, "Destroyed") }

func (sw *sceneWriter) dynamic(at time.Duration, state string) {
	sw.notify(at, "ConfDynamicInfoNotify", -1, 0, fmt.Sprintf(`"state":%q,"endTime":%q,"mode":"FREE","vas":1,"lock":0,"mute":1,`+
		`"lockSharing":0,"canUnmute":1,"chairView":0,"picNum":9,"partViewNum":0,"maxPartViewNum":8,"recState":0,"recOccurred":0,`+
		`"confIMGroupId":"im73bebce395b6f1efedcf68","forbiddenChat":0,"realTimeSubtitle":0,"aiRecState":0,"clientRecState":0,"enableShareSetting":1`,
		state, strconv.FormatInt(sw.base+3600000, 10)))
}

func (sw *sceneWriter) participantsFull(at time.Duration) {
	var data []participant
	for k, p := range sw.people {
		role := 0
		if k == 0 {
			role = 1
		}
		data = append(data, participant{PID: p.PID, PInfo: sw.pinfo(p, role, at)})
	}
	sw.notify(at, "ParticipantsNotify", -1, 0, `"data":`+mustJSON(data))
}

func (sw *sceneWriter) attendees(at time.Duration) {
	type attendee struct {
		Mode         int    `json:"mode"`
		UserUUID     string `json:"userUUID"`
		Name         string `json:"name"`
		Phone        string `json:"phone"`
		AccountID    string `json:"accountId"`
		Role         int    `json:"role"`
		IsMute       int    `json:"isMute"`
		IsAutoInvite int    `json:"isAutoInvite"`
		Type         string `json:"type"`
		OrgID        string `json:"orgID"`
		ThirdAccount string `json:"thirdAccount"`
		Email        string `json:"email"`
	}
	var data []attendee
	for k, p := range sw.people {
		role := 0
		if k == 0 {
			role = 1
		}
		data = append(data, attendee{UserUUID: p.PID, Name: p.Name, Phone: "+9911128340" + p.PID[:7], AccountID: p.Account,
			Role: role, Type: "normal", OrgID: "58213", ThirdAccount: p.Account, Email: p.Account + "@example.com"})
	}
	sw.notify(at, "AttendeesNotify", -1, 0, `"data":`+mustJSON(data))
}

func (sw *sceneWriter) speakers(at time.Duration) {
	type speaker struct {
		PID    string `json:"pid"`
		Name   string `json:"name"`
		Volume int    `json:"speakingVolume"`
	}
	var data []speaker
	for _, k := range sw.rng.Perm(len(sw.people))[:min(3, len(sw.people))] {
		data = append(data, speaker{PID: sw.people[k].PID, Name: sw.people[k].Name, Volume: 10 + sw.rng.IntN(80)})
	}
	sw.notify(at, "SpeakerChangeNotify", -1, 0, `"data":`+mustJSON(data))
}

// increment writes one change of the steady stream.
func (sw *sceneWriter) increment(at time.Duration) {
	switch r := sw.rng.IntN(100); {
	case r < 50:
		sw.speakers(at)
	case r < 88 || (r < 95 && len(sw.people) >= 12) || (r >= 95 && len(sw.people) <= 2):
		k := sw.rng.IntN(len(sw.people))
		p := &sw.people[k]
		change := map[string]string{}
		if sw.rng.IntN(2) == 0 {
			p.Muted = !p.Muted
			change["MUTE"] = bit(p.Muted)
		} else {
			p.Hand = !p.Hand
			change["HAND"] = bit(p.Hand)
		}
		sw.participantsDelta(at, participant{PID: p.PID, PInfo: change})
	case r < 95:
		p := sw.join()
		sw.participantsDelta(at, participant{PID: p.PID, PInfo: sw.pinfo(p, 0, at)})
	default:
		k := 1 + sw.rng.IntN(len(sw.people)-1) // the host stays
		p := sw.people[k]
		sw.people = append(sw.people[:k], sw.people[k+1:]...)
		sw.participantsDelta(at, participant{PID: p.PID, Mode: 1})
	}
}

func (sw *sceneWriter) participantsDelta(at time.Duration, items ...participant) {
	sw.pver++
	sw.notify(at, "ParticipantsNotify", int64(sw.pver), 1, `"data":`+mustJSON(items))
}
