package export

import (
	"bufio"
	"runtime"
	"slices"
	"sync"

	"github.com/confrec/confrec/store"
)

// Frames encodes in a pipeline: the calling goroutine reads the cursor into
// batches, one worker per CPU encodes batches into bytes, and one writer
// writes them in the order they were read. Encoding (the envelope peek and
// the JSON escaping) is most of an export's work, so a second core almost
// halves its time. At most inFlight batches exist at once: memory stays
// bounded whatever the size of the meeting.
const (
	batchFrames = 256       // frames per batch at most
	batchBytes  = 256 << 10 // payload bytes per batch, past which it is sent
)

// frameBatch is a run of consecutive frames and, once a worker has encoded
// it, their records.
type frameBatch struct {
	frames  []store.Frame
	out     []byte
	records int   // records in out (frames that passed the filters)
	err     error // the encoder's, if it failed
	done    chan struct{}
}

// recordAppender appends one frame's record to b. Each worker has its own.
type recordAppender func(b []byte, f *store.Frame, fi frameInfo) ([]byte, error)

// frameFilter reports whether a frame is exported.
type frameFilter struct {
	dir     store.Direction
	actions []string
}

func (ff *frameFilter) keep(f *store.Frame, fi frameInfo) bool {
	if ff.dir != 0 && f.Dir != ff.dir {
		return false
	}
	return len(ff.actions) == 0 || slices.ContainsFunc(ff.actions, func(a string) bool { return a == string(fi.action) })
}

// encode encodes b's frames with app, keeping those ff keeps.
func (b *frameBatch) encode(app recordAppender, ff *frameFilter) {
	out := b.out[:0]
	for i := range b.frames {
		f := &b.frames[i]
		fi := peekFrame(f)
		if !ff.keep(f, fi) {
			continue
		}
		var err error
		if out, err = app(out, f, fi); err != nil {
			b.err = err
			break
		}
		b.records++
	}
	b.out = out
}

// encodeFrames writes the records of c's frames to w with enc, in order,
// and returns how many it wrote. progress, when not nil, is called with
// each frame's Seq as it is read. Every goroutine it starts has ended when
// it returns.
func encodeFrames(w *bufio.Writer, c *store.Cursor, enc frameEncoder, ff *frameFilter, progress func(uint64)) (records int, err error) {
	workers := runtime.GOMAXPROCS(0)
	inFlight := 2*workers + 2
	free := make(chan *frameBatch, inFlight)
	for range inFlight {
		free <- &frameBatch{done: make(chan struct{}, 1)}
	}
	work := make(chan *frameBatch, inFlight)
	ordered := make(chan *frameBatch, inFlight)
	stop := make(chan struct{}) // closed by the writer when it fails

	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			app := enc.newAppender()
			for b := range work {
				b.encode(app, ff)
				b.done <- struct{}{}
			}
		})
	}
	var werr error
	wg.Go(func() {
		for b := range ordered {
			<-b.done
			if werr == nil {
				werr = b.err
				if werr == nil && b.records > 0 {
					werr = enc.write(w, b.out, records)
					records += b.records
				}
				if werr != nil {
					close(stop)
				}
			}
			clear(b.frames) // let the payloads go
			b.frames = b.frames[:0]
			b.records, b.err = 0, nil
			free <- b
		}
	})

	more := true
	for more {
		var b *frameBatch
		select {
		case b = <-free:
		case <-stop:
		}
		if b == nil {
			break
		}
		size := 0
		for len(b.frames) < batchFrames && size < batchBytes {
			if more = c.Next(); !more {
				break
			}
			f := c.Frame()
			if progress != nil {
				progress(f.Seq)
			}
			size += len(f.Payload)
			b.frames = append(b.frames, f)
		}
		if len(b.frames) == 0 {
			free <- b
			break
		}
		work <- b
		ordered <- b
	}
	close(work)
	close(ordered)
	wg.Wait()
	if werr != nil {
		return records, werr
	}
	return records, c.Err()
}
