// Package discover records every running meeting of an enterprise without
// anyone naming it: the always-on side of confrec.
//
// # Basics
//
// New returns a Discoverer for a store.DB and Options: the App ID and App
// Key that authenticate the enterprise's application, the poll interval,
// the operator's Passwords file and the subject and organizer filters, and
// a recorder.Options template for every meeting. Discoverer.Run
// authenticates (confctl.Client.AppAuth, renewed before it expires), then
// at every poll pages through the online list and starts recorder.Record
// for each meeting in "Created" that is selected and not recorded yet,
// each on its own goroutine, until its context is done.
//
// A meeting's host password comes from the Passwords file (by conferenceID
// or vmrConferenceID; 0600 or stricter, re-read when it changes), else from
// the chair entry of passwordEntry in the online list or the meeting's
// details. A meeting with neither is unrecordable: logged once with the
// reason, counted, and tried again at each poll (its details are asked
// once per run of the meeting: the passwords file and the online list at
// each poll).
//
// Discoverer.WebhookHandler receives the enterprise's callbacks (checked
// with the App Key, stale and replayed ones refused): "meeting.started"
// starts a recording at once; polling stays the source of truth.
// Discoverer.Ready tells whether the last poll succeeded, and an Observer
// is told of polls, failures and counts, for metrics.
//
// A fleet of recorders shares the meetings through a Claimer
// (Options.Claimer; natsfeed.Leases is one): a meeting is recorded only
// once claimed, its recording stops when its Claim is lost, and the Claim
// is released when the recording ends. The meetings the Claimer names on
// Freed (their recorder died) are looked at at once, as a webhook's.
//
// # Caveats
//
// The Discoverer does not end a recording itself: a recording ends when its
// meeting's socket says the meeting ended, its Claim is lost, or Run's
// context is done. A
// meeting whose recording ended is not started again for as long as the
// online list names the same run of it (conferenceID, confUUID, start
// time).
package discover
