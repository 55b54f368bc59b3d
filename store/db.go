package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Defaults for Options.
const (
	DefaultFlushInterval = 100 * time.Millisecond
	DefaultLockTimeout   = time.Second
	DefaultQueueFrames   = 64 << 10
)

// Options configure Open. A nil *Options means the defaults; the caller's
// value is never changed.
type Options struct {
	// FlushInterval bounds how long a frame queued with Enqueue waits before
	// the commit that makes it durable starts. Defaults to DefaultFlushInterval;
	// <=0 means the default.
	FlushInterval time.Duration
	// LockTimeout is how long Open waits for another process's lock on the
	// file before it returns ErrLocked. Defaults to DefaultLockTimeout; <0
	// means do not wait at all.
	LockTimeout time.Duration
	// ReadOnly opens the file with a shared lock and no writer.
	// Write methods return ErrReadOnly.
	ReadOnly bool
	// QueueFrames is how many frames may wait for the writer before Enqueue
	// blocks. Defaults to DefaultQueueFrames; <=0 means the default. The
	// writer holds up to two batches besides (one committing, one
	// prepared), each of up to the frames that came in FlushInterval.
	QueueFrames int
	// NoSync skips fsync on commit. For tests and benchmarks only: a crash
	// may then lose committed frames.
	NoSync bool
	// Logger receives the writer's key/value logs. nil discards them.
	Logger *slog.Logger
	// OnCommit, when not nil, is called by the writer after each successful
	// commit that changed the file, before the callers waiting for that
	// commit are answered: so once Append or Flush returns, OnCommit has
	// been told of their frames. It runs on the writer's goroutine and
	// delays the next commit while it runs: it must return quickly (count,
	// not log or block). nil means nothing is called.
	OnCommit func(CommitStats)
	// Context, when not nil, ends the DB's reads once it is done: every
	// read after that (a Cursor's next chunk of frames, Meeting, Verify,
	// WriteTo's copy) returns its error, so that a command stops within a
	// few hundred frames of an interrupt. Writes take their own contexts;
	// Close works as always.
	Context context.Context
}

