package replay

import (
	"encoding/json"
	"time"
)

// State is a meeting's state at one instant, folded from its frames by a
// Folder. Fields are as the service last said; a field the service never
// sent is zero. The slices are empty, never nil, so that the JSON form
// always has arrays. Times are UTC.
type State struct {
	// At is the instant of the state: for StateAt the one asked for, on
	// the service's clock; for Folder.State the receive time of the last
	// frame folded in.
	At      time.Time   `json:"at"`
	Meeting MeetingInfo `json:"meeting"`
	// Participants are the people in (or being called into) the meeting,
	// by pid order. A site being called (Calling) has not joined yet: its
	// Joined is zero until it connects.
	Participants []Participant `json:"participants"`
	// Speakers are the current loudest speakers, loudest first (at most
	// three per SpeakerChangeNotify); empty when nobody speaks.
	Speakers []Speaker `json:"speakers"`
	// Waiting are the people in the waiting room, by pid order.
	Waiting []Waiting `json:"waiting"`
	// Attendees are the people invited when the meeting was booked, in
	// the order the service listed them.
	Attendees []Attendee `json:"attendees"`
	// Invites are the invite results and leave reasons seen, oldest first.
	Invites []InviteResult `json:"invites"`
}

// MeetingInfo is the meeting itself: ConfBasicInfoNotify and
// ConfDynamicInfoNotify.
type MeetingInfo struct {
	ConfID         string    `json:"conf_id"`
	Title          string    `json:"title,omitempty"`
	Owner          string    `json:"owner,omitempty"`
	ScheduledStart time.Time `json:"scheduled_start,omitzero"`
	ActualStart    time.Time `json:"actual_start,omitzero"`
	// State is "Schedule", "Created" or "Destroyed".
	State string `json:"state,omitempty"`
	// Mode is the layout mode: FREE, FIXED, ROLLCALL or BROADCAST.
	Mode        string `json:"mode,omitempty"`
	Locked      bool   `json:"locked"`
	MuteAll     bool   `json:"mute_all"`
	LockSharing bool   `json:"lock_sharing"`
	Recording   bool   `json:"recording"`
	Captions    bool   `json:"captions"`
	// Dynamic holds every ConfDynamicInfoNotify field as last sent, raw
	// (the header members action, version, createTime, msgID, msgMode and
	// confID excepted).
	Dynamic map[string]json.RawMessage `json:"dynamic,omitempty"`
}

// Role names used in Participant.Role and events.
const (
	RoleHost        = "host"
	RoleCoHost      = "co-host"
	RoleParticipant = "participant"
	RoleAudience    = "audience"
)

// Participant is one site in the meeting (ParticipantsNotify).
type Participant struct {
	PID  string `json:"pid"`
	Name string `json:"name"`
	// Role is RoleHost, RoleCoHost, RoleParticipant or RoleAudience.
	Role    string `json:"role"`
	Muted   bool   `json:"muted"`
	Camera  bool   `json:"camera"`
	Hand    bool   `json:"hand"`
	Sharing bool   `json:"sharing"`
	// Calling is true while the site is being called (STATE "1").
	Calling    bool   `json:"calling,omitempty"`
	ClientType string `json:"client_type,omitempty"`
	// Joined is when this presence began (the event time of its join).
	Joined time.Time `json:"joined"`
	// Attrs holds every pinfoMap key as last sent.
	Attrs map[string]string `json:"attrs,omitempty"`
}

// Speaker is one of the current loudest speakers.
type Speaker struct {
	PID    string `json:"pid"`
	Name   string `json:"name,omitempty"`
	Volume int    `json:"volume"`
}

// Waiting is one person in the waiting room.
type Waiting struct {
	PID   string            `json:"pid"`
	Name  string            `json:"name,omitempty"`
	Attrs map[string]string `json:"attrs,omitempty"`
}

// Attendee is one person invited when the meeting was booked.
type Attendee struct {
	UserUUID string `json:"user_uuid,omitempty"`
	// ParticipantID keys the attendee when it has no UserUUID.
	ParticipantID string `json:"participant_id,omitempty"`
	Name          string `json:"name,omitempty"`
	// Role is RoleHost or RoleParticipant.
	Role string `json:"role,omitempty"`
	Type string `json:"type,omitempty"`
}

// InviteResult is the outcome of a call to a site, or why a site left.
type InviteResult struct {
	Time       time.Time `json:"time"`
	CallNumber string    `json:"call_number"`
	// PID and Name are the participant with that number (TEL), if any.
	PID  string `json:"pid,omitempty"`
	Name string `json:"name,omitempty"`
	Code string `json:"code"`
	// Meaning is the code in words (InviteResultMeaning).
	Meaning string `json:"meaning"`
}
