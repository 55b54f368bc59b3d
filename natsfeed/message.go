package natsfeed

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/confrec/confrec/store"
)

// StreamName is the JetStream stream the recorders publish to.
const StreamName = "CONFREC"

// subjectPrefix begins every subject of the stream.
const subjectPrefix = "confrec.frames."

// ChunkSize is the largest payload one message carries: a larger frame goes
// as several messages (JetStream's default max_payload is 1 MiB, and the
// headers need room too).
const ChunkSize = 512 << 10

// Headers of a message of the stream.
const (
	hdrKind     = "Confrec-Kind" // "frame" or "session"
	hdrConf     = "Confrec-Conf"
	hdrRecorder = "Confrec-Recorder"
	hdrEpoch    = "Confrec-Epoch" // when the recorder's database created the meeting, Unix ns
	hdrSession  = "Confrec-Session"
	hdrSeq      = "Confrec-Seq"  // a frame's; of a session message, the recorder's last frame published before it
	hdrTime     = "Confrec-Time" // Unix nanoseconds
	hdrDir      = "Confrec-Dir"
	hdrOp       = "Confrec-Op"
	hdrSize     = "Confrec-Size"  // the frame's payload length
	hdrChunk    = "Confrec-Chunk" // "K/N", from 1, on a chunked frame
	hdrChain    = "Confrec-Chain" // the recorder's chain link after the frame
	hdrEvent    = "Confrec-Event" // of a session message: "begin" or "end"
)

const (
	kindFrame   = "frame"
	kindSession = "session"
)

// Subject is the subject of meeting's messages: its ID when that is a valid
// subject token, else "_" and the ID in hex.
func Subject(meeting string) string {
	for _, r := range meeting {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-' || r == '_') {
			return subjectPrefix + "_" + hex.EncodeToString([]byte(meeting))
		}
	}
	return subjectPrefix + meeting
}

// ErrNotConfrec marks a message of the stream that confrec did not write,
// or not whole.
var ErrNotConfrec = errors.New("not a confrec message")

// source names where frames come from: a recorder's database's meeting,
// whose epoch (Meeting.Created, Unix ns) tells a meeting the recorder
// deleted and recorded again apart from the one before.
type source struct {
	meeting, recorder string
	epoch             int64
}

// frameMsgs returns the messages of frame f of src, whose chain link after
// it is link: one, or one per ChunkSize of its payload.
func frameMsgs(src source, f *store.Frame, link store.Hash) []*nats.Msg {
	meeting, recorder := src.meeting, src.recorder
	n := max(1, (len(f.Payload)+ChunkSize-1)/ChunkSize)
	msgs := make([]*nats.Msg, n)
	for k := range n {
		m := nats.NewMsg(Subject(meeting))
		h := m.Header
		h.Set(hdrKind, kindFrame)
		h.Set(hdrConf, meeting)
		h.Set(hdrRecorder, recorder)
		h.Set(hdrEpoch, strconv.FormatInt(src.epoch, 10))
		h.Set(hdrSession, strconv.FormatUint(uint64(f.Session), 10))
		h.Set(hdrSeq, strconv.FormatUint(f.Seq, 10))
		h.Set(hdrTime, strconv.FormatInt(f.Time.UnixNano(), 10))
		h.Set(hdrDir, strconv.Itoa(int(f.Dir)))
		h.Set(hdrOp, strconv.Itoa(int(f.Op)))
		h.Set(hdrSize, strconv.Itoa(len(f.Payload)))
		h.Set(hdrChain, link.String())
		// The link is in the ID: a message forged with the ID of a frame
		// not yet published cannot make JetStream drop the real one.
		id := msgID(src, "f", uint64(f.Session), f.Seq) + "/" + link.String()[:16]
		if n > 1 {
			h.Set(hdrChunk, fmt.Sprintf("%d/%d", k+1, n))
			id += "." + strconv.Itoa(k+1)
		}
		h.Set(nats.MsgIdHdr, id)
		m.Data = f.Payload[k*ChunkSize : min(len(f.Payload), (k+1)*ChunkSize)]
		msgs[k] = m
	}
	return msgs
}

// sessionMsg returns the message that says session s of src began or
// (end) ended, published after the recorder's frame after (0: none).
func sessionMsg(src source, s *store.Session, end bool, after uint64) (*nats.Msg, error) {
	meeting, recorder := src.meeting, src.recorder
	b, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	ev := "begin"
	if end {
		ev = "end"
	}
	m := nats.NewMsg(Subject(meeting))
	m.Header.Set(hdrKind, kindSession)
	m.Header.Set(hdrConf, meeting)
	m.Header.Set(hdrRecorder, recorder)
	m.Header.Set(hdrEpoch, strconv.FormatInt(src.epoch, 10))
	m.Header.Set(hdrSession, strconv.FormatUint(uint64(s.ID), 10))
	m.Header.Set(hdrEvent, ev)
	m.Header.Set(hdrSeq, strconv.FormatUint(after, 10))
	m.Header.Set(nats.MsgIdHdr, msgID(src, ev, uint64(s.ID), 0))
	m.Data = b
	return m, nil
}

