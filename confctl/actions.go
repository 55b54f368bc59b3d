package confctl

// Action names carried in the "action" member of every frame.
//
// The first three name client requests and the server's replies to them;
// the rest name server notifications.
const (
	// ActionSubscribe is the client's subscription request and its reply.
	ActionSubscribe = "Subscribe"
	// ActionHeartBeat is the client's keep-alive request and its echo.
	ActionHeartBeat = "HeartBeat"
	// ActionConfControl is a client control request (e.g. live captions)
	// and its reply.
	ActionConfControl = "ConfControl"

	// ActionConfBasicInfo carries basic meeting data; always a full snapshot.
	ActionConfBasicInfo = "ConfBasicInfoNotify"
	// ActionConfDynamicInfo carries meeting state (lock, mute, layout, end).
	ActionConfDynamicInfo = "ConfDynamicInfoNotify"
	// ActionParticipants carries the people in the meeting, keyed by pid.
	ActionParticipants = "ParticipantsNotify"
	// ActionAttendees carries the people invited when the meeting was booked.
	ActionAttendees = "AttendeesNotify"
	// ActionSpeakerChange carries the (up to three) loudest sites.
	ActionSpeakerChange = "SpeakerChangeNotify"
	// ActionInviteResult carries call results and leave reasons.
	ActionInviteResult = "InviteResultNotify"
	// ActionRealTimeSubtitle carries live captions; its version and
	// createTime are JSON strings.
	ActionRealTimeSubtitle = "RealTimeSubtitleNotify"
	// ActionWaitingList carries waiting-room members.
	ActionWaitingList = "WaitingListNotify"
	// ActionInterpreterGroup carries simultaneous-interpretation groups.
	ActionInterpreterGroup = "InterpreterGroupNotify"

	// ActionNetCondition carries per-site media quality. It is a legacy
	// kind, absent from the current subscribe list.
	ActionNetCondition = "NetConditionNotify"
	// ActionCustomMultiPic is named in official examples only; it has no
	// published schema.
	ActionCustomMultiPic = "CustomMultiPicNotify"
	// ActionNetworkQuality is named in official examples only; it has no
	// published schema.
	ActionNetworkQuality = "NetworkQualityNotify"
)

// REST and WebSocket endpoints.
const (
	// DefaultAPIURL is the REST host used by all official examples.
	DefaultAPIURL = "https://api.meeting.huaweicloud.com"
	// ConfTokenPath is the CreateConfToken endpoint (meeting-control token).
	ConfTokenPath = "/v1/mmc/control/conferences/token"
	// WSTokenPath is the CreateWebSocketToken endpoint (single-use,
	// 60-second token for opening the socket).
	WSTokenPath = "/v1/mmc/control/conferences/wsToken"
	// ConnectPath is appended to the wsURL returned by CreateConfToken to
	// open the push channel. See ConnectURL.
	ConnectPath = "/cms/open/websocket/confctl/increment/conn"
)

// DefaultSubscribeTypes returns the notification kinds that the current
// documentation lists for Subscribe, in documentation order. It returns a
// fresh slice on every call, so callers may modify it.
func DefaultSubscribeTypes() []string {
	return []string{
		ActionConfBasicInfo,
		ActionConfDynamicInfo,
		ActionParticipants,
		ActionAttendees,
		ActionSpeakerChange,
		ActionInviteResult,
		ActionRealTimeSubtitle,
		ActionWaitingList,
		ActionInterpreterGroup,
	}
}

// IsReplyAction reports whether action names a client request, so that a
// frame from the server carrying it is a reply (Subscribe, HeartBeat,
// ConfControl).
func IsReplyAction(action string) bool {
	switch action {
	case ActionSubscribe, ActionHeartBeat, ActionConfControl:
		return true
	}
	return false
}
