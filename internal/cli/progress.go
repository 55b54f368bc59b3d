package cli

import (
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/urfave/cli/v2"
)

// envProgress forces (1) or suppresses (0) progress bars whatever stderr is.
const envProgress = "CONFREC_PROGRESS"

// progress shows how far a long export has read through a meeting's frames,
// on stderr, when stderr is a terminal.
type progress struct {
	bar *progressbar.ProgressBar // nil: no bar
}

// newProgress returns a progress over total frames, described by desc. It
// shows nothing unless stderr is a terminal (or CONFREC_PROGRESS=1), nor
// when c is nil (work done for someone else, such as a live page's).
func newProgress(c *cli.Context, total uint64, desc string) *progress {
	if c == nil || !showProgress(c) || total == 0 {
		return &progress{}
	}
	return &progress{bar: progressbar.NewOptions64(int64(total),
		progressbar.OptionSetWriter(c.App.ErrWriter),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowCount(),
		progressbar.OptionSetItsString("frames"),
		progressbar.OptionShowIts(),
		progressbar.OptionThrottle(100*time.Millisecond), // redraws cost more than the work
		progressbar.OptionClearOnFinish(),
	)}
}

// at moves the bar to frame seq.
func (p *progress) at(seq uint64) {
	if p.bar != nil {
		p.bar.Set64(int64(seq))
	}
}

// done finishes and clears the bar.
func (p *progress) done() {
	if p.bar != nil {
		p.bar.Finish()
	}
}
