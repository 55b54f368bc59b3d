// Package seal proves, to someone who does not trust confrec, that a recorded
// meeting is still exactly what it was when it was sealed.
//
// # Basics
//
// [Seal] reads a meeting from a store.DB, checks its hash chain and returns a
// [Manifest]: the meeting's ID, title, first and last frame time, frame
// count, session count, the head of its hash chain (store.ChainNext) and the
// SHA-256 of its canonical export ([WriteCanonical]). The manifest is kept
// outside the database, for example by an auditor. Given an Ed25519 private
// key, Seal also signs it ([GenerateKey], [WriteKeyPair], [ReadPrivateKey]).
//
// [VerifyDB] proves that a database still holds exactly what was sealed: it
// recomputes the chain from the stored frames, compares the meeting with the
// manifest and recomputes the export's SHA-256. [VerifyExport] proves the same
// of an exported JSON Lines file without any database: it hashes the bytes
// and recomputes the hash chain from the exported records. Both check the
// signature ([Manifest.Verify]) first.
//
// The canonical export is what `confrec export frames CONFID` writes with no
// options: export.Frames with nil options, JSON Lines of every frame in
// sequence order, each line the fields of interchange.FrameRecord in their
// declared order, times in UTC with nine fraction digits, and a newline after
// every line. The same frames always give the same bytes.
//
// # Caveats
//
// The hash chain covers a frame's sequence number, time, session, direction,
// opcode and payload, not the fields export derives from the payload (action,
// msg_id, size, close code and reason): VerifyExport catches an edit of those
// through the export's SHA-256. A meeting replaced wholesale, with a
// recomputed chain, passes store.DB.Verify; only a manifest kept elsewhere
// catches it. The export's SHA-256 depends on the export format: a manifest
// made by a confrec whose export format differs does not match.
//
// A signed manifest carries its public key. Verifying without a trusted
// public key of one's own proves only that the manifest was not changed
// after it was signed by whoever holds that key; give the key to be sure.
//
// The examples are the best way to understand the API.
package seal
