package store

import (
	"bufio"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The snapshot protocol, version 1, over a unix socket: the client sends the
// request line; the server answers "OK <size>\n" followed by exactly size
// bytes of a bbolt file, then closes, or "ERR <message>\n".
const snapshotRequest = snapshotVerb + " confrec/1"

// snapshotVerb is the first word of a snapshot request.
const snapshotVerb = "SNAPSHOT"

// Limits of the snapshot protocol, the same on both sides.
const (
	// SnapshotDialTimeout bounds how long FetchSnapshot waits to connect.
	SnapshotDialTimeout = 5 * time.Second
	// SnapshotStallTimeout ends a snapshot transfer, on either side, that
	// makes no progress for this long: a stuck reader cannot keep the
	// server's read transaction open, and a stuck server cannot hang a reader.
	SnapshotStallTimeout = 15 * time.Second
	// maxSnapshotLine bounds a request or answer line.
	maxSnapshotLine = 512
	// maxSocketPath is the longest unix socket path every platform takes
	// (sun_path is 104 bytes on the BSDs and macOS, 108 on Linux, with its NUL).
	maxSocketPath = 103
	// socketTempReserve is what ServeSnapshots adds to the socket's directory
	// for the private directory it binds in: "/.sock" and up to ten digits, "/s".
	socketTempReserve = len("/.sock4294967295/s")
)

// WriteTo writes a consistent copy of the whole database to w: a bbolt file
// as of the last committed transaction, which Open can open. Frames queued
// but not yet committed are not in it. It implements io.WriterTo.
//
// The copy is made in one read transaction, held until w has taken every
// byte. A read transaction does not stop commits, but a commit that must grow
// the file's memory map waits for it, and so do the read transactions that
// start after that commit: copy to something fast (a local file), not to a
// slow network peer.
func (db *DB) WriteTo(w io.Writer) (int64, error) {
	var n int64
	cw := &copyWriter{w: w, db: db}
	err := db.view(func(tx *bolt.Tx) error {
		var err error
		n, err = tx.WriteTo(cw)
		return err
	})
	if err != nil {
		// bbolt formats the error of a meta page's write with %s: the
		// writer's own error keeps the chain (context.Canceled among them).
		if cw.err != nil {
			err = cw.err
		}
		return n, fmt.Errorf("copy store %s: %w", db.path, err)
	}
	return n, nil
}

// copyWriter is WriteTo's destination: it fails each write once
// Options.Context is done, and keeps the first error it returned.
type copyWriter struct {
	w   io.Writer
	db  *DB
	err error
}

func (cw *copyWriter) Write(p []byte) (int, error) {
	if cw.err == nil {
		cw.err = cw.db.interrupted()
	}
	if cw.err != nil {
		return 0, cw.err
	}
	n, err := cw.w.Write(p)
	cw.err = err
	return n, err
}

// SnapshotSocket returns the unix socket path on which a recorder of the
// database at dbPath serves snapshots (see ListenSnapshotSocket): the socket
// found in one of its possible directories, else the path at which the
// recorder would try first. The name is a hash of the database's real path
// (symbolic links resolved, made absolute); the directory is private to this
// user: $XDG_RUNTIME_DIR/confrec when $XDG_RUNTIME_DIR is set, else
// confrec-<uid> in os.TempDir(), else confrec in os.UserCacheDir().
func SnapshotSocket(dbPath string) string {
	for _, p := range snapshotSockets(dbPath, true) {
		if fi, err := os.Lstat(p); err == nil && fi.Mode().Type() == fs.ModeSocket {
			return p
		}
	}
	socks := snapshotSockets(dbPath, false)
	for _, p := range socks {
		if err := checkPrivateDir(filepath.Dir(p)); err == nil || errors.Is(err, fs.ErrNotExist) {
			return p
		}
	}
	if len(socks) == 0 {
		return realPath(dbPath) + ".sock"
	}
	return socks[len(socks)-1]
}

// realPath is path with symbolic links resolved, made absolute, as far as
// that can be done.
func realPath(path string) string {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		real = path
	}
	if abs, err := filepath.Abs(real); err == nil {
		real = abs
	}
	return real
}