// msgID is a message's Nats-Msg-Id: the same message published again is
// a duplicate JetStream drops.
func msgID(src source, what string, session, seq uint64) string {
	return fmt.Sprintf("%s/%s/%d/%s/%d/%d", src.recorder, hex.EncodeToString([]byte(src.meeting)), src.epoch, what, session, seq)
}

// part is a decoded message of the stream.
type part struct {
	kind string
	source
	session uint32
	// A frame's:
	frame  store.Frame // Seq, Time, Session, Dir, Op; Payload is this part's bytes
	size   int         // the whole payload's length
	k, n   int         // this chunk, of n (1/1 when not chunked)
	link   store.Hash
	event  string        // a session's: "begin" or "end"
	sess   store.Session // a session's
	after  uint64        // a session's: the recorder's frame published before it
	header nats.Header
}

// decode reads a message of the stream. The error wraps ErrNotConfrec when
// the message is not one a Publisher writes.
func decode(h nats.Header, data []byte) (*part, error) {
	bad := func(format string, args ...any) (*part, error) {
		return nil, fmt.Errorf("%w: %s", ErrNotConfrec, fmt.Sprintf(format, args...))
	}
	p := &part{kind: h.Get(hdrKind), source: source{meeting: h.Get(hdrConf), recorder: h.Get(hdrRecorder)}, header: h}
	if err := store.ValidateMeetingID(p.meeting); err != nil {
		return bad("meeting %q: %v", p.meeting, err)
	}
	if err := ValidRecorderID(p.recorder); err != nil {
		return bad("%v", err)
	}
	var err error
	if p.epoch, err = strconv.ParseInt(h.Get(hdrEpoch), 10, 64); err != nil {
		return bad("epoch %q", h.Get(hdrEpoch))
	}
	sess, err := strconv.ParseUint(h.Get(hdrSession), 10, 32)
	if err != nil {
		return bad("session %q", h.Get(hdrSession))
	}
	p.session = uint32(sess)
	switch p.kind {
	case kindSession:
		p.event = h.Get(hdrEvent)
		if p.event != "begin" && p.event != "end" {
			return bad("session event %q", p.event)
		}
		if err := json.Unmarshal(data, &p.sess); err != nil || p.sess.ID != p.session {
			return bad("session %d: %v", p.session, err)
		}
		if v := h.Get(hdrSeq); v != "" { // absent from a message of an earlier confrec
			if p.after, err = strconv.ParseUint(v, 10, 64); err != nil {
				return bad("session %d: seq %q", p.session, v)
			}
		}
		return p, nil
	case kindFrame:
	default:
		return bad("kind %q", p.kind)
	}
	f := &p.frame
	f.Session = p.session
	if f.Seq, err = strconv.ParseUint(h.Get(hdrSeq), 10, 64); err != nil || f.Seq == 0 {
		return bad("seq %q", h.Get(hdrSeq))
	}
	ns, err := strconv.ParseInt(h.Get(hdrTime), 10, 64)
	if err != nil {
		return bad("time %q", h.Get(hdrTime))
	}
	f.Time = time.Unix(0, ns).UTC()
	dir, err1 := strconv.Atoi(h.Get(hdrDir))
	op, err2 := strconv.Atoi(h.Get(hdrOp))
	if err1 != nil || err2 != nil || dir < 0 || dir > 255 || op < 0 || op > 255 {
		return bad("direction %q or opcode %q", h.Get(hdrDir), h.Get(hdrOp))
	}
	f.Dir, f.Op = store.Direction(dir), store.Opcode(op)
	if p.size, err = strconv.Atoi(h.Get(hdrSize)); err != nil || p.size < 0 {
		return bad("size %q", h.Get(hdrSize))
	}
	p.k, p.n = 1, 1
	if c := h.Get(hdrChunk); c != "" {
		k, n, ok := strings.Cut(c, "/")
		if p.k, err1 = strconv.Atoi(k); !ok || err1 != nil {
			return bad("chunk %q", c)
		}
		if p.n, err2 = strconv.Atoi(n); err2 != nil || p.k < 1 || p.k > p.n || p.n > maxChunks {
			return bad("chunk %q", c)
		}
	}
	if want := min(ChunkSize, p.size-(p.k-1)*ChunkSize); len(data) != want || (p.n == 1 && len(data) != p.size) ||
		p.n != max(1, (p.size+ChunkSize-1)/ChunkSize) {
		return bad("frame %d: %d bytes in chunk %d/%d of a %d-byte frame", f.Seq, len(data), p.k, p.n, p.size)
	}
	if err := p.link.UnmarshalText([]byte(h.Get(hdrChain))); err != nil {
		return bad("chain link: %v", err)
	}
	f.Payload = data
	return p, nil
}

// maxChunks bounds the chunks of one frame: 64 MiB at ChunkSize.
const maxChunks = 128
