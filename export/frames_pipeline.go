package export

import (
	"bufio"
	"fmt"
	"runtime"
	"slices"
	"sync"

	"github.com/confrec/confrec/store"
)

// Frames encodes in a pipeline: the calling goroutine reads the cursor into
// batches, one worker per CPU encodes batches into bytes, and one writer
// writes them in the order they were read. Encoding (the envelope peek and
// the JSON escaping) is most of an export's work, so it is what is spread
// over the cores. At most inFlight batches exist at once: memory stays
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

// keepAction reports whether a frame with fi is exported, once its
// direction is.
func (ff *frameFilter) keepAction(fi frameInfo) bool {
	return len(ff.actions) == 0 || slices.ContainsFunc(ff.actions, func(a string) bool { return a == string(fi.action) })
}

// encode encodes b's frames with app, keeping those ff keeps. A panic is
// kept in b.err as a panicError, for Frames to panic with.
func (b *frameBatch) encode(app recordAppender, ff *frameFilter) {
	defer func() {
		if p := recover(); p != nil {
			b.err = panicError{p}
		}
	}()
	out := b.out[:0]
	for i := range b.frames {
		f := &b.frames[i]
		if ff.dir != 0 && f.Dir != ff.dir {
			continue
		}
		fi := peekFrame(f)
		if !ff.keepAction(fi) {
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

// panicError carries a panic of a worker or of the writer to the calling
// goroutine, which panics with its value.
type panicError struct{ value any }

func (p panicError) Error() string { return fmt.Sprint("panic: ", p.value) }

// maxWorkers bounds the encoders, and so the batches in flight, on large
// machines: two cores already make the reading the bound.
const maxWorkers = 8

// encodeFrames writes the records of c's frames to w with enc, in order,
// after the before records written already, and returns how many there
// are now. progress, when not nil, is called with
// each frame's Seq as it is read. Every goroutine it starts has ended when
// it returns or panics; a panic in one of them (w's Write included) is
// raised again here.
func encodeFrames(w *bufio.Writer, c *store.Cursor, enc frameEncoder, ff *frameFilter, progress func(uint64), before int) (records int, err error) {
	records = before
	workers := min(runtime.GOMAXPROCS(0), maxWorkers)
	inFlight := 2*workers + 2
	free := make(chan *frameBatch, inFlight)
	for range inFlight {
		free <- &frameBatch{done: make(chan struct{}, 1)}
	}
	work := make(chan *frameBatch, inFlight)
	ordered := make(chan *frameBatch, inFlight)
	stop := make(chan struct{}) // closed by the writer when it fails

	var wg sync.WaitGroup
	var werr error
	finished := false
	finish := func() {
		if !finished {
			finished = true
			close(work)
			close(ordered)
			wg.Wait()
		}
	}
	defer func() {
		finish() // also when the cursor or progress panics
		if p, ok := werr.(panicError); ok {
			panic(p.value)
		}
	}()
	for range workers {
		wg.Go(func() {
			app := enc.newAppender()
			for b := range work {
				b.encode(app, ff)
				b.done <- struct{}{}
			}
		})
	}
	wg.Go(func() {
		for b := range ordered {
			<-b.done
			if werr == nil {
				werr = b.err
				if werr == nil && b.records > 0 {
					werr = write(enc, w, b.out, records)
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

	for more := true; more; {
		var b *frameBatch
		select {
		case <-stop:
		default:
			select {
			case b = <-free:
			case <-stop:
			}
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
	finish()
	if werr != nil {
		return records, werr
	}
	return records, c.Err()
}

// write is enc.write, with a panic (in the caller's io.Writer) turned into
// a panicError.
func write(enc frameEncoder, w *bufio.Writer, out []byte, before int) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = panicError{p}
		}
	}()
	return enc.write(w, out, before)
}
