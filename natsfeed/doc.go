// Package natsfeed carries what recorders store to a NATS JetStream stream,
// and from the stream into an archive: a confrec database like any other.
//
// # Basics
//
// The recorder's own database stays its write-ahead buffer. A [Publisher]
// follows it (store.DB.Committed) and publishes each committed frame, and
// each session's beginning and end, to the stream [StreamName] on the
// subject [Subject] of its meeting; once JetStream has acknowledged them
// it marks them in the meeting's labels ([LabelPublished]), so that a
// restart, or NATS coming back after an outage, goes on from there in
// order and nothing is published twice under another ID. With
// [PublisherOptions] Trim it deletes from the recorder's database the
// meetings all of which are acknowledged.
//
// An [Archiver] consumes the stream with a durable consumer into its own
// database and acknowledges a message only after the commit that holds
// it. It keeps, per meeting, recorder and epoch (when the recorder's
// database made the meeting), the last frame it stored and the recorder's
// hash-chain link after it ([LabelSource]): a frame delivered again is
// skipped, a frame whose link does not follow is reported and not stored,
// a frame that comes before the ones it follows (a recorder published
// again after a server died) is handed back to the stream until they are
// stored ([ArchiverOptions] GapWait), and each recorder's session becomes
// a session of the archive with the recorder named in its attributes.
//
// [Leases] (lease.go) share the meetings of an enterprise among the
// recorders of a fleet: a recorder claims a meeting before recording it
// with a lease in the key-value bucket [LeaseBucket] (key [LeaseKey] of
// the conference ID, value the recorder ID, renewed every third of its
// TTL, deleted when the recording ends), so that one recorder records it
// at a time; the leases of a recorder that dies expire and the others take
// its meetings over. Heartbeats and rendezvous hashing spread the meetings
// over the live recorders.
//
// The wire (message.go): one message per frame, its bytes the exact
// payload, its headers the meeting, recorder, session, seq, receive time,
// direction, opcode and chain link; Nats-Msg-Id makes a republish a
// duplicate. A frame larger than [ChunkSize] goes as several messages,
// reassembled exactly by the Archiver.
//
// # Map
//
//   - stream.go: the stream (EnsureStream) and its duplicate window.
//   - message.go: the wire, one message per frame or chunk and per
//     session event, and its decoding.
//   - publisher.go: Publisher, a recorder's database to the stream.
//   - archiver.go: Archiver, the stream to an archive database.
//   - lease.go: Leases, which recorder of a fleet records each meeting.
//
// # Caveats
//
// JetStream acknowledges a publish before its file store syncs to disk
// unless the server syncs always: an archive that must survive a power
// loss runs its NATS servers with sync_interval: always and the stream
// replicated (Replicas 3). See EnsureStream.
//
// Leases need NATS: while it does not answer, no recorder claims a new
// meeting, and the recordings under way go on. Their bucket keeps the
// markers of expired keys (nats-server 2.11 or later).
package natsfeed
