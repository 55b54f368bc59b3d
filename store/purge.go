package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// CompactSuffix is appended to the database's path to name the new file
// that Compact writes before it replaces the database.
const CompactSuffix = ".compact.tmp"

// DefaultCompactTxSize is CompactOptions.TxMaxSize's default.
const DefaultCompactTxSize = 64 << 20

// CompactOptions configure Compact. A nil *CompactOptions means the defaults.
type CompactOptions struct {
	// LockTimeout is how long Compact waits for another process's lock on
	// the database before it returns ErrLocked, as Options.LockTimeout.
	LockTimeout time.Duration
	// TxMaxSize bounds the bytes copied in one transaction of the new file.
	// Defaults to DefaultCompactTxSize; <=0 means the default.
	TxMaxSize int64
	// Compress, when true, also compresses the frames: each meeting's
	// frames are regrouped into blocks of up to CompressBlock bytes and
	// each block is compressed with zstd (record type 3), unless that
	// would not make it smaller. Every frame keeps its seq, time and
	// CRC-32C, and reads, time seeks and Verify work on compressed blocks
	// as on others; frames recorded later are added uncompressed, in new
	// blocks, until the next Compact with Compress. Blocks compressed by an
	// earlier Compact are copied as they are.
	Compress bool
	// CompressBlock bounds the bytes of frames (uncompressed) in one
	// compressed block; a single larger frame gets a block of its own.
	// Defaults to DefaultCompressBlock; <=0 means the default.
	CompressBlock int
	// BeforeRename, when not nil, is called with the new file's path once
	// it is complete, synced and verified, before it replaces the database.
	// An error from it stops the compaction (the database is left as it
	// was). For tests of a crash at that point.
	BeforeRename func(tmp string) error
	// Context, when not nil, interrupts the compaction once it is done:
	// Compact then removes the new file, leaves the database as it was and
	// returns the context's error.
	Context context.Context
}

// CompactResult is what Compact did.
type CompactResult struct {
	// Before and After are the file's sizes in bytes.
	Before, After int64
}

// Compact rewrites the database at path into a new file holding only the
// pages in use, and replaces the database with it: bbolt never shrinks a
// file by itself, so this is how the space of deleted meetings returns to
// the file system.
//
// It holds the database's exclusive lock throughout, so it fails with
// ErrLocked while a writer (a running `confrec record`) has it open. The new
// file, path+CompactSuffix (mode 0600), is written, synced and checked (every
// meeting's hash chain verified) before it is renamed over the database and
// the directory synced. A crash at any point leaves either the old database
// or the new one at path, never a mix; a new file left behind by a crash is
// removed by the next Compact. A symbolic link at path is followed: the file
// it points to is replaced. The new file ends at its last page in use
// (bbolt would leave up to 16 MiB of growth room); a writer grows it again.
//
// With CompactOptions.Compress the frames are also compressed (record type
// 3, see CompactOptions.Compress): an archive of recorded notifications
// takes about a quarter of its payload bytes.
func Compact(path string, opts *CompactOptions) (res CompactResult, err error) {
	var o CompactOptions
	if opts != nil {
		o = *opts
	}
	if o.TxMaxSize <= 0 {
		o.TxMaxSize = DefaultCompactTxSize
	}
	if o.CompressBlock <= 0 {
		o.CompressBlock = DefaultCompressBlock
	}
	defer func() {
		if err != nil {
			err = fmt.Errorf("compact store %s: %w", path, err)
		}
	}()
	real, err := filepath.EvalSymlinks(path)
	if errors.Is(err, fs.ErrNotExist) {
		return res, ErrNoDatabase
	} else if err != nil {
		return res, err
	}
	// The exclusive lock: no writer can change the file, and no second
	// Compact can touch the new file, until the rename is done.
	src, err := openExclusive(real, o.LockTimeout)
	if err != nil {
		return res, err
	}
	src.opts.Context = o.Context
	defer func() { err = errors.Join(err, src.Close()) }()
	fi, err := os.Stat(real)
	if err != nil {
		return res, err
	}
	res.Before = fi.Size()

	tmp := real + CompactSuffix
	if err := os.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return res, fmt.Errorf("remove a new file left by an earlier compaction: %w", err)
	}
	if err := writeCompact(src, tmp, &o); err != nil {
		os.Remove(tmp)
		return res, err
	}
	if o.BeforeRename != nil {
		if err := o.BeforeRename(tmp); err != nil {
			os.Remove(tmp)
			return res, err
		}
	}
	if err := src.interrupted(); err != nil {
		os.Remove(tmp)
		return res, err
	}
	if err := os.Rename(tmp, real); err != nil {
		os.Remove(tmp)
		return res, err
	}
	if err := syncDir(filepath.Dir(real)); err != nil {
		// The rename happened; only its durability is in doubt.
		return res, err
	}
	if fi, err := os.Stat(real); err == nil {
		res.After = fi.Size()
	}
	return res, nil
}