func (o *Options) withDefaults() Options {
	var c Options
	if o != nil {
		c = *o
	}
	if c.FlushInterval <= 0 {
		c.FlushInterval = DefaultFlushInterval
	}
	if c.LockTimeout == 0 {
		c.LockTimeout = DefaultLockTimeout
	}
	if c.QueueFrames <= 0 {
		c.QueueFrames = DefaultQueueFrames
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// rootBucket holds the database's own facts. Its name starts with a NUL byte,
// which ValidateMeetingID never allows, so it cannot clash with a meeting.
var (
	rootBucket    = []byte("\x00confrec")
	formatKey     = []byte("format")
	formatVersion = []byte("1")

	metaKey        = []byte("meta")
	framesBucket   = []byte("frames")
	sessionsBucket = []byte("sessions")
)

// DB is an open confrec database.
//
// All methods are safe for concurrent use. Close must be called to stop the
// writer's goroutines and make queued frames durable; after Close, methods return
// ErrClosed.
type DB struct {
	path string
	opts Options
	bolt *bolt.DB

	reqs chan *request // to the writer; nil when read-only
	done chan struct{} // closed when the writer has exited

	mu       sync.RWMutex // guards closed and the reqs channel against Close
	closed   bool
	failed   atomic.Pointer[error] // sticky write error, set by the writer
	commits  atomic.Uint64         // transactions the writer committed, for benchmarks
	queued   atomic.Int64          // frames sent to the writer and not yet committed (or failed)
	closeErr error
	once     sync.Once

	// parent is the DB that Open returned and that a Reader handle shares;
	// nil for that DB itself.
	parent *DB
	// changed is closed, and cleared, at the next commit (see Committed);
	// nil while nobody waits.
	changed atomic.Pointer[chan struct{}]
}

// Open opens or creates the database at path (mode 0600) and, unless
// Options.ReadOnly is set, starts its writer: two goroutines, one preparing
// a batch (seqs, hash chain, blocks) while the other commits the one before,
// so batches commit in order.
//
// A writable DB maps 1 GiB of address space for its file (not memory: only
// the pages read count in RSS), so that bbolt need not remap it while it
// grows; a process limited with ulimit -v below that cannot open one. The
// file still grows in steps of its own size, up to 16 MiB at a time.
func Open(path string, opts *Options) (*DB, error) {
	o := opts.withDefaults()
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("open store %s: is a directory, not a database file", path)
	} else if err == nil && fi.Size() == 0 && o.ReadOnly {
		// bbolt would try to write a new database into it and fail with
		// "bad file descriptor". (A writer makes it a new database.)
		return nil, fmt.Errorf("open store %s: %w: the file is empty", path, ErrNotConfrec)
	} else if errors.Is(err, fs.ErrNotExist) && o.ReadOnly {
		return nil, fmt.Errorf("open store %s: %w", path, ErrNoDatabase)
	}
	bo := &bolt.Options{
		Timeout:      o.LockTimeout,
		ReadOnly:     o.ReadOnly,
		NoSync:       o.NoSync,
		FreelistType: bolt.FreelistMapType,
	}
	if o.LockTimeout < 0 {
		bo.Timeout = time.Nanosecond
	}
	if !o.ReadOnly {
		bo.InitialMmapSize = writerMmapSize
	}
	if err := checkLength(path); err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	bdb, err := openSameFile(path, bo)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) && pe.Path == path {
			err = pe.Err // the path is named once, below
		}
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	if !o.ReadOnly {
		bdb.AllocSize = growStep(0) // the writer sets it at each commit
	}
	db := &DB{path: path, opts: o, bolt: bdb, done: make(chan struct{})}
	if err := db.checkFormat(); err != nil {
		bdb.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	if o.ReadOnly {
		close(db.done)
		return db, nil
	}
	db.reqs = make(chan *request, o.QueueFrames)
	w := newWriter(db)
	go w.run()
	return db, nil
}

// openSameFile is openBolt for a writer, which must not end up holding a
// file that Compact replaced while the writer waited for its lock (it
// would write into an unlinked file): when path names another file after
// the lock was taken than before, it opens again.
func openSameFile(path string, bo *bolt.Options) (*bolt.DB, error) {
	for range 3 {
		before, err := os.Stat(path)
		bdb, err2 := openBolt(path, bo)
		if err != nil || err2 != nil || bo.ReadOnly {
			return bdb, err2 // a new file, or a reader: nothing replaces it under us
		}
		if after, err := os.Stat(path); err == nil && os.SameFile(before, after) {
			return bdb, nil
		}
		bdb.Close()
	}
	return nil, errors.New("the file was replaced while opening it, again and again")
}

// openBolt opens the bbolt file and maps bbolt's errors onto ours. bbolt may
// panic on some damaged files; the panic is turned into ErrCorrupt.
func openBolt(path string, bo *bolt.Options) (bdb *bolt.DB, err error) {
	defer func() {
		if r := recover(); r != nil {
			bdb, err = nil, fmt.Errorf("%w: %v", ErrCorrupt, r)
		}
	}()
	bdb, err = bolt.Open(path, 0o600, bo)
	switch {
	case err == nil:
		return bdb, nil
	case errors.Is(err, berrors.ErrTimeout):
		return nil, ErrLocked
	case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrVersionMismatch):
		return nil, fmt.Errorf("%w: %v", ErrNotConfrec, err)
	case errors.Is(err, berrors.ErrChecksum), errors.Is(err, berrors.ErrInvalidMapping):
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return nil, err
}

// checkFormat makes sure the file is a confrec database, marking a new one.
func (db *DB) checkFormat() (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", ErrCorrupt, r)
		}
	}()
	check := func(tx *bolt.Tx) error {
		if b := tx.Bucket(rootBucket); b != nil {
			if v := b.Get(formatKey); string(v) != string(formatVersion) {
				return fmt.Errorf("%w: unknown format version %q", ErrNotConfrec, v)
			}
			return nil
		}
		k, _ := tx.Cursor().First()
		if k != nil {
			return fmt.Errorf("%w: a bbolt file with other buckets", ErrNotConfrec)
		}
		if !tx.Writable() {
			return nil // an empty file: nothing recorded yet
		}
		b, err := tx.CreateBucket(rootBucket)
		if err != nil {
			return err
		}
		return b.Put(formatKey, formatVersion)
	}
	if db.opts.ReadOnly {
		return db.bolt.View(check)
	}
	return db.bolt.Update(check)
}

