package store

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"os"
)

// bbolt trusts its meta page: opening a file cut short (a full disk, a
// partial copy) makes it read pages past the end of the file, which faults
// (SIGBUS/SIGSEGV, not a recoverable panic) or reads unrelated memory.
// checkLength reads the meta pages the way bbolt does and fails with
// ErrCorrupt before bbolt maps the file when the file is shorter than the
// pages the meta page says are in use.
//
// The layout is bbolt's on-disk format version 2 (go.etcd.io/bbolt/internal/
// common: Page, Meta), written in the host's byte order: a 16-byte page header,
// then magic u32, version u32, pageSize u32, flags u32, root bucket {pgid u64,
// sequence u64}, freelist pgid u64, high-water mark pgid u64, txid u64 and an
// FNV-64a checksum u64 of the 56 bytes before it.
const (
	boltMagic      = 0xED0CDAED
	boltVersion    = 2
	boltPageHeader = 16
	boltMetaLen    = 64
	boltNoFreelist = ^uint64(0)
)

type boltMeta struct {
	pageSize                   uint64
	root, freelist, pgid, txid uint64
}

// parseBoltMeta decodes a meta page; ok is false unless bbolt would accept it.
func parseBoltMeta(page []byte) (m boltMeta, ok bool) {
	if len(page) < boltPageHeader+boltMetaLen {
		return m, false
	}
	b := page[boltPageHeader : boltPageHeader+boltMetaLen]
	ne := binary.NativeEndian
	if ne.Uint32(b[0:]) != boltMagic || ne.Uint32(b[4:]) != boltVersion {
		return m, false
	}
	h := fnv.New64a()
	h.Write(b[:56])
	if h.Sum64() != ne.Uint64(b[56:]) {
		return m, false
	}
	m = boltMeta{
		pageSize: uint64(ne.Uint32(b[8:])),
		root:     ne.Uint64(b[16:]),
		freelist: ne.Uint64(b[32:]),
		pgid:     ne.Uint64(b[40:]),
		txid:     ne.Uint64(b[48:]),
	}
	return m, m.pageSize >= 1024 && m.pageSize&(m.pageSize-1) == 0
}

// checkLength returns an error wrapping ErrCorrupt when the bbolt file at path
// is shorter than its newest valid meta page requires. Anything it cannot read
// or recognise is left to bbolt to report.
func checkLength(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() || fi.Size() == 0 {
		return nil
	}
	size := uint64(fi.Size())
	var (
		meta  boltMeta
		found bool
		buf   [boltPageHeader + boltMetaLen]byte
	)
	// Meta page 0 is at offset 0 and meta page 1 one page later; like bbolt,
	// try every page size from 1 KiB to 16 MiB for the second.
	for off := uint64(0); off <= 16<<20 && off < size; {
		if _, err := f.ReadAt(buf[:], int64(off)); err == nil {
			if m, ok := parseBoltMeta(buf[:]); ok && (off == 0 || m.pageSize == off) && (!found || m.txid > meta.txid) {
				meta, found = m, true
			}
		}
		off = max(off<<1, 1024)
	}
	if !found {
		return nil
	}
	switch {
	case meta.pgid > size/meta.pageSize:
		return fmt.Errorf("%w: file is %d bytes, its bbolt meta page needs %d (truncated?)", ErrCorrupt, size, meta.pgid*meta.pageSize)
	case meta.root >= meta.pgid, meta.freelist >= meta.pgid && meta.freelist != boltNoFreelist:
		return fmt.Errorf("%w: bbolt meta page points past its high-water mark", ErrCorrupt)
	}
	return nil
}
