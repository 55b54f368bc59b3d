package cli

import (
	"io"

	"github.com/confrec/confrec/export"
	"github.com/confrec/confrec/replay"
	"github.com/confrec/confrec/store"
	"github.com/urfave/cli/v2"
)

func exportTimelineCommand() *cli.Command {
	return &cli.Command{
		Name:      "timeline",
		Usage:     "export the events derived from a meeting: joins, leaves, mute, speaker, hands, roles, ...",
		ArgsUsage: "CONFID",
		Description: `One record per derived event: time, on the service's clock (the createTime of the frame that
carried the change; for a row whose frame has none, such as a session's start or end, its receive
time moved by the offset between createTime and receive time of the nearest frame that has one),
received (always the receive clock), seq (of that frame), kind, action, pid, name, old, new, detail.
Sorting by time keeps the rows' order. Times are RFC 3339 UTC with milliseconds.`,
		Flags:        append([]cli.Flag{formatFlag("jsonl", "csv", "json", "jsonl"), outputFlag}, followFlags()...),
		OnUsageError: onUsageError,
		Action:       runExportTimeline,
	}
}

func runExportTimeline(c *cli.Context) error {
	id, err := oneArg(c, "CONFID")
	if err != nil {
		return err
	}
	format, err := export.ParseFormat(c.String(flgFormat), export.CSV, export.JSON, export.JSONL)
	if err != nil {
		return usageError{err}
	}
	if c.Bool(flgFollow) && format != export.JSONL {
		return usagef("--%s writes JSON Lines: give --format jsonl", flgFollow)
	}
	db, m, fl, err := openFollowed(c, id)
	if err != nil {
		return err
	}
	defer db.Close()
	return writeOutput(c, func(w io.Writer) error {
		tw, err := export.NewTimelineWriter(w, format)
		if err != nil {
			return err
		}
		total := m.Frames
		if c.Bool(flgFollow) {
			total = 0 // no end to show
		}
		p := newProgress(c, total, "export timeline")
		defer p.done()
		_, err = foldMeeting(db, &m, fl, func(fr *store.Frame, evs []replay.Event) error {
			for i := range evs {
				p.at(evs[i].Seq)
				if err := tw.Write(&evs[i]); err != nil {
					return err
				}
			}
			return nil
		}, tw.Flush)
		if err != nil {
			return err
		}
		return tw.Close()
	})
}
