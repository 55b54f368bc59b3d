package cli

import (
	"fmt"
	"io"

	"github.com/confrec/confrec/export"
	"github.com/confrec/confrec/store"
	"github.com/urfave/cli/v2"
)

func exportFramesCommand() *cli.Command {
	return &cli.Command{
		Name:      "frames",
		Usage:     "export a meeting's frames as JSON Lines, JSON or CSV",
		ArgsUsage: "CONFID",
		Description: `One record per frame: seq, time (RFC 3339, UTC, nanoseconds), session, dir (in = from the
server, out = sent by us), opcode (text, binary, close), action and msg_id when the payload has them,
size, and the payload: "payload" holds the exact text of a text frame, "payload_base64" any other
(binary, close, text that is not UTF-8). Close frames add close_code and close_reason.`,
		Flags: append([]cli.Flag{
			formatFlag("jsonl", "jsonl", "json", "csv"),
			&cli.StringFlag{Name: flgFrom, Usage: "only frames at or after `TIME` (RFC 3339, or +OFFSET from the first frame)"},
			&cli.StringFlag{Name: flgTo, Usage: "only frames before `TIME` (RFC 3339, or +OFFSET from the first frame)"},
			&cli.StringFlag{Name: flgAction, Usage: "only frames whose action is one of `A,B`"},
			&cli.StringFlag{Name: flgDir, Usage: "only frames of direction `DIR`: in or out"},
			outputFlag,
		}, followFlags()...),
		OnUsageError: onUsageError,
		Action:       runExportFrames,
	}
}

func runExportFrames(c *cli.Context) error {
	id, err := oneArg(c, "CONFID")
	if err != nil {
		return err
	}
	format, err := export.ParseFormat(c.String(flgFormat), export.JSONL, export.JSON, export.CSV)
	if err != nil {
		return usageError{fmt.Errorf("--format: %w", err)}
	}
	opts := &export.FramesOptions{Format: format, Actions: splitList(c.String(flgAction))}
	switch d := c.String(flgDir); d {
	case "":
	case "in":
		opts.Dir = store.In
	case "out":
		opts.Dir = store.Out
	default:
		return usagef("--dir %q: use in or out", d)
	}
	if c.Bool(flgFollow) && c.String(flgTo) != "" {
		return usagef("--%s ends where the meeting's recording ends: it takes no --%s", flgFollow, flgTo)
	}
	db, m, fl, err := openFollowed(c, id)
	if err != nil {
		return err
	}
	defer db.Close()
	if opts.From, err = parseTime(flgFrom, c.String(flgFrom), m.FirstTime); err != nil {
		return err
	}
	if opts.To, err = parseTime(flgTo, c.String(flgTo), m.FirstTime); err != nil {
		return err
	}
	if !opts.From.IsZero() && !opts.To.IsZero() && opts.From.After(opts.To) {
		return usagef("--from %s is after --to %s", c.String(flgFrom), c.String(flgTo))
	}
	if c.Bool(flgFollow) {
		fl.begin()
		opts.Follow = fl.next
	} else {
		p := newProgress(c, m.Frames, "export frames")
		defer p.done()
		opts.Progress = p.at
	}
	return writeOutput(c, func(w io.Writer) error { return export.Frames(w, db, id, opts) })
}
