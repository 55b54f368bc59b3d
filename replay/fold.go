package replay

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/confrec/confrec/confctl"
	"github.com/confrec/confrec/store"
)

// Folder folds a meeting's frames, in store order, into its State and the
// Events derived from them. It is a pure function of the frames (and the
// sessions given to it): no I/O, no clock. A Folder is not safe for
// concurrent use.
//
// Only text frames received from the service (store.In) that hold a
// notification change the state. Frames sent by the client, replies to its
// requests and close frames change nothing; a binary frame, a frame that
// is not a JSON object and a notification of an unknown action each yield
// one EventUnknown. A notification whose msgID was seen before yields an
// EventDuplicateMsg and is not folded again.
//
// msgMode 0 replaces a kind's state and anything else merges into it; a
// full ParticipantsNotify or WaitingListNotify is compared with what the
// Folder holds, so that the fresh snapshots after a reconnect yield leaves
// and joins only for the people who really left or came. A participant
// listed as being called (STATE "1") joins when the call connects.
type Folder struct {
	confID   string
	sessions map[uint32]store.Session

	// Stream facts.
	seen      map[uint64]struct{} // FNV-1a hashes of the msgIDs folded
	versions  map[string]int64    // last incremental version per action, this session
	started   bool                // a frame was folded
	finished  bool                // Finish was called
	session   uint32              // session of the last frame
	sessSeq   uint64              // seq of the last frame of that session
	sessTime  time.Time           // receive time of that frame
	sessClose string              // close status the service sent in that session
	last      time.Time           // receive time of the last frame
	skew      time.Duration       // createTime − receive time of the last frame that had a createTime
	endedAt   time.Time           // time of the last EventMeetingEnded not followed by a start

	// State.
	meeting    MeetingInfo
	parts      map[string]*participant
	everJoined map[string]struct{}
	tels       map[string]telEntry // TEL → the last participant with that number
	speakers   []Speaker
	spare      []Speaker // the previous speaker list's array, reused
	waiting    map[string]*Waiting
	attendees  []Attendee
	invites    []InviteResult

	w wireFrame // the frame being folded, reused
}

// participant is a Participant and whether it has joined (a site being
// called has not).
type participant struct {
	Participant
	joined bool
}

// telEntry names the participant that has a TEL.
type telEntry struct{ pid, name string }

// NewFolder returns a Folder for meeting confID. sessions, when known (from
// store.DB.Meeting), let it say how each session ended.
func NewFolder(confID string, sessions []store.Session) *Folder {
	f := &Folder{
		confID:     confID,
		sessions:   make(map[uint32]store.Session, len(sessions)),
		seen:       make(map[uint64]struct{}),
		versions:   make(map[string]int64),
		parts:      make(map[string]*participant),
		everJoined: make(map[string]struct{}),
		tels:       make(map[string]telEntry),
		waiting:    make(map[string]*Waiting),
	}
	f.meeting.ConfID = confID
	f.SetSessions(sessions)
	return f
}

// SetSessions tells the Folder the meeting's sessions as they are now, for
// a fold that follows a meeting while it is recorded: a session begun, or
// one ended, since NewFolder. Give them before the frames of a new session
// and before Finish, and the events are those of a fold of the finished
// meeting.
func (f *Folder) SetSessions(sessions []store.Session) {
	for _, s := range sessions {
		s.URL, s.RemoteAddr, s.Extensions, s.Attrs = "", "", nil, nil // not needed
		f.sessions[s.ID] = s
	}
}

// KnowsSession reports whether the Folder was told of session id
// (NewFolder, SetSessions).
func (f *Folder) KnowsSession(id uint32) bool {
	_, ok := f.sessions[id]
	return ok
}

// SetOffset sets the offset between the service's clock and the receive
// clock (createTime − receive time) that puts events on the service's
// clock until a frame with a createTime gives its own: pass FirstOffset's,
// so that the events before that frame (the first session's start) are on
// the service's clock too. Without it they keep their receive time. It
// has no effect once a frame was folded.
func (f *Folder) SetOffset(d time.Duration) {
	if !f.started {
		f.skew = d
	}
}

// serviceTime returns receive time t on the service's clock, as far as it
// is known: moved by the last offset between createTime and receive time.
func (f *Folder) serviceTime(t time.Time) time.Time { return t.Add(f.skew) }

// stamp is what every event derived from one frame shares.
type stamp struct {
	t, recv time.Time
	seq     uint64
	action  string
}

// personChange is an event of kind about one person, from old to new.
func (s *stamp) personChange(kind EventKind, pid, name, old, new string) Event {
	return Event{Time: s.t, Received: s.recv, Seq: s.seq, Kind: kind, Action: s.action,
		PID: pid, Name: name, Old: old, New: new}
}