// Path returns the database file's path.
func (db *DB) Path() string { return db.path }

// Close makes every queued frame durable, stops the writer and closes the
// file. Additional calls return the first call's result.
//
// Closing a Reader handle ends only that handle.
func (db *DB) Close() error {
	db.once.Do(func() {
		db.mu.Lock()
		db.closed = true
		db.mu.Unlock()
		if db.parent != nil {
			return
		}
		if db.reqs != nil {
			// Safe: send holds mu.RLock while sending, so no send is in flight.
			close(db.reqs)
		}
		<-db.done
		if db.reqs != nil && db.err() == nil {
			db.trim()
		}
		err := db.bolt.Close()
		db.closeErr = errors.Join(db.err(), err)
		db.signalCommit()
	})
	return db.closeErr
}

// Reader returns a read-only handle on db for one reader, such as a query
// a recorder answers for another process. The handle shares db's open
// file: no copy, no second lock. Each of its read transactions sees what
// db had committed when it began; its reads fail with ctx's error once ctx
// is done, and with ErrClosed once the handle or db is closed. Its writes
// fail with ErrReadOnly. Closing the handle leaves db open.
func (db *DB) Reader(ctx context.Context) *DB {
	root := db.root()
	o := root.opts
	o.ReadOnly, o.Context, o.OnCommit = true, ctx, nil
	h := &DB{path: root.path, opts: o, bolt: root.bolt, done: make(chan struct{}), parent: root}
	close(h.done)
	return h
}

// root is the DB that Open returned: db itself, or the one a Reader shares.
func (db *DB) root() *DB {
	if db.parent != nil {
		return db.parent
	}
	return db
}

// Committed returns a channel that is closed when the writer next commits
// a transaction, or when the DB is closed. For a Reader handle it is its
// DB's; for a read-only DB, which never commits, only Close closes it.
//
// Take the channel before reading, then wait on it: a commit made after it
// was taken closes it, so a follower that reads to the end, then waits,
// misses nothing.
func (db *DB) Committed() <-chan struct{} {
	root := db.root()
	root.mu.RLock()
	closed := root.closed
	root.mu.RUnlock()
	if closed {
		ch := make(chan struct{})
		close(ch)
		return ch
	}
	for {
		if p := root.changed.Load(); p != nil {
			return *p
		}
		ch := make(chan struct{})
		if root.changed.CompareAndSwap(nil, &ch) {
			return ch
		}
	}
}

// signalCommit closes the channel Committed handed out, if any.
func (db *DB) signalCommit() {
	if p := db.changed.Swap(nil); p != nil {
		close(*p)
	}
}

// trim cuts the file to bbolt's high-water mark: the room bbolt grew it by
// for later commits (up to 16 MiB) is not kept on disk after the writer is
// done. The pages past the mark hold nothing, and the file is still
// locked. A failure only leaves the file larger; so does Windows, where a
// mapped file cannot shrink.
func (db *DB) trim() {
	if runtime.GOOS == "windows" {
		return
	}
	var size int64
	if db.bolt.View(func(tx *bolt.Tx) error { size = tx.Size(); return nil }) != nil || size <= 0 {
		return
	}
	if fi, err := os.Stat(db.path); err == nil && fi.Size() > size {
		os.Truncate(db.path, size)
	}
}