// snapshotSockets lists where a recorder of dbPath may serve, in the order
// ListenSnapshotSocket tries: a directory of this user's in which no other
// user can create the socket first, with a socket name made from the
// database's real path. Paths too long for a socket are left out. A reader
// also looks where a recorder with the usual $XDG_RUNTIME_DIR and $TMPDIR
// of Linux would have served, in case its own environment differs.
func snapshotSockets(dbPath string, reader bool) []string {
	sum := sha256.Sum256([]byte(realPath(dbPath)))
	name := hex.EncodeToString(sum[:8]) + ".sock"
	uid := strconv.Itoa(os.Getuid())
	var dirs []string
	if rt := os.Getenv("XDG_RUNTIME_DIR"); filepath.IsAbs(rt) {
		dirs = append(dirs, filepath.Join(rt, "confrec"))
	}
	if reader {
		dirs = append(dirs, filepath.Join("/run/user", uid, "confrec"))
	}
	dirs = append(dirs, filepath.Join(os.TempDir(), "confrec-"+uid))
	if reader {
		dirs = append(dirs, filepath.Join("/tmp", "confrec-"+uid))
	}
	if cache, err := os.UserCacheDir(); err == nil && filepath.IsAbs(cache) {
		dirs = append(dirs, filepath.Join(cache, "confrec"))
	}
	var socks []string
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if len(p) <= maxSocketPath && len(d)+socketTempReserve <= maxSocketPath && !slices.Contains(socks, p) {
			socks = append(socks, p)
		}
	}
	return socks
}

// checkPrivateDir returns nil when dir is a directory (not a symbolic link)
// owned by this process's user with mode 0700, else an error that says what
// is wrong, wrapping fs.ErrNotExist when there is nothing at dir.
func checkPrivateDir(dir string) error {
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	switch {
	case !fi.IsDir():
		return fmt.Errorf("%s is not a directory (%s)", dir, fi.Mode().Type())
	case !ownedByMe(fi):
		return fmt.Errorf("%s belongs to another user", dir)
	case fi.Mode().Perm() != 0o700 && privateModes:
		return fmt.Errorf("%s has mode %04o, not 0700", dir, fi.Mode().Perm())
	}
	return nil
}

// makePrivateDir creates dir, mode 0700 whatever the umask, with its
// parents, or checks with checkPrivateDir that the existing one is ours.
func makePrivateDir(dir string) error {
	if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
		return err
	}
	if err := os.Mkdir(dir, 0o700); errors.Is(err, fs.ErrExist) {
		return checkPrivateDir(dir)
	} else if err != nil {
		return err
	}
	return os.Chmod(dir, 0o700)
}

// ListenSnapshotSocket listens for snapshot requests of db (see
// ListenSnapshots) at SnapshotSocket(db.Path()), in a directory that only
// this user can use: it takes the first of the possible directories that it
// can create, or that exists as a directory of this user's, mode 0700, and
// passes over (logging at warn level why) one that another user made, a
// symbolic link, or one open to others. Only clients of this user are
// served.
func ListenSnapshotSocket(db *DB, logger *slog.Logger) (*SnapshotServer, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	socks := snapshotSockets(db.Path(), false)
	if len(socks) == 0 {
		return nil, errors.New("serve snapshots: no directory for the socket gives a path short enough for a unix socket")
	}
	var errs []error
	for _, p := range socks {
		if err := makePrivateDir(filepath.Dir(p)); err != nil {
			logger.Warn("snapshot socket directory refused", "err", err)
			errs = append(errs, err)
			continue
		}
		return ListenSnapshots(db, p, logger)
	}
	return nil, fmt.Errorf("serve snapshots: no private directory for the socket: %w", errors.Join(errs...))
}

// SnapshotServer serves consistent copies of a DB (see WriteTo) on a unix
// socket, so that other processes can read a database that the DB holds
// locked for writing. Create one with ListenSnapshots, then call Serve once;
// a server that will not be served must be closed with Close.
type SnapshotServer struct {
	db       *DB
	path     string
	ln       *net.UnixListener
	fi       fs.FileInfo // the socket as created, to remove only our own
	logger   *slog.Logger
	once     sync.Once
	handlers map[string]RequestHandler // by the request line's first word
}