// personEvent is an event of kind about one person, with no values.
func (s *stamp) personEvent(kind EventKind, pid, name string) Event {
	return s.personChange(kind, pid, name, "", "")
}

// meetingChange is an event of kind about the meeting or the stream, from
// old to new.
func (s *stamp) meetingChange(kind EventKind, old, new string) Event {
	return s.personChange(kind, "", "", old, new)
}

// meetingEvent is an event of kind about the meeting or the stream, with
// no values.
func (s *stamp) meetingEvent(kind EventKind) Event {
	return s.personChange(kind, "", "", "", "")
}

// unknown is the EventUnknown for a frame the fold cannot use, saying why.
func (s *stamp) unknown(detail string) Event {
	ev := s.meetingEvent(EventUnknown)
	ev.Detail = detail
	return ev
}

// Apply folds one frame and appends the events it derives to dst, returning
// the extended slice. A frame that does not parse, or of an action it does
// not know, yields an EventUnknown and changes nothing else; Apply never
// fails.
//
// Events come in this order: the end of the previous session and the start
// of the frame's (when the frame is of another session), then what the
// stream reveals (a duplicate msgID, a version gap), then the changes.
//
// Every event's Time is on the service's clock (see Event.Time): an event
// whose frame has no createTime (a session's start or end, an unreadable
// frame) gets its receive time moved by the offset between createTime and
// receive time of the last frame that had one, or before any had, by the
// offset given to SetOffset.
func (f *Folder) Apply(dst []Event, fr *store.Frame) []Event {
	if fr == nil {
		return dst
	}
	recv := fr.Time.UTC()
	dst = f.trackSession(dst, fr, recv)
	f.last, f.sessSeq, f.sessTime = recv, fr.Seq, recv
	if fr.Dir != store.In {
		return dst
	}
	st := stamp{t: f.serviceTime(recv), recv: recv, seq: fr.Seq}
	switch fr.Op {
	case store.Text:
	case store.Close:
		f.sessClose = describeClose(fr)
		return dst
	case store.Binary:
		return append(dst, st.unknown(fmt.Sprintf("binary frame of %d bytes", len(fr.Payload))))
	default:
		return append(dst, st.unknown(fmt.Sprintf("frame with opcode %d", fr.Op)))
	}

	w := &f.w
	if err := decodeFrame(fr.Payload, w); err != nil {
		if err == errNotObject {
			return append(dst, st.unknown("not a JSON object"))
		}
		return append(dst, st.unknown("malformed JSON: "+err.Error()))
	}
	if t, ok := epochTime(w.CreateTime); ok {
		st.t = t
		f.skew = t.Sub(recv)
	}
	st.action = w.Action
	if w.Action == "" {
		return append(dst, st.unknown("no action"))
	}
	if confctl.IsReplyAction(w.Action) {
		return dst
	}
	if !knownAction(w.Action) {
		return append(dst, st.unknown("unknown action"))
	}

	if w.MsgID != "" {
		h := hashString(w.MsgID)
		if _, dup := f.seen[h]; dup {
			ev := st.meetingEvent(EventDuplicateMsg)
			ev.Detail = w.MsgID
			return append(dst, ev)
		}
		f.seen[h] = struct{}{}
	}
	if w.MsgMode == 1 {
		if last, ok := f.versions[w.Action]; ok && w.Version != last+1 {
			dst = append(dst, st.meetingChange(EventVersionGap, strconv.FormatInt(last, 10), strconv.FormatInt(w.Version, 10)))
		}
		f.versions[w.Action] = w.Version
	}

	full := w.MsgMode == 0
	switch w.Action {
	case confctl.ActionConfBasicInfo:
		f.foldBasic(w, full)
	case confctl.ActionConfDynamicInfo:
		dst = f.foldDynamic(dst, &st, fr.Payload, full)
	case confctl.ActionParticipants:
		if w.Data == nil {
			return append(dst, noList(&st))
		}
		dst = f.foldParticipants(dst, &st, w.Data, full)
	case confctl.ActionWaitingList:
		if w.Data == nil {
			return append(dst, noList(&st))
		}
		dst = f.foldWaiting(dst, &st, w.Data, full)
	case confctl.ActionAttendees:
		if w.Data == nil {
			return append(dst, noList(&st))
		}
		f.foldAttendees(w.Data, full)
	case confctl.ActionSpeakerChange:
		dst = f.foldSpeakers(dst, &st, w.Data)
	case confctl.ActionInviteResult:
		if w.Data == nil {
			return append(dst, noList(&st))
		}
		dst = f.foldInvites(dst, &st, w.Data, full)
	}
	return dst
}

