package store

import "github.com/klauspost/compress/zstd"

// Internals of compressed blocks re-exported for the store_test package.
// Compiled only in tests.

// RecBlockZstdV3 is the record type of a compressed block.
const RecBlockZstdV3 = recBlockZstdV3

// SetZstdLevel sets Compact's zstd level by name ("fastest", "default",
// "better", "best") and returns a function restoring it. It panics on an
// unknown name. Tests that call it must not run in parallel with others.
func SetZstdLevel(name string) (restore func()) {
	ok, l := zstd.EncoderLevelFromString(name)
	if !ok {
		panic("SetZstdLevel: unknown level " + name)
	}
	old := zstdLevel
	zstdLevel = l
	return func() { zstdLevel = old }
}

// CompressBlockValue returns the type 3 record for the type 2 block blk
// (its type byte, then its entries), or a copy of blk when compressing
// does not make it smaller.
func CompressBlockValue(blk []byte) []byte {
	c, err := newCompressor()
	if err != nil {
		panic(err)
	}
	defer c.close()
	return c.block(blk)
}