// A RequestHandler answers one request other than a snapshot on the socket
// of a SnapshotServer (see Handle). line is the request line without its
// newline, and r holds whatever the client sent after it. The client is of
// this process's user (checked as for snapshots). The handler owns conn
// until it returns, then the server closes conn; it is closed early, which
// fails the handler's reads and writes, once Serve's ctx is done. ctx is
// Serve's.
type RequestHandler func(ctx context.Context, conn net.Conn, r *bufio.Reader, line string)

// Handle makes the server answer requests whose line's first word is verb
// with h, beside snapshots. Call it before Serve. A verb that is not a
// single word, or "SNAPSHOT", panics.
func (s *SnapshotServer) Handle(verb string, h RequestHandler) {
	if verb == "" || strings.ContainsAny(verb, " \n") || verb == snapshotVerb {
		panic(fmt.Sprintf("store: Handle(%q): not a verb of its own", verb))
	}
	if s.handlers == nil {
		s.handlers = make(map[string]RequestHandler)
	}
	s.handlers[verb] = h
}

// ListenSnapshots creates the snapshot socket for db at path, in a directory
// the caller chose (ListenSnapshotSocket chooses a private one), and returns a server listening on it: from then
// on clients can connect, and their requests wait for Serve. The socket is
// created mode 0600, owner only, and appears at path only once it has that
// mode. A stale socket left at path by a process that died is replaced;
// anything else at path (a live server, a file that is not a socket) is an
// error. Per-connection failures go to logger (nil discards them), at debug
// level.
func ListenSnapshots(db *DB, path string, logger *slog.Logger) (*SnapshotServer, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	ln, fi, err := listenSocket(path)
	if err != nil {
		return nil, fmt.Errorf("serve snapshots on %s: %w", path, err)
	}
	return &SnapshotServer{db: db, path: path, ln: ln, fi: fi, logger: logger}, nil
}

// ServeSnapshots is ListenSnapshots followed by Serve: it returns an error at
// once when it cannot listen, else nil once ctx is done and the socket is
// gone.
func ServeSnapshots(ctx context.Context, db *DB, path string, logger *slog.Logger) error {
	s, err := ListenSnapshots(db, path, logger)
	if err != nil {
		return err
	}
	return s.Serve(ctx)
}

// Path returns the socket's path.
func (s *SnapshotServer) Path() string { return s.path }

// Serve answers snapshot requests until ctx is done, then closes the
// listener, removes the socket, ends the transfers in flight, waits for their
// goroutines and returns nil. It returns an error if the listener fails for
// another reason (Close was called), after the same cleanup.
//
// Each transfer holds a read transaction of the DB (see WriteTo) for as long
// as the client keeps taking bytes, at most SnapshotStallTimeout between
// writes. Cancel ctx before closing the DB.
func (s *SnapshotServer) Serve(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() { s.Close() })
	defer stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	defer s.Close()
	for backoff := time.Duration(0); ; {
		conn, err := s.ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, net.ErrClosed) {
				return fmt.Errorf("serve snapshots on %s: %w", s.path, err)
			}
			// Out of file descriptors and the like: wait and try again.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			s.logger.Debug("snapshot accept failed", "socket", s.path, "err", err, "retry_in", backoff)
			select {
			case <-time.After(backoff):
			case <-ctx.Done():
			}
			continue
		}
		backoff = 0
		wg.Go(func() { s.serveConn(ctx, conn) })
	}
}

// Close stops accepting connections and removes the socket, if it is still
// the one ListenSnapshots made. It does not end transfers in flight: Serve
// does, when its ctx is done. Additional calls do nothing.
func (s *SnapshotServer) Close() error {
	var err error
	s.once.Do(func() {
		err = s.ln.Close()
		if now, serr := os.Lstat(s.path); serr == nil && os.SameFile(now, s.fi) {
			if rerr := os.Remove(s.path); rerr != nil && err == nil {
				err = rerr
			}
		}
	})
	return err
}

