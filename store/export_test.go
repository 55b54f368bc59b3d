package store

import "encoding/binary"

// Internals re-exported for the store_test package. Compiled only in tests.
var (
	AppendRecord = appendRecord
	AppendEntry  = appendEntry
	FrameKey     = frameKey
	RootBucket   = rootBucket
	FramesBucket = framesBucket
	MetaKey      = metaKey
)

// Record types and sizes, for tests that damage stored records.
const (
	RecFrameV1 = recFrameV1
	RecBlockV2 = recBlockV2
)

// EntryInfo is where a type 2 entry lies in its block's value, and the
// values its encoding depends on.
type EntryInfo struct {
	Seq, KeySeq                uint64
	Time, KeyTime, PrevTime    int64
	Start, Time0, Session, End int // offsets in the value: entry, time field, session field, end
}

// BlockEntries parses the entries of an intact type 2 block.
func BlockEntries(key, v []byte) []EntryInfo {
	keySeq := binary.BigEndian.Uint64(key[8:])
	kt := int64(binary.BigEndian.Uint64(key))
	prev := kt
	var out []EntryInfo
	for off := 1; off < len(v); {
		en, ok := parseEntry(v[off:], keySeq, prev)
		if !ok {
			panic("BlockEntries: damaged block")
		}
		if len(out) > 0 {
			kt = max(kt, en.time)
		}
		_, n := binary.Uvarint(v[off:])
		_, n2 := binary.Varint(v[off+n:])
		out = append(out, EntryInfo{Seq: en.seq, KeySeq: keySeq, Time: en.time, KeyTime: kt, PrevTime: prev,
			Start: off, Time0: off + n, Session: off + n + n2, End: off + en.size})
		prev = en.time
		off += en.size
	}
	return out
}

// SetBlockMax sets the block size bound and returns a function restoring it.
// Tests that call it must not run in parallel with others.
func SetBlockMax(n int) (restore func()) {
	old := blockMax
	blockMax = n
	return func() { blockMax = old }
}

// Commits returns how many transactions db's writer has committed.
func Commits(db *DB) uint64 { return db.commits.Load() }
