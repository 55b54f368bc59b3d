// Package confctl holds the protocol knowledge of Huawei Cloud Meeting's
// meeting-control ("confctl") WebSocket push channel, shared by the recorder
// (the client) and the replay stand-in server: frame envelopes, action
// names, request and reply builders, the REST token client and secret
// handling. It knows nothing of storage, and it does not dial or serve
// WebSockets itself.
//
// # Basics
//
// The channel is opened in three steps. Client.ConfToken exchanges the host
// password for a 30-minute meeting-control token (a ConfToken, whose Token
// and TmpWSToken are Secrets). Client.WSToken exchanges that token for a
// single-use, 60-second WebSocket token. ConnectURL joins ConfToken.WSURL,
// ConnectPath and both IDs into the URL to dial.
//
// On the socket the client sends NewSubscribe, then NewHeartBeat with a
// HeartBeatSequence at least every 180 s (60 s recommended). The server
// answers with NewReply and NewHeartBeatReply, then pushes notifications
// whose action is one of the Action* constants (DefaultSubscribeTypes lists
// the documented ones). A server parses a Subscribe with ParseSubscribe and
// ParseConfToken.
//
// DecodeEnvelope reads the header every frame shares into an Envelope:
// action, sequence, msgID, msgMode, version, createTime and the raw data
// member. IsReply and IsNotification tell the frame families apart, and
// DataObject unwraps data that requests send double-encoded as a string.
// Payloads are left raw for the caller to decode.
//
// Secret and Redactor keep credentials out of logs and errors; APIError,
// ErrMeetingNotRunning and the other errors in errors.go classify failures.
// The examples show typical use.
//
// # Caveats
//
// Decoding is tolerant by design, because the documentation and its own
// examples disagree on types: DecodeEnvelope accepts numbers given as
// strings and strings given as numbers, sets members of any other
// unexpected type to their zero value, and ignores unknown members. It
// returns ErrNotJSONObject only when the input is not a JSON object at all
// (including JSON nested deeper than encoding/json's limit of 10000
// levels). Callers must therefore treat zero values as "absent or unusable",
// not as "zero".
//
// Secrets are never stored, printed or logged in the clear: Secret prints,
// logs and marshals as "[redacted]", and Reveal is meant only for putting
// the value on the wire. Frames built by NewSubscribe and URLs built by
// ConnectURL do contain secrets; pass them through a Redactor (Redact,
// RedactURL) before logging or storing them. Redactor markers carry a hash
// of the secret keyed anew in each process ("[redacted:1a2b3c4d]"), so
// sessions can be told apart but no marker can be reversed by guessing. Redact
// works on a frame's JSON structure, so that it finds secrets however they
// are escaped and changes nothing but them (and the meeting passcodes of
// ConfBasicInfoNotify); a short secret counts only as a whole token there,
// while RedactString replaces any occurrence. Errors from
// Client never contain a secret or a request query, but an error unwrapped
// with errors.As from a Redactor.Err wrapper is no longer redacted.
package confctl