// Meetings lists every meeting in the database, in ID order, without sessions.
func (db *DB) Meetings() ([]Meeting, error) {
	var out []Meeting
	err := db.view(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			if string(name) == string(rootBucket) {
				return nil
			}
			m, err := readMeta(b, string(name))
			if err != nil {
				return err
			}
			out = append(out, m)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list meetings: %w", err)
	}
	return out, nil
}

// Meeting returns one meeting with its sessions. It returns an error wrapping
// ErrMeetingNotFound when there is none.
func (db *DB) Meeting(id string) (Meeting, error) {
	var m Meeting
	err := db.view(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(id))
		if b == nil || id == string(rootBucket) {
			return ErrMeetingNotFound
		}
		var err error
		if m, err = readMeta(b, id); err != nil {
			return err
		}
		sb := b.Bucket(sessionsBucket)
		if sb == nil {
			return nil
		}
		return sb.ForEach(func(_, v []byte) error {
			s, err := decodeSession(v)
			if err != nil {
				return err
			}
			m.Sessions = append(m.Sessions, s)
			return nil
		})
	})
	if err != nil {
		return Meeting{}, fmt.Errorf("read meeting %s: %w", id, err)
	}
	return m, nil
}

func readMeta(b *bolt.Bucket, id string) (Meeting, error) {
	v := b.Get(metaKey)
	if v == nil {
		return Meeting{}, fmt.Errorf("meeting %s: %w: no metadata", id, ErrCorrupt)
	}
	return decodeMeta(v)
}

func sessionKey(id uint32) []byte { return binary.BigEndian.AppendUint32(nil, id) }

// view runs fn in a read transaction, turning a bbolt panic on a damaged page
// into ErrCorrupt.
func (db *DB) view(fn func(tx *bolt.Tx) error) (err error) {
	db.mu.RLock()
	closed := db.closed
	db.mu.RUnlock()
	if closed {
		return ErrClosed
	}
	if err := db.interrupted(); err != nil {
		return err
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", ErrCorrupt, r)
		}
	}()
	err = db.bolt.View(fn)
	if errors.Is(err, berrors.ErrDatabaseNotOpen) {
		return ErrClosed // Close ran between the check above and View
	}
	return err
}

// interrupted returns the error of Options.Context once it is done, or nil.
func (db *DB) interrupted() error {
	if ctx := db.opts.Context; ctx != nil {
		return ctx.Err()
	}
	return nil
}

// err returns the writer's sticky error, or nil.
func (db *DB) err() error {
	if p := db.failed.Load(); p != nil {
		return *p
	}
	return nil
}

// QueuedFrames returns how many frames were queued (Enqueue, Append) and
// not yet committed, including those a caller is blocked sending while the
// queue is full. It is cheap and safe for concurrent use; 0 for a
// read-only DB.
func (db *DB) QueuedFrames() int {
	return int(db.queued.Load())
}

// CheckWritable returns nil when the DB can take writes: it is open, not
// read-only, and its writer has not failed. Otherwise it returns
// ErrClosed, ErrReadOnly or the writer's error (every write fails with it
// from then on). It does not write anything, so it is cheap enough for a
// health check.
func (db *DB) CheckWritable() error {
	db.mu.RLock()
	defer db.mu.RUnlock()
	switch {
	case db.closed:
		return fmt.Errorf("store %s: %w", db.path, ErrClosed)
	case db.reqs == nil:
		return fmt.Errorf("store %s: %w", db.path, ErrReadOnly)
	}
	return db.err() // names the path already
}

// send hands r to the writer. It fails when the DB is closed, read-only or
// has failed.
func (db *DB) send(ctx context.Context, r *request) error {
	db.mu.RLock()
	defer db.mu.RUnlock()
	switch {
	case db.closed:
		return ErrClosed
	case db.reqs == nil:
		return ErrReadOnly
	case db.err() != nil:
		return db.err()
	}
	if r.kind == reqFrame {
		// Counted before the send: the committer may take it off at once.
		db.queued.Add(1)
	}
	select {
	case db.reqs <- r:
		return nil
	case <-ctx.Done():
		if r.kind == reqFrame {
			db.queued.Add(-1)
		}
		return ctx.Err()
	}
}
