// Package confctl holds the protocol knowledge of Huawei Cloud Meeting's
// meeting-control ("confctl") WebSocket push channel, shared by the recorder
// (the client) and the replay stand-in server: frame envelopes, action
// names, request and reply builders, the REST token client and secret
// handling. It knows nothing of storage, and it does not dial or serve
// WebSockets itself.
//
// # Basics
//
// The channel is opened in three steps. [Client.ConfToken] exchanges the
// host password for a 30-minute meeting-control token (a [ConfToken], whose
// Token and TmpWSToken are [Secret]s). [Client.WSToken] exchanges that token
// for a single-use, 60-second WebSocket token. [ConnectURL] joins
// ConfToken.WSURL, [ConnectPath] and both IDs into the URL to dial.
//
// On the socket the client sends [NewSubscribe], then [NewHeartBeat] (with
// a [HeartBeatSequence]) at least every 180 s (60 s recommended). The
// server answers with [NewReply] and [NewHeartBeatReply], then pushes
// notifications whose action is one of the Action* constants
// ([DefaultSubscribeTypes] lists the documented ones).
// A server parses a Subscribe with [ParseSubscribe] and [ParseConfToken].
//
// [DecodeEnvelope] reads the header every frame shares into an [Envelope];
// [IsReply] and [IsNotification] tell the frame families apart, and
// [DataObject] unwraps data that requests send double-encoded as a string.
// Payloads are left raw for the caller to decode, except for two facts a
// recorder needs: [BasicInfoTitle] reads a ConfBasicInfoNotify's title and
// [DynamicInfoDestroyed] tells a ConfDynamicInfoNotify that ends the meeting.
//
// [Secret] and [Redactor] keep credentials out of logs, errors and the
// store; [APIError], [ErrMeetingNotRunning] and the other errors classify
// failures. The examples show typical use.
//
// # Caveats
//
// Decoding is tolerant by design, because the documentation and its own
// examples disagree on types: a member of an unexpected type is left at its
// zero value, so callers must treat zero values as "absent or unusable", not
// as "zero".
//
// A Secret prints, logs and marshals as "[redacted]", but frames built by
// NewSubscribe and URLs built by ConnectURL hold secrets in the clear: pass
// them through a Redactor ([Redactor.Redact], [Redactor.RedactURL]) before
// logging or storing them.
package confctl
