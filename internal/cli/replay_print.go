package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/confrec/confrec/confctl"
	"github.com/confrec/confrec/replay"
	"github.com/confrec/confrec/store"
	"github.com/urfave/cli/v2"
)

func replayPrintCommand() *cli.Command {
	return &cli.Command{
		Name:      "print",
		Usage:     "play a recorded meeting on the terminal, one line per frame or derived event",
		ArgsUsage: "CONFID",
		Description: `Prints the meeting as it happened: one line per derived event (joined, left, muted, speaker
started, meeting locked, ...) and one per frame that changed nothing, paced at the recorded spacing
divided by --speed (0: no pacing). Ctrl-C or SIGTERM ends it quietly (exit 0).`,
		Flags: append([]cli.Flag{
			&cli.Float64Flag{Name: flgSpeed, Value: 1, Usage: "play `N` times faster than recorded (0: print at once)"},
			&cli.StringFlag{Name: flgFrom, Usage: "start printing at `TIME` (RFC 3339, or +OFFSET from the first frame)"},
		}, followFlags()...),
		OnUsageError: onUsageError,
		Action:       quietOnInterrupt(runReplayPrint),
	}
}

// quietOnInterrupt makes action end quietly (exit 0) once Ctrl-C or
// SIGTERM has cancelled the command's context, as replay serve and record
// do: also when the signal stopped a read of the database rather than the
// wait between frames.
func quietOnInterrupt(action cli.ActionFunc) cli.ActionFunc {
	return func(c *cli.Context) error {
		err := action(c)
		if err != nil && c.Context.Err() != nil && !errors.As(err, new(usageError)) {
			return nil
		}
		return err
	}
}

func runReplayPrint(c *cli.Context) error {
	id, err := oneArg(c, "CONFID")
	if err != nil {
		return err
	}
	speed := c.Float64(flgSpeed)
	if speed < 0 {
		return usagef("--%s %v: use 0 (no pacing) or a positive factor", flgSpeed, speed)
	}
	db, m, fl, err := openFollowed(c, id)
	if err != nil {
		return err
	}
	defer db.Close()
	from, err := parseTime(flgFrom, c.String(flgFrom), m.FirstTime)
	if err != nil {
		return err
	}
	if c.Bool(flgFollow) && !c.IsSet(flgSpeed) {
		speed = 0 // what is new prints as it comes
	}
	pace := pacer{ctx: c.Context, speed: speed}
	var key time.Time // the frame's key time: --from selects as export's does
	w := c.App.Writer
	_, err = foldMeeting(db, &m, fl, func(f *store.Frame, events []replay.Event) error {
		if f == nil {
			for _, ev := range events {
				if err := printEvent(w, &ev); err != nil {
					return err
				}
			}
			return nil
		}
		if f.Time.After(key) {
			key = f.Time
		}
		if key.Before(from) {
			return nil
		}
		if err := pace.wait(f.Time); err != nil {
			return err // interrupted: stopped quietly (see quietOnInterrupt)
		}
		return printFrame(w, f, events)
	}, nil)
	return err
}

// pacer sleeps between frames for their recorded spacing divided by speed.
type pacer struct {
	ctx   context.Context
	speed float64
	first time.Time // recorded time of the first frame paced
	start time.Time // wall time it was printed
}

func (p *pacer) wait(at time.Time) error {
	if p.speed == 0 {
		return nil
	}
	if p.first.IsZero() {
		p.first, p.start = at, time.Now()
		return nil
	}
	due := p.start.Add(time.Duration(float64(at.Sub(p.first)) / p.speed))
	d := time.Until(due)
	if d <= 0 {
		return p.ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-p.ctx.Done():
		return p.ctx.Err()
	}
}

// printFrame prints a frame's derived events, or the frame itself when it
// derived none.
func printFrame(w io.Writer, f *store.Frame, events []replay.Event) error {
	if len(events) > 0 {
		for i := range events {
			if err := printEvent(w, &events[i]); err != nil {
				return err
			}
		}
		return nil
	}
	what := frameLabel(f)
	if f.Op == store.Close {
		if code, reason, ok := f.CloseStatus(); ok {
			what = fmt.Sprintf("close %d %s", code, reason)
		}
	} else if e, err := confctl.DecodeEnvelope(f.Payload); err == nil && e.Sequence != "" {
		what += " " + e.Sequence
	}
	return printLine(w, fmt.Sprintf("%s  %-3s  %s (%d bytes)", clock(f.Time), f.Dir, what, len(f.Payload)))
}

func printEvent(w io.Writer, ev *replay.Event) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s  %-3s  %s", clock(ev.Time), "", ev.Kind)
	if ev.Name != "" || ev.PID != "" {
		fmt.Fprintf(&b, "  %s", orDash(ev.Name))
		if ev.PID != "" {
			fmt.Fprintf(&b, " (%s)", ev.PID)
		}
	}
	if ev.Old != "" || ev.New != "" {
		fmt.Fprintf(&b, "  %s -> %s", orDash(ev.Old), orDash(ev.New))
	}
	if ev.Detail != "" {
		fmt.Fprintf(&b, "  %s", ev.Detail)
	}
	return printLine(w, b.String())
}

// printLine writes one line of replay print. The text comes from the
// server (IDs, names, reasons, actions): it is written printable, so that
// no escape sequence reaches the terminal and no line break fakes a line.
func printLine(w io.Writer, line string) error {
	_, err := io.WriteString(w, printable(line)+"\n")
	return err
}

// clock formats a time of day with milliseconds, in UTC.
func clock(t time.Time) string { return t.UTC().Format("15:04:05.000") }
