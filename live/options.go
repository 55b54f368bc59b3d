package live

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/confrec/confrec/store"
)

// Defaults for Options.
const (
	DefaultInterval     = 250 * time.Millisecond
	DefaultBuffer       = 32
	DefaultWriteTimeout = 10 * time.Second
	DefaultRecent       = 50
)

// Options configure NewHandler. A nil *Options means the defaults; the
// caller's value is never changed.
type Options struct {
	// Interval is the least time between two updates of the pages: the
	// store's commits in between are read together. Defaults to
	// DefaultInterval; <=0 means the default.
	Interval time.Duration
	// Buffer is how many messages may wait for one page before it is
	// disconnected as too slow. Defaults to DefaultBuffer; <=0 means the
	// default.
	Buffer int
	// WriteTimeout bounds one write to a page; a page that takes longer is
	// disconnected. Defaults to DefaultWriteTimeout; <=0 means the default.
	WriteTimeout time.Duration
	// Recent is how many meetings recorded (not being recorded) the list
	// shows, the latest first. Defaults to DefaultRecent; <=0 means the
	// default.
	Recent int
	// Report writes the finished report of meeting id, read from db, as
	// one HTML document that runs no script: /report/ID serves it. nil
	// means there is none (404).
	Report func(ctx context.Context, w io.Writer, db *store.DB, id string) error
	// Logger receives the Handler's key/value logs (a stream dropped, a
	// meeting that cannot be read). nil discards them.
	Logger *slog.Logger
}

func (o *Options) withDefaults() Options {
	var c Options
	if o != nil {
		c = *o
	}
	if c.Interval <= 0 {
		c.Interval = DefaultInterval
	}
	if c.Buffer <= 0 {
		c.Buffer = DefaultBuffer
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = DefaultWriteTimeout
	}
	if c.Recent <= 0 {
		c.Recent = DefaultRecent
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}
