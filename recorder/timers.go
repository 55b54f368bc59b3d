package recorder

import (
	"context"
	"sync"
	"time"
)

// timers are a session's timers: they send a HeartBeat every
// Options.Heartbeat (beat), keep the control token alive (token flow, see
// keepAlive), and close the connection on the recorder's behalf: with 1000
// "recording stopped" when ctx is cancelled, and with 1000 "meeting ended"
// when the server has not closed DestroyedGrace after "Destroyed". The close
// frame is recorded (Out) before it is sent.
//
// No goroutine waits on them: each is a callback (time.AfterFunc,
// context.AfterFunc) that the runtime runs in a goroutine of its own when
// it is due, so an idle meeting costs one goroutine, its read loop (a
// goroutine waiting on the timers would need a stack of its own). The
// callbacks never overlap (mu), as if one goroutine ran them, and none runs
// once one has closed the connection or the session has stopped them. wg
// counts the callbacks armed: Add when a callback is scheduled, Done when
// it has run or was cancelled before it ran, so stop can wait for the last.
type timers struct {
	s   *session
	ctx context.Context

	wg sync.WaitGroup

	mu        sync.Mutex // held while a callback runs; guards the fields below
	over      bool       // no more callbacks: the connection was closed or stop was called
	beat      *time.Timer
	beatAt    time.Time // when beat is due
	renewal   *time.Timer
	cancelled func() bool // context.AfterFunc's stop

	// Set by the read loop (destroyed) and read by stop, which runs in the
	// read loop's goroutine after it: no lock.
	grace *time.Timer
}

// start arms the session's timers.
func (t *timers) start(ctx context.Context, s *session) {
	t.s, t.ctx = s, ctx
	t.mu.Lock()
	defer t.mu.Unlock()
	d := s.r.o.Heartbeat
	t.beatAt = time.Now().Add(d)
	t.wg.Add(1)
	t.beat = time.AfterFunc(d, t.onBeat)
	if a := s.r.alive; a != nil {
		// A token obtained by the connect: failures are forgotten.
		select {
		case <-a.k.changed:
			a.changed()
		default:
		}
		t.armRenewal()
	}
	t.wg.Add(1)
	t.cancelled = context.AfterFunc(ctx, t.onCancel)
}

// stop stops the timers and returns once no callback runs any more. Call it
// once the read loop has ended.
func (t *timers) stop() {
	t.mu.Lock() // waits for a running callback
	t.over = true
	t.mu.Unlock()
	for _, tm := range []*time.Timer{t.beat, t.renewal, t.grace} {
		if tm != nil && tm.Stop() {
			t.wg.Done() // cancelled before it ran
		}
	}
	if t.cancelled() {
		t.wg.Done()
	}
	// A callback that was due as stop took mu finds over set and returns.
	t.wg.Wait()
}

// destroyed starts the grace before the connection is closed for the
// meeting's end. The read loop calls it once, on "Destroyed".
func (t *timers) destroyed() {
	t.wg.Add(1)
	t.grace = time.AfterFunc(t.s.r.o.DestroyedGrace, t.onGrace)
}

// run runs f as the only callback running, unless the timers are over; f
// reports whether it closed the connection, after which no callback runs.
func (t *timers) run(f func() (closed bool)) {
	defer t.wg.Done()
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.over && f() {
		t.over = true
	}
}

func (t *timers) onBeat() {
	t.run(func() bool {
		if !t.s.beat(t.ctx) {
			return false // no more heartbeats on this connection
		}
		// Like a time.Ticker: due every Heartbeat from the start, skipping
		// the times already past.
		d := t.s.r.o.Heartbeat
		now := time.Now()
		for t.beatAt = t.beatAt.Add(d); !t.beatAt.After(now); t.beatAt = t.beatAt.Add(d) {
		}
		t.wg.Add(1)
		t.beat.Reset(t.beatAt.Sub(now))
		return false
	})
}

func (t *timers) onRenewal() {
	t.run(func() bool {
		t.s.r.alive.fire(t.ctx)
		t.armRenewal()
		return false
	})
}

func (t *timers) onCancel() {
	t.run(func() bool {
		t.s.stopping.Store(true)
		t.s.close(reasonStopped)
		return true
	})
}

func (t *timers) onGrace() {
	t.run(func() bool {
		t.s.close(reasonEnded)
		return true
	})
}

// armRenewal schedules the token's next renewal, if there is one to wait
// for. Call it with mu held.
func (t *timers) armRenewal() {
	d, ok := t.s.r.alive.next()
	if !ok {
		return
	}
	t.wg.Add(1)
	if t.renewal == nil {
		t.renewal = time.AfterFunc(d, t.onRenewal)
	} else {
		t.renewal.Reset(d)
	}
}