// listenSocket listens on a unix socket at path that only the owner can
// use. It binds in a new private (0700) directory beside path, sets the
// socket's mode to 0600, then renames it to path: whatever the umask, there
// is no moment at which another user could connect.
func listenSocket(path string) (*net.UnixListener, fs.FileInfo, error) {
	if err := checkStaleSocket(path); err != nil {
		return nil, nil, err
	}
	dir, err := os.MkdirTemp(filepath.Dir(path), ".sock")
	if err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(dir)
	tmp := filepath.Join(dir, "s")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: tmp, Net: "unix"})
	if err != nil {
		return nil, nil, err
	}
	// The bound name is about to move: ServeSnapshots removes the socket itself.
	ln.SetUnlinkOnClose(false)
	if err := os.Chmod(tmp, 0o600); err != nil {
		ln.Close()
		return nil, nil, err
	}
	if err := os.Rename(tmp, path); err != nil {
		ln.Close()
		return nil, nil, err
	}
	fi, err := os.Lstat(path)
	if err != nil {
		ln.Close()
		return nil, nil, err
	}
	return ln, fi, nil
}

// checkStaleSocket returns nil when path does not exist or is a socket that
// nothing listens on (left by a process that died), which the rename in
// listenSocket then replaces.
func checkStaleSocket(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	if fi.Mode().Type() != fs.ModeSocket {
		return fmt.Errorf("%s exists and is not a socket: move it away", path)
	}
	conn, err := net.DialTimeout("unix", path, SnapshotDialTimeout)
	if err == nil {
		conn.Close()
		return fmt.Errorf("another process already serves snapshots on %s", path)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		return fmt.Errorf("check the socket %s: %w", path, err)
	}
	return nil
}

// serveConn reads one request from conn, checks the client's user and
// answers the request, then closes conn.
func (s *SnapshotServer) serveConn(ctx context.Context, conn net.Conn) {
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	conn.SetReadDeadline(time.Now().Add(SnapshotStallTimeout))
	br := bufio.NewReader(conn)
	line, err := readLine(br, maxSnapshotLine)
	if err != nil {
		s.logger.Debug("request unread", "err", err)
		return
	}
	// Answered after the request is read, so that the client sees why.
	if uid, err := peerUID(conn); err == nil && uid != os.Getuid() {
		fmt.Fprintf(conn, "ERR refused: this recorder serves only its own user, uid %d, not uid %d\n", os.Getuid(), uid)
		s.logger.Warn("socket client of another user refused", "uid", uid)
		return
	} else if err != nil && !errors.Is(err, errNoPeerCred) {
		s.logger.Debug("socket client refused: its user is unknown", "err", err)
		return
	}
	verb, _, _ := strings.Cut(line, " ")
	if h, ok := s.handlers[verb]; ok {
		conn.SetReadDeadline(time.Time{})
		h(ctx, conn, br, line)
		return
	}
	if line != snapshotRequest {
		fmt.Fprintf(conn, "ERR unknown request %q: this recorder speaks %q\n", oneLine(line), snapshotRequest)
		s.logger.Debug("request refused", "request", oneLine(line))
		return
	}
	serveSnapshot(s.db, conn, s.logger)
}

// readLine reads a line of at most max bytes from r and returns it without
// its newline.
func readLine(r *bufio.Reader, max int) (string, error) {
	var b []byte
	for {
		c, err := r.ReadByte()
		if err != nil {
			return "", err
		}
		if c == '\n' {
			return string(b), nil
		}
		if len(b) >= max {
			return "", fmt.Errorf("a request line longer than %d bytes", max)
		}
		b = append(b, c)
	}
}

