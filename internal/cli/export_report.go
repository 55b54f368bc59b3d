package cli

import (
	"io"
	"time"

	"github.com/confrec/confrec/export"
	"github.com/confrec/confrec/replay"
	"github.com/urfave/cli/v2"
)

func exportReportCommand() *cli.Command {
	return &cli.Command{
		Name:      "report",
		Usage:     "write a visual HTML report of a meeting",
		ArgsUsage: "CONFID",
		Description: `One self-contained HTML file (no network needed): the meeting's header, a presence timeline
with one lane per person (presence, speaking, mute, hands, sharing, role changes), the speaking-time
ranking and the gaps and reconnects.`,
		Flags:        []cli.Flag{outputFlag},
		OnUsageError: onUsageError,
		Action:       runExportReport,
	}
}

func runExportReport(c *cli.Context) error {
	id, err := oneArg(c, "CONFID")
	if err != nil {
		return err
	}
	db, m, err := openMeeting(c, id)
	if err != nil {
		return err
	}
	defer db.Close()
	var events []replay.Event
	att, folder, err := attendance(c, db, &m, "export report", func(ev *replay.Event) { events = append(events, *ev) })
	if err != nil {
		return err
	}
	end := folder.End()
	in := &export.ReportInput{
		Meeting:   folder.State().Meeting,
		Sessions:  m.Sessions,
		Events:    events,
		Presences: att.Presences(),
		Summary:   att.Summary(),
		Start:     m.FirstTime,
		End:       end,
		Generated: time.Now(),
	}
	return writeOutput(c, func(w io.Writer) error { return export.Report(w, in) })
}
