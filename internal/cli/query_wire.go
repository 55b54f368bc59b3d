package cli

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/confrec/confrec/store"
)

// A query is a read command that the recorder holding the database runs on
// its open database for another confrec process, streaming the answer back
// over the recorder's socket (store.SnapshotServer.Handle): nothing is
// copied. After the client's request line "QUERY confrec/2 VERSION":
//
//	server: "OK confrec/2 VERSION\n", or "ERR message\n" and the end
//	client: one frame 'q', the JSON queryRequest
//	server: frames 'o' (stdout), 'e' (stderr), 'F' (the -o file begins),
//	        'f' (its bytes), 'C' (it is complete), 'k' (still working),
//	        and last 'x' (the exit code, in decimal)
//
// A frame is its kind (one byte), its length (four bytes, big endian) and
// its bytes. The client ends a query early by closing the connection.
const (
	queryVerb  = "QUERY"
	queryProto = "confrec/2"

	// maxQueryFrame bounds one frame's bytes.
	maxQueryFrame = 1 << 20
	// maxQueryInput bounds an input file (a key, a manifest) a query carries.
	maxQueryInput = 1 << 20
	// queryBuffer is how many bytes of frames the server gathers before it
	// sends them; queryFlushDelay how long a smaller part may wait.
	queryBuffer     = 64 << 10
	queryFlushDelay = 5 * time.Millisecond
)

// The frame kinds.
const (
	frameRequest    = 'q'
	frameStdout     = 'o'
	frameStderr     = 'e'
	frameFileBegin  = 'F'
	frameFile       = 'f'
	frameFileCommit = 'C'
	frameKeepalive  = 'k'
	frameExit       = 'x'
)

// queryTimeouts are the waits of the query protocol. They are variables so
// that the tests can shorten them.
var queryTimeouts = struct {
	// stall cuts a client off that takes no bytes for this long: a slow
	// reader costs the recorder a bounded buffer, never a stall.
	stall time.Duration
	// keepalive is how often the server says it is still working; a
	// client that hears nothing for four of them gives up.
	keepalive time.Duration
}{stall: store.SnapshotStallTimeout, keepalive: 5 * time.Second}

// frameWriter sends frames on a connection, gathering small ones: what is
// written goes out once queryBuffer bytes wait or queryFlushDelay after the
// first of them. Every send must finish within queryTimeouts.stall. After
// a failed send every write fails with the same error. It is safe for
// concurrent use.
type frameWriter struct {
	mu    sync.Mutex
	conn  net.Conn
	buf   []byte
	timer *time.Timer // armed while bytes wait
	err   error
}

func newFrameWriter(conn net.Conn) *frameWriter {
	w := &frameWriter{conn: conn}
	w.timer = time.AfterFunc(time.Hour, func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.flushLocked()
	})
	w.timer.Stop()
	return w
}

// write queues a frame of kind with p, split into frames of at most
// maxQueryFrame bytes.
func (w *frameWriter) write(kind byte, p []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	for first := true; first || len(p) > 0; first = false {
		n := min(len(p), maxQueryFrame)
		w.buf = append(w.buf, kind)
		w.buf = binary.BigEndian.AppendUint32(w.buf, uint32(n))
		w.buf = append(w.buf, p[:n]...)
		p = p[n:]
		if len(w.buf) >= queryBuffer {
			if err := w.flushLocked(); err != nil {
				return err
			}
		}
	}
	if len(w.buf) > 0 {
		w.timer.Reset(queryFlushDelay)
	}
	return nil
}

// flush sends what waits.
func (w *frameWriter) flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.flushLocked()
}

func (w *frameWriter) flushLocked() error {
	w.timer.Stop()
	if w.err != nil || len(w.buf) == 0 {
		return w.err
	}
	w.conn.SetWriteDeadline(time.Now().Add(queryTimeouts.stall))
	_, err := w.conn.Write(w.buf)
	w.buf = w.buf[:0]
	if err != nil {
		w.err = fmt.Errorf("the reader took nothing for %v, or went away: %w", queryTimeouts.stall, err)
	}
	return w.err
}

// stop ends the timer; what waits is dropped.
func (w *frameWriter) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.timer.Stop()
	if w.err == nil {
		w.err = net.ErrClosed
	}
}

// stream is an io.Writer of frames of one kind.
type stream struct {
	w    *frameWriter
	kind byte
}

func (s stream) Write(p []byte) (int, error) {
	if err := s.w.write(s.kind, p); err != nil {
		return 0, err
	}
	return len(p), nil
}

// readFrame reads one frame of at most max bytes.
func readFrame(r *bufio.Reader, max int) (kind byte, p []byte, err error) {
	var hdr [5]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(hdr[1:])
	if int64(n) > int64(max) {
		return 0, nil, fmt.Errorf("a frame of %d bytes, more than %d", n, max)
	}
	p = make([]byte, n)
	if _, err := io.ReadFull(r, p); err != nil {
		return 0, nil, noEOF(err)
	}
	return hdr[0], p, nil
}

// noEOF turns io.EOF within a frame into io.ErrUnexpectedEOF.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