// openExclusive opens the database at path with bbolt's exclusive lock, as a
// writer would, but as a read-only DB that never writes to the file.
func openExclusive(path string, lockTimeout time.Duration) (*DB, error) {
	o := (&Options{LockTimeout: lockTimeout, ReadOnly: true}).withDefaults()
	bo := &bolt.Options{Timeout: o.LockTimeout, FreelistType: bolt.FreelistMapType}
	if o.LockTimeout < 0 {
		bo.Timeout = time.Nanosecond
	}
	if err := checkLength(path); err != nil {
		return nil, err
	}
	bdb, err := openBolt(path, bo)
	if err != nil {
		return nil, err
	}
	db := &DB{path: path, opts: o, bolt: bdb, done: make(chan struct{})}
	close(db.done)
	if err := db.checkFormat(); err != nil {
		bdb.Close()
		return nil, err
	}
	return db, nil
}

// writeCompact copies src into a new bbolt file at tmp (compressing the
// frames when o.Compress is set), syncs it and checks that it opens and
// holds the same meetings with intact hash chains.
func writeCompact(src *DB, tmp string, o *CompactOptions) error {
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	f.Close()
	dst, err := bolt.Open(tmp, 0o600, &bolt.Options{FreelistType: bolt.FreelistMapType})
	if err != nil {
		return fmt.Errorf("create %s: %w", tmp, err)
	}
	if o.Compress {
		err = writeCompressed(dst, src, o.TxMaxSize, o.CompressBlock)
	} else {
		err = writeCopy(dst, src, o.TxMaxSize)
	}
	var used int64
	if err == nil {
		err = dst.View(func(tx *bolt.Tx) error { used = tx.Size(); return nil })
	}
	if err != nil {
		dst.Close()
		return fmt.Errorf("copy into %s: %w", tmp, err)
	}
	if err := dst.Close(); err != nil {
		return fmt.Errorf("close %s: %w", tmp, err)
	}
	// bbolt grows a file past 16 MiB in steps of 16 MiB: the new file ends
	// at its high-water mark instead (a writer grows it again when needed).
	if fi, err := os.Stat(tmp); err == nil && fi.Size() > used && used > 0 {
		if err := os.Truncate(tmp, used); err != nil {
			return fmt.Errorf("trim %s: %w", tmp, err)
		}
	}
	if err := syncFile(tmp); err != nil {
		return err
	}
	want, err := src.Meetings()
	if err != nil {
		return err
	}
	cp, err := Open(tmp, &Options{ReadOnly: true, Context: o.Context})
	if err != nil {
		return fmt.Errorf("check %s: %w", tmp, err)
	}
	defer cp.Close()
	got, err := cp.Meetings()
	if err != nil {
		return fmt.Errorf("check %s: %w", tmp, err)
	}
	if len(got) != len(want) {
		return fmt.Errorf("check %s: %d meetings, the database has %d", tmp, len(got), len(want))
	}
	for i := range got {
		if got[i].ID != want[i].ID || got[i].Frames != want[i].Frames || got[i].ChainHead != want[i].ChainHead {
			return fmt.Errorf("check %s: meeting %s differs from the database's", tmp, got[i].ID)
		}
		if err := cp.Verify(got[i].ID); err != nil {
			return fmt.Errorf("check %s: %w", tmp, err)
		}
	}
	return nil
}

// writeCopy copies src into dst as bolt.Compact does, in transactions of up
// to txMaxSize bytes, but stops once src's Options.Context is done.
func writeCopy(dst *bolt.DB, src *DB, txMaxSize int64) error {
	w := &compactWriter{db: dst, max: txMaxSize, src: src}
	defer w.rollback()
	err := src.bolt.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			if err := w.create(nil, name, b.Sequence()); err != nil {
				return err
			}
			return w.copyBucket([][]byte{name}, b)
		})
	})
	if err != nil {
		return err
	}
	return w.commit()
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	err = f.Sync()
	return errors.Join(err, f.Close())
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	return errors.Join(err, d.Close())
}
