// Package store keeps recorded WebSocket frames in an embedded bbolt database,
// one top-level bucket per meeting, and proves with a hash chain that nothing
// stored was changed afterwards.
//
// The store knows nothing of the meeting protocol: a [Frame] is a time, a
// session number, a direction, a WebSocket opcode and the exact payload bytes.
// Meaning is given one layer up (package confctl, replay, export).
//
// # Basics
//
// [Open] returns a [*DB]. Writes go through a writer owned by the DB, which
// group-commits: one bbolt transaction carries every frame queued since the
// last commit, and [Options.FlushInterval] bounds how long a queued frame
// waits. The writer is two goroutines: one prepares a batch (seqs, hash
// chain, blocks) while the other commits the batch before, so that encoding
// overlaps bbolt's work and fsync; batches commit in order. [DB.Enqueue]
// queues a frame and returns at once; [DB.Append], [DB.BeginSession],
// [DB.EndSession] and [DB.Flush] return only after the commit holding their
// work is synced to disk.
//
// A meeting ([Meeting]) has frames, numbered from 1 by the store in the order
// they were queued, and sessions ([Session]): one per connection the recorder
// made. [DB.Frames] returns a [*Cursor] over a meeting's frames, seeking by time.
// [DB.Verify] recomputes a meeting's hash chain ([ChainNext]) and compares it
// with the head kept in the meeting's metadata.
//
// A commit packs each meeting's new frames into blocks of consecutive frames
// (up to half a bbolt page each, a meeting's last block filled up by the
// next commit), keyed by the key time and seq of their first frame, so the
// B+tree works per block rather than per frame. Each frame in a block keeps
// its own seq, time and CRC: damage is still reported at the first bad
// frame. Databases written before blocks (one key per frame) open, read and
// verify as before; new frames are added to them in blocks.
//
// A meeting under a legal hold ([DB.SetHold], [Hold] in [Meeting.Hold]) cannot
// be deleted: [DB.DeleteMeeting] refuses it with [ErrHeld] until
// [DB.ReleaseHold]. Holds and deletes go through the writer like frames, so
// they are ordered with them. Deleting frees pages inside the file but never
// shrinks it; [Compact] rewrites the file without them and swaps it in
// atomically, only while no writer holds the database. With
// [CompactOptions] Compress it also regroups each meeting's frames into
// large blocks compressed with zstd (about a quarter of the payload bytes
// for the notifications' JSON), each frame still with its own seq, time and
// CRC; the writer appends new frames in new uncompressed blocks.
//
// # Caveats
//
// Frames returned by a Cursor are copies: they stay valid after Next and after
// the Cursor is closed. A Cursor reads in short read transactions, so a long
// export does not hold one transaction open and block the writer.
//
// Frame keys sort by receive time and never collide: when the wall clock steps
// back, the key time is held at the last key time while [Frame.Time] keeps the
// clock's reading. A meeting's span and age follow the key times
// ([Meeting.KeySpan]), so the last is never before the first.
//
// bbolt takes an exclusive file lock for a writable DB: a second writable Open
// of the same file fails with [ErrLocked] after [Options.LockTimeout] instead of
// hanging. To read a database while a writer holds it, the writer serves
// consistent copies ([DB.WriteTo]) with [ListenSnapshotSocket] on a unix
// socket in a directory private to its user ([SnapshotSocket]), and a reader
// of the same user copies one with [FetchSnapshotFor] and opens that. The store never sees secrets: callers
// redact them before they queue a frame or a session.
//
// A writable DB maps 1 GiB of address space for its file (not memory: only
// the pages read count in RSS), so that bbolt need not remap it while it
// grows; a process limited with ulimit -v below that cannot open one. The
// file still grows in steps of its own size, up to 16 MiB at a time.
//
// The examples are the best way to understand the API.
package store
