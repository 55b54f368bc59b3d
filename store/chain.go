package store

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
)

// Hash is a SHA-256 digest, the link of a meeting's hash chain.
type Hash [sha256.Size]byte

func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// MarshalText encodes h as lowercase hex.
func (h Hash) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText decodes lowercase or uppercase hex.
func (h *Hash) UnmarshalText(b []byte) error {
	if len(b) != 2*len(h) {
		return fmt.Errorf("decode hash: want %d hex digits, got %d", 2*len(h), len(b))
	}
	_, err := hex.Decode(h[:], b)
	return err
}

// ChainStart is the link before a meeting's first frame: SHA-256 of
// "confrec chain v1\x00" followed by the meeting ID.
func ChainStart(meeting string) Hash {
	h := sha256.New()
	h.Write([]byte("confrec chain v1\x00"))
	h.Write([]byte(meeting))
	var out Hash
	h.Sum(out[:0])
	return out
}

// ChainNext returns the link after f:
//
//	SHA-256(prev || seq u64 || time ns i64 || session u32 || dir u8 || opcode u8 || len(payload) u64 || payload)
//
// with integers big-endian. Anyone holding an export of the frames can
// recompute the chain without confrec.
func ChainNext(prev Hash, f *Frame) Hash {
	return chainNext(sha256.New(), prev, f)
}

// chainNext is ChainNext with a SHA-256 digest to reuse (reset here).
func chainNext(h hash.Hash, prev Hash, f *Frame) Hash {
	var hdr [sha256.Size + 8 + 8 + 4 + 1 + 1 + 8]byte
	copy(hdr[:], prev[:])
	b := hdr[sha256.Size:]
	binary.BigEndian.PutUint64(b[0:], f.Seq)
	binary.BigEndian.PutUint64(b[8:], uint64(f.Time.UnixNano()))
	binary.BigEndian.PutUint32(b[16:], f.Session)
	b[20] = byte(f.Dir)
	b[21] = byte(f.Op)
	binary.BigEndian.PutUint64(b[22:], uint64(len(f.Payload)))
	h.Reset()
	h.Write(hdr[:])
	h.Write(f.Payload)
	var out Hash
	h.Sum(out[:0])
	return out
}

// Verify recomputes the meeting's hash chain over every stored frame and
// compares it with the head in the meeting's metadata. It returns nil when they
// match and a *ChainError naming the first frame found wrong otherwise.
// It checks the frames the metadata counts when Verify starts: frames
// recorded while it runs are left for the next call.
func (db *DB) Verify(meeting string) error {
	m, err := db.Meeting(meeting)
	if err != nil {
		return err
	}
	c, err := db.Frames(meeting, nil)
	if err != nil {
		return err
	}
	defer c.Close()
	head := ChainStart(meeting)
	digest := sha256.New()
	var seq uint64
	var beyond *Frame // the first frame past m's count
	for c.Next() {
		f := c.Frame()
		if f.Seq != seq+1 {
			return &ChainError{Meeting: meeting, Seq: seq + 1, Time: f.Time, Err: fmt.Errorf("%w: found frame %d where %d was expected", ErrSequence, f.Seq, seq+1)}
		}
		if f.Seq > m.Frames {
			beyond = &f
			break
		}
		seq = f.Seq
		head = chainNext(digest, head, &f)
	}
	if err := c.Err(); err != nil {
		var ce *ChainError
		if errors.As(err, &ce) {
			return err
		}
		return fmt.Errorf("verify meeting %s: %w", meeting, err)
	}
	if seq != m.Frames {
		return &ChainError{Meeting: meeting, Seq: seq + 1, Err: fmt.Errorf("%w: metadata counts %d frames, %d stored", ErrSequence, m.Frames, seq)}
	}
	if beyond != nil {
		// A frame is committed with the metadata that counts it, so a frame
		// past the count read above is damage only if the metadata still
		// does not count it; otherwise it was recorded while Verify ran.
		now, err := db.Meeting(meeting)
		if err != nil {
			return err
		}
		if now.Frames <= m.Frames {
			return &ChainError{Meeting: meeting, Seq: beyond.Seq, Time: beyond.Time, Err: fmt.Errorf("%w: frame %d stored, metadata counts %d frames", ErrSequence, beyond.Seq, now.Frames)}
		}
	}
	if head != m.ChainHead {
		return &ChainError{Meeting: meeting, Seq: seq, Err: ErrChainHead}
	}
	return nil
}