// serveSnapshot sends a snapshot of db on conn.
func serveSnapshot(db *DB, conn net.Conn, logger *slog.Logger) {
	start := time.Now()
	w := &stallWriter{conn: conn}
	var headerSent bool
	var n, size int64
	err := db.view(func(tx *bolt.Tx) error {
		size = tx.Size()
		if _, err := fmt.Fprintf(w, "OK %d\n", size); err != nil {
			return err
		}
		headerSent = true
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	switch {
	case err != nil && !headerSent:
		fmt.Fprintf(w, "ERR %s\n", oneLine(err.Error()))
		logger.Debug("snapshot failed", "err", err)
	case err != nil:
		logger.Debug("snapshot cut short", "bytes", n, "size", size, "err", err)
	default:
		logger.Debug("snapshot served", "bytes", n, "took", time.Since(start))
	}
}

// oneLine keeps s on one protocol line.
func oneLine(s string) string {
	return strings.NewReplacer("\n", " ", "\r", " ").Replace(s)
}

// stallWriter fails a Write that makes no progress for SnapshotStallTimeout.
type stallWriter struct{ conn net.Conn }

func (w *stallWriter) Write(p []byte) (int, error) {
	w.conn.SetWriteDeadline(time.Now().Add(SnapshotStallTimeout))
	return w.conn.Write(p)
}

// stallReader fails a Read that waits more than SnapshotStallTimeout.
type stallReader struct{ conn net.Conn }

func (r *stallReader) Read(p []byte) (int, error) {
	r.conn.SetReadDeadline(time.Now().Add(SnapshotStallTimeout))
	return r.conn.Read(p)
}

// FetchSnapshot asks the server on socketPath (see ServeSnapshots) for a copy
// of its database and writes it to dstPath, mode 0600: into a temporary file
// beside dstPath, synced, then renamed, so dstPath never holds a partial copy.
// The copy is checked to have exactly the size the server announced.
//
// It returns an error wrapping ErrNoSnapshotServer when nothing answers on
// socketPath, and refuses a socket that belongs to another user. It never
// hangs: connecting is bounded by SnapshotDialTimeout, every wait for data
// by SnapshotStallTimeout, and cancelling ctx ends the transfer.
func FetchSnapshot(ctx context.Context, socketPath, dstPath string) (err error) {
	defer func() {
		if err != nil {
			err = fmt.Errorf("fetch snapshot from %s: %w", socketPath, err)
		}
	}()
	conn, err := dialSocket(ctx, socketPath)
	if err != nil {
		return err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	// After a cancel, report the cancel rather than the closed connection.
	defer func() {
		if err != nil && ctx.Err() != nil {
			err = ctx.Err()
		}
	}()

	conn.SetWriteDeadline(time.Now().Add(SnapshotStallTimeout))
	if _, err := io.WriteString(conn, snapshotRequest+"\n"); err != nil {
		return fmt.Errorf("%w: %v", ErrNoSnapshotServer, err)
	}
	r := bufio.NewReader(&stallReader{conn: conn})
	size, err := readSnapshotHeader(r)
	if err != nil {
		return err
	}
	return writeFileAtomic(dstPath, func(f *os.File) error {
		n, err := io.CopyN(f, r, size)
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("copy ended after %d of %d bytes: %w", n, size, io.ErrUnexpectedEOF)
		} else if err != nil {
			return fmt.Errorf("copy ended after %d of %d bytes: %w", n, size, err)
		}
		if _, err := r.ReadByte(); !errors.Is(err, io.EOF) {
			return fmt.Errorf("the server sent more than the %d bytes it announced", size)
		}
		return nil
	})
}

// dialSocket connects to the socket at socketPath. The error wraps
// ErrNoSnapshotServer when nothing answers there; a socket or a server of
// another user is refused.
func dialSocket(ctx context.Context, socketPath string) (net.Conn, error) {
	fi, err := os.Lstat(socketPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: no socket", ErrNoSnapshotServer)
	} else if err != nil {
		return nil, err
	}
	if fi.Mode().Type() != fs.ModeSocket {
		return nil, fmt.Errorf("%w: not a socket", ErrNoSnapshotServer)
	}
	if !ownedByMe(fi) {
		return nil, errors.New("the socket belongs to another user: refusing it (run the command as the user that runs record)")
	}
	d := net.Dialer{Timeout: SnapshotDialTimeout}
	conn, err := d.DialContext(ctx, "unix", socketPath)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("%w: %v", ErrNoSnapshotServer, err)
	}
	if uid, err := peerUID(conn); err == nil && uid != os.Getuid() {
		conn.Close()
		return nil, fmt.Errorf("the server runs as uid %d, not as this user (uid %d): refusing it (run the command as the user that runs record)", uid, os.Getuid())
	} else if err != nil && !errors.Is(err, errNoPeerCred) {
		conn.Close()
		return nil, fmt.Errorf("the server's user is unknown: %w", err)
	}
	return conn, nil
}

// DialRecorder connects to the socket of the recorder that holds the
// database at dbPath (see ListenSnapshotSocket), looking where
// FetchSnapshotFor looks, and checks, as it does, that the socket and the
// server are of this user. The caller speaks to it with a request line
// whose first word a RequestHandler of the server was registered for (see
// SnapshotServer.Handle), and closes the connection. The error wraps
// ErrNoSnapshotServer when no recorder answers.
func DialRecorder(ctx context.Context, dbPath string) (net.Conn, error) {
	var first, found error
	for _, p := range snapshotSockets(dbPath, true) {
		if checkPrivateDir(filepath.Dir(p)) != nil {
			continue // not ours: nothing there is our recorder's
		}
		conn, err := dialSocket(ctx, p)
		if err == nil || !errors.Is(err, ErrNoSnapshotServer) {
			if err != nil {
				err = fmt.Errorf("connect to %s: %w", p, err)
			}
			return conn, err
		}
		err = fmt.Errorf("connect to %s: %w", p, err)
		first = cmp.Or(first, err)
		if _, serr := os.Lstat(p); serr == nil {
			found = cmp.Or(found, err)
		}
	}
	if err := cmp.Or(found, first); err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("connect to %s: %w: no socket", SnapshotSocket(dbPath), ErrNoSnapshotServer)
}

// FetchSnapshotFor is FetchSnapshot from the recorder of the database at
// dbPath: it asks at each place SnapshotSocket considers that is a directory
// of this user's (see ListenSnapshotSocket), in order, and takes the first
// that answers, so that a reader whose $XDG_RUNTIME_DIR or $TMPDIR differs
// from the recorder's mostly still finds it (not when only the recorder's
// $XDG_RUNTIME_DIR is unusual). The error wraps ErrNoSnapshotServer when
// none answers.
func FetchSnapshotFor(ctx context.Context, dbPath, dstPath string) error {
	var first, found error
	for _, p := range snapshotSockets(dbPath, true) {
		if checkPrivateDir(filepath.Dir(p)) != nil {
			continue // not ours: nothing there is our recorder's
		}
		err := FetchSnapshot(ctx, p, dstPath)
		if err == nil || !errors.Is(err, ErrNoSnapshotServer) {
			return err
		}
		first = cmp.Or(first, err)
		if _, serr := os.Lstat(p); serr == nil {
			found = cmp.Or(found, err)
		}
	}
	if err := cmp.Or(found, first); err != nil {
		return err
	}
	return fmt.Errorf("fetch snapshot from %s: %w: no socket", SnapshotSocket(dbPath), ErrNoSnapshotServer)
}

// readSnapshotHeader reads the server's answer line and returns the size it
// announces.
func readSnapshotHeader(r *bufio.Reader) (int64, error) {
	line, err := r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) || len(line) > maxSnapshotLine {
		return 0, errors.New("the server's answer is not a snapshot")
	}
	if err != nil {
		return 0, fmt.Errorf("%w: no answer: %v", ErrNoSnapshotServer, err)
	}
	s := strings.TrimSuffix(string(line), "\n")
	if msg, ok := strings.CutPrefix(s, "ERR "); ok {
		return 0, fmt.Errorf("the recorder could not copy the database: %s", msg)
	}
	v, ok := strings.CutPrefix(s, "OK ")
	size, err := strconv.ParseInt(v, 10, 64)
	if !ok || err != nil || size < 0 {
		return 0, fmt.Errorf("the server's answer %.40q is not a snapshot", s)
	}
	return size, nil
}

// writeFileAtomic creates a temporary file (0600) beside path, lets fill
// write it, syncs it and renames it to path. On error the temporary file is
// removed and path is left as it was.
func writeFileAtomic(path string, fill func(*os.File) error) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err := fill(f); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