// noList is the EventUnknown for a list notification without a list.
func noList(st *stamp) Event {
	return st.unknown("no data list")
}

// knownAction reports whether the fold knows action (whether or not it
// keeps state for it).
func knownAction(action string) bool {
	switch action {
	case confctl.ActionConfBasicInfo, confctl.ActionConfDynamicInfo, confctl.ActionParticipants,
		confctl.ActionAttendees, confctl.ActionSpeakerChange, confctl.ActionInviteResult,
		confctl.ActionRealTimeSubtitle, confctl.ActionWaitingList, confctl.ActionInterpreterGroup,
		confctl.ActionNetCondition, confctl.ActionCustomMultiPic, confctl.ActionNetworkQuality:
		return true
	}
	return false
}

// hashString is 64-bit FNV-1a: msgIDs are remembered by hash, 8 bytes
// each, so that a million-frame meeting stays small.
func hashString(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// trackSession emits the end of the previous session and the start of
// fr's when fr belongs to another session than the previous frame.
func (f *Folder) trackSession(dst []Event, fr *store.Frame, recv time.Time) []Event {
	if f.started && fr.Session == f.session {
		return dst
	}
	prev, hadPrev := f.session, f.started && f.session != 0
	var how string
	if hadPrev {
		how = f.describeEnd(prev)
		dst = append(dst, f.sessionEnded(prev, how))
	}
	f.started, f.session, f.sessClose = true, fr.Session, ""
	clear(f.versions)
	if fr.Session == 0 {
		return dst
	}
	ev := Event{Time: f.serviceTime(recv), Received: recv, Seq: fr.Seq, Kind: EventSessionStarted,
		New: strconv.FormatUint(uint64(fr.Session), 10)}
	if s, ok := f.sessions[fr.Session]; ok && !s.Start.IsZero() {
		ev.Time = f.serviceTime(s.Start.UTC())
	}
	if hadPrev {
		ev.Old, ev.Detail = strconv.FormatUint(uint64(prev), 10), how
	}
	return append(dst, ev)
}

// sessionEnded is the EventSessionEnded of session id, the current one.
func (f *Folder) sessionEnded(id uint32, how string) Event {
	ev := Event{Time: f.serviceTime(f.sessTime), Received: f.sessTime, Seq: f.sessSeq, Kind: EventSessionEnded,
		Old: strconv.FormatUint(uint64(id), 10), Detail: how}
	if s, ok := f.sessions[id]; ok && !s.End.IsZero() {
		ev.Time = f.serviceTime(s.End.UTC())
	}
	return ev
}

// describeEnd says how session id (the current one) ended: the reason,
// close status and error the recorder stored, or else the close frame the
// service sent.
func (f *Folder) describeEnd(id uint32) string {
	var parts []string
	s, ok := f.sessions[id]
	if ok && s.Reason != "" {
		parts = append(parts, s.Reason)
	}
	switch {
	case ok && s.CloseCode != 0:
		c := "close " + strconv.Itoa(s.CloseCode)
		if s.CloseReason != "" {
			c += " " + s.CloseReason
		}
		parts = append(parts, c)
	case f.sessClose != "":
		parts = append(parts, f.sessClose)
	}
	if ok && s.Err != "" {
		parts = append(parts, "error: "+s.Err)
	}
	if len(parts) == 0 {
		return "end not recorded"
	}
	return strings.Join(parts, ", ")
}

// describeClose describes a close frame: "close 1000 meeting ended".
func describeClose(fr *store.Frame) string {
	code, reason, ok := fr.CloseStatus()
	if !ok {
		return "close without status"
	}
	c := "close " + strconv.Itoa(int(code))
	if reason != "" {
		c += " " + reason
	}
	return c
}

// Finish ends the fold at the last frame: it appends the events that close
// what is still open (the last session's end, when the sessions given to
// NewFolder say it ended or the service closed it). It returns the
// extended slice. Later calls append nothing.
func (f *Folder) Finish(dst []Event) []Event {
	if f.finished {
		return dst
	}
	f.finished = true
	if !f.started || f.session == 0 {
		return dst
	}
	s, ok := f.sessions[f.session]
	if (ok && !s.End.IsZero()) || f.sessClose != "" {
		dst = append(dst, f.sessionEnded(f.session, f.describeEnd(f.session)))
	}
	return dst
}

// End is when the meeting ended (its EventMeetingEnded), or else when the
// last frame folded arrived: when everyone still present left. Like event
// times it is on the service's clock: the last frame's receive time moved by
// the offset between createTime and receive time last seen (none when no
// frame had a createTime). A meeting that started again after it ended ends
// at the last frame.
func (f *Folder) End() time.Time {
	if !f.endedAt.IsZero() {
		return f.endedAt
	}
	return f.last.Add(f.skew)
}

// State returns a deep copy of the current state.
func (f *Folder) State() *State {
	s := &State{
		At:           f.last,
		Meeting:      f.meeting,
		Participants: make([]Participant, 0, len(f.parts)),
		Speakers:     append([]Speaker{}, f.speakers...),
		Waiting:      make([]Waiting, 0, len(f.waiting)),
		Attendees:    append([]Attendee{}, f.attendees...),
		Invites:      append([]InviteResult{}, f.invites...),
	}
	if f.meeting.Dynamic != nil {
		s.Meeting.Dynamic = make(map[string]json.RawMessage, len(f.meeting.Dynamic))
		for k, v := range f.meeting.Dynamic {
			s.Meeting.Dynamic[k] = append(json.RawMessage(nil), v...)
		}
	}
	for _, p := range f.parts {
		c := p.Participant
		c.Attrs = copyAttrs(p.Attrs)
		s.Participants = append(s.Participants, c)
	}
	sortByPID(s.Participants, func(p *Participant) string { return p.PID })
	for _, w := range f.waiting {
		c := *w
		c.Attrs = copyAttrs(w.Attrs)
		s.Waiting = append(s.Waiting, c)
	}
	sortByPID(s.Waiting, func(w *Waiting) string { return w.PID })
	return s
}

func copyAttrs(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// foldBasic folds a ConfBasicInfoNotify: a full one replaces the four
// fields kept, an incremental one sets those it carries.
func (f *Folder) foldBasic(w *wireFrame, full bool) {
	m := &f.meeting
	if w.Title != nil || full {
		m.Title, _ = lenientString(w.Title)
	}
	if w.Owner != nil || full {
		m.Owner, _ = lenientString(w.Owner)
	}
	if w.StartTime != nil || full {
		m.ActualStart = epochMS(w.StartTime)
	}
	if w.ScheduledStartTime != nil || full {
		m.ScheduledStart = epochMS(w.ScheduledStartTime)
	}
}

// epochMS reads epoch milliseconds given as a number or a string;
// unusable values (see epochTime) give the zero time.
func epochMS(raw json.RawMessage) time.Time {
	n, _ := lenientInt(raw)
	t, _ := epochTime(n)
	return t
}

// maxEpochMS is the last millisecond of year 9999, the last a JSON time
// can hold.
const maxEpochMS = 253402300799999

// epochTime converts epoch milliseconds to a time. Zero, negative and
// values past year 9999 are unusable (false).
func epochTime(ms int64) (time.Time, bool) {
	if ms <= 0 || ms > maxEpochMS {
		return time.Time{}, false
	}
	return time.UnixMilli(ms).UTC(), true
}

// foldDynamic folds a ConfDynamicInfoNotify: a full one replaces every
// field, an incremental one merges the fields it carries. It emits the
// changes of state, lock and recording.
func (f *Folder) foldDynamic(dst []Event, st *stamp, payload []byte, full bool) []Event {
	dyn := decodeDynamic(payload)
	m := &f.meeting
	if full || m.Dynamic == nil {
		if dyn == nil {
			dyn = map[string]json.RawMessage{}
		}
		m.Dynamic = dyn
	} else {
		for k, v := range dyn {
			m.Dynamic[k] = v
		}
	}
	old := *m
	str := func(k string) string { s, _ := lenientString(m.Dynamic[k]); return s }
	m.State = str("state")
	m.Mode = str("mode")
	m.Locked = flag(str("lock"))
	m.MuteAll = flag(str("mute"))
	m.LockSharing = flag(str("lockSharing"))
	m.Recording = flag(str("recState"))
	m.Captions = flag(str("realTimeSubtitle"))

	if m.State != old.State {
		switch m.State {
		case "Created":
			dst = append(dst, st.meetingChange(EventMeetingStarted, old.State, m.State))
			f.endedAt = time.Time{}
		case "Destroyed":
			dst = append(dst, st.meetingChange(EventMeetingEnded, old.State, m.State))
			f.endedAt = st.t
		}
	}
	if m.Locked != old.Locked {
		dst = append(dst, st.meetingEvent(pick(m.Locked, EventMeetingLocked, EventMeetingUnlocked)))
	}
	if m.Recording != old.Recording {
		dst = append(dst, st.meetingEvent(pick(m.Recording, EventRecordingStarted, EventRecordingStopped)))
	}
	return dst
}

// pick returns on when b is true, off otherwise.
func pick(b bool, on, off EventKind) EventKind {
	if b {
		return on
	}
	return off
}
