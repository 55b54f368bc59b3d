package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/klauspost/compress/zstd"
)

// Compressed blocks (record type 3, frame.go) hold the entries of a type 2
// block compressed with zstd. They are written only by Compact with
// CompactOptions.Compress; live recording writes type 2 blocks.

// maxRawBlock bounds a type 3 block's decompressed entries: a reader
// rejects a larger stated size before it allocates anything, and Compact
// leaves a block that would be larger (a single frame of more than 64 MiB)
// uncompressed.
const maxRawBlock = 64 << 20

// pooledBlock bounds the decompression buffers kept for reuse.
const pooledBlock = 1 << 20

// zstdLevel is the encoder level of Compact: zstd's own default (about
// level 3). On recorded frames the levels hardly differ in size.
var zstdLevel = zstd.SpeedDefault

// decoder is the package's zstd decoder, made on first use. Its DecodeAll is
// safe for concurrent use (up to GOMAXPROCS calls at once, the rest wait)
// and starts no goroutine. It refuses to write more than the capacity of
// the buffer it is given (WithDecodeAllCapLimit), which decompressBlock
// sizes to the length stated in the record.
var decoder = sync.OnceValues(func() (*zstd.Decoder, error) {
	return zstd.NewReader(nil,
		zstd.WithDecoderConcurrency(0),
		zstd.WithDecodeAllCapLimit(true),
		zstd.WithDecoderMaxMemory(maxRawBlock),
		zstd.WithDecoderMaxWindow(maxRawBlock))
})

// rawBlocks recycles decompression buffers of up to pooledBlock bytes.
var rawBlocks = sync.Pool{New: func() any { return new([]byte) }}

// decompressBlock decompresses the body of a type 3 record (after its type
// byte) into a buffer to give back with releaseBlock. Its errors wrap
// ErrRecordFormat.
func decompressBlock(body []byte) ([]byte, error) {
	n, k := binary.Uvarint(body)
	switch {
	case k <= 0:
		return nil, fmt.Errorf("%w: compressed block without its length", ErrRecordFormat)
	case n == 0 || n > maxRawBlock:
		return nil, fmt.Errorf("%w: compressed block states %d bytes, allowed 1 to %d", ErrRecordFormat, n, maxRawBlock)
	}
	stream := body[k:]
	var h zstd.Header
	if err := h.Decode(stream); err != nil || !h.HasFCS || h.FrameContentSize != n {
		return nil, fmt.Errorf("%w: compressed block of %d bytes: the zstd frame header does not match", ErrRecordFormat, n)
	}
	dec, err := decoder()
	if err != nil {
		return nil, err
	}
	var buf []byte
	if n <= pooledBlock {
		buf = *rawBlocks.Get().(*[]byte)
	}
	if uint64(cap(buf)) < n {
		buf = make([]byte, 0, n)
	}
	out, err := dec.DecodeAll(stream, buf[:0:n])
	if err != nil || uint64(len(out)) != n {
		releaseBlock(buf)
		if err == nil {
			err = errors.New("wrong length")
		}
		return nil, fmt.Errorf("%w: compressed block of %d bytes does not decompress: %v", ErrRecordFormat, n, err)
	}
	if &out[0] == &buf[:1][0] {
		out = buf[:n] // the whole capacity, for the pool
	}
	return out, nil
}

// releaseBlock gives a buffer from decompressBlock back for reuse.
func releaseBlock(b []byte) {
	if cap(b) > pooledBlock || cap(b) == 0 {
		return
	}
	b = b[:0]
	rawBlocks.Put(&b)
}

// compressor turns type 2 blocks into type 3 ones. One is made per Compact
// and reused for every block; it is not safe for concurrent use.
type compressor struct {
	enc *zstd.Encoder
	out []byte // scratch for the compressed stream
}

func newCompressor() (*compressor, error) {
	enc, err := zstd.NewWriter(nil,
		zstd.WithEncoderLevel(zstdLevel),
		zstd.WithEncoderConcurrency(1),
		zstd.WithEncoderCRC(false),   // the entries' CRCs cover every byte
		zstd.WithSingleSegment(true), // the header always states the size
		zstd.WithZeroFrames(true))
	if err != nil {
		return nil, fmt.Errorf("new zstd encoder: %w", err)
	}
	return &compressor{enc: enc}, nil
}

// block returns the value to store for the type 2 block blk (its type
// byte, then its entries): a new type 3 record when that is smaller, else
// blk itself. The result is a new slice, not blk's or the scratch's.
func (c *compressor) block(blk []byte) []byte {
	body := blk[1:]
	if len(body) == 0 || len(body) > maxRawBlock {
		return append([]byte(nil), blk...)
	}
	c.out = append(c.out[:0], recBlockZstdV3)
	c.out = binary.AppendUvarint(c.out, uint64(len(body)))
	c.out = c.enc.EncodeAll(body, c.out)
	if len(c.out) >= len(blk) {
		return append([]byte(nil), blk...)
	}
	return append([]byte(nil), c.out...)
}

func (c *compressor) close() error { return c.enc.Close() }
