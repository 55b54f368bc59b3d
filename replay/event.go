package replay

import "time"

// EventKind names a derived event.
type EventKind string

// Derived events. Old and New of an Event hold the value before and after
// where the kind has one (a role, a speaker volume, a state); the comment
// of each kind says which.
const (
	EventJoined           EventKind = "joined"   // New is the role at join
	EventLeft             EventKind = "left"     // Old is the role at leave
	EventRejoined         EventKind = "rejoined" // joined again after having left; New is the role
	EventMuted            EventKind = "muted"
	EventUnmuted          EventKind = "unmuted"
	EventCameraOn         EventKind = "camera_on"
	EventCameraOff        EventKind = "camera_off"
	EventHandRaised       EventKind = "hand_raised"
	EventHandLowered      EventKind = "hand_lowered"
	EventSharingStarted   EventKind = "sharing_started"
	EventSharingStopped   EventKind = "sharing_stopped"
	EventRoleChanged      EventKind = "role_changed"    // Old and New are roles
	EventSpeakerStarted   EventKind = "speaker_started" // New is the volume
	EventSpeakerStopped   EventKind = "speaker_stopped" // Old is the last volume
	EventMeetingLocked    EventKind = "meeting_locked"
	EventMeetingUnlocked  EventKind = "meeting_unlocked"
	EventRecordingStarted EventKind = "recording_started"
	EventRecordingStopped EventKind = "recording_stopped"
	EventMeetingStarted   EventKind = "meeting_started" // Old and New are states (Created)
	EventMeetingEnded     EventKind = "meeting_ended"   // Old and New are states (Destroyed)
	EventInviteResult     EventKind = "invite_result"   // New is the code, Detail its meaning, CallNumber the number
	EventWaitingJoined    EventKind = "waiting_joined"
	EventWaitingLeft      EventKind = "waiting_left"

	// What the stream itself reveals.
	EventSessionStarted EventKind = "session_started" // a new connection: New its ID, Old the previous one's (Detail: how that ended)
	EventSessionEnded   EventKind = "session_ended"   // a connection ended: Old its ID (Detail: how)
	EventVersionGap     EventKind = "version_gap"     // an incremental version skipped: Old last seen, New received
	EventDuplicateMsg   EventKind = "duplicate_msg"   // a msgID seen before (Detail: the msgID); the frame is not folded again
	EventUnknown        EventKind = "unknown"         // an action the fold does not know, or a frame it could not read (Detail)
)

// Event is one change derived from the frames.
type Event struct {
	// Time is on the service's clock: the createTime of the frame that
	// carried the change, or when it has none (a session's start or end, a
	// frame without one), its receive time moved by the offset between
	// createTime and receive time of the last frame that had one, or
	// before any had, of the first that has one (Folder.Apply,
	// Folder.SetOffset). Without any createTime in the meeting it is the
	// receive time.
	Time time.Time `json:"time"`
	// Received is the receive time of that frame.
	Received time.Time `json:"received"`
	// Seq is the store sequence number of that frame.
	Seq    uint64    `json:"seq"`
	Kind   EventKind `json:"kind"`
	Action string    `json:"action,omitempty"`
	PID    string    `json:"pid,omitempty"`
	Name   string    `json:"name,omitempty"`
	Old    string    `json:"old,omitempty"`
	New    string    `json:"new,omitempty"`
	Detail string    `json:"detail,omitempty"`
	// CallNumber is the called or departing number of an
	// EventInviteResult (PID and Name are set too when a participant of
	// the meeting has that number).
	CallNumber string `json:"call_number,omitempty"`
}
