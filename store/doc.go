// Package store keeps recorded WebSocket frames in an embedded bbolt database,
// one top-level bucket per meeting, and proves with a hash chain that nothing
// stored was changed afterwards.
//
// The store knows nothing of the meeting protocol: a [Frame] is a time, a
// session number, a direction, a WebSocket opcode and the exact payload bytes.
// Meaning is given one layer up (package confctl, replay, export). Nor does it
// see secrets: callers redact them before they queue a frame or a session.
//
// # Basics
//
// [Open] returns a [*DB], which lives until [DB.Close]. A writable DB holds
// the file's exclusive lock (a second writable Open fails with [ErrLocked])
// and owns a writer that group-commits: one bbolt transaction carries every
// frame queued since the last commit, and [Options.FlushInterval] bounds how
// long a queued frame waits. [DB.Enqueue] queues a frame and returns at
// once; [DB.Append], [DB.BeginSession], [DB.EndSession] and [DB.Flush]
// return once the commit holding their work is synced to disk.
//
// For monitoring, [Options.OnCommit] is told of every commit ([CommitStats]:
// its time, frames and bytes), [DB.QueuedFrames] says how many frames wait
// for one, and [DB.CheckWritable] whether writes can still succeed.
//
// A meeting ([Meeting]) has frames, numbered from 1 by the store in the order
// they were queued, and sessions ([Session]): one per connection the recorder
// made. Frames are stored in blocks of consecutive frames, each frame with its
// own seq, time and CRC, keyed by receive time. [DB.Frames] returns a
// [*Cursor] over a meeting's frames, seeking by time; it lives until its
// Close and does not hold a transaction open. [DB.Verify] recomputes a
// meeting's hash chain ([ChainNext]) and compares it with the head kept in
// the meeting's metadata.
//
// A meeting under a legal hold ([DB.SetHold], [Hold]) cannot be deleted:
// [DB.DeleteMeeting] refuses it with [ErrHeld] until [DB.ReleaseHold].
// Deleting frees pages but never shrinks the file; [Compact] rewrites it
// without them (and, with [CompactOptions] Compress, in zstd blocks), only
// while no writer holds the database.
//
// The process that holds a DB can answer others' reads without a copy:
// [DB.Reader] is a read-only handle on the open file with its own context,
// and [DB.Committed] a channel closed at the next commit, on which a
// follower waits (a [*Cursor] that reached the end returns the frames
// committed since on its next Next).
//
// To read a database while a writer holds it, the writer listens with
// [ListenSnapshotSocket] on a unix socket private to its user
// ([SnapshotSocket]). There it serves consistent copies ([DB.WriteTo]),
// which a reader of the same user fetches with [FetchSnapshotFor], and
// answers the requests its caller registered with [SnapshotServer.Handle],
// which a reader sends after [DialRecorder].
//
// The examples are the best way to understand the API.
package store
