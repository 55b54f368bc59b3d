package main

import (
	"io"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/confrec/confrec/export"
	"github.com/confrec/confrec/replay"
	"github.com/confrec/confrec/store"
)

// Flag names of export attendance.
const flgSummary = "summary"

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
		Flags:        []cli.Flag{formatFlag("jsonl", "csv", "json", "jsonl"), outputFlag},
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
	db, m, err := openMeeting(c, id)
	if err != nil {
		return err
	}
	defer db.Close()
	return writeOutput(c, func(w io.Writer) error {
		tw, err := export.NewTimelineWriter(w, format)
		if err != nil {
			return err
		}
		if _, err := reconstruct(c, db, &m, "export timeline", tw.Write); err != nil {
			return err
		}
		return tw.Close()
	})
}

// reconstruct folds a meeting, calling fn for each event, with a progress
// bar over its frames.
func reconstruct(c *cli.Context, db *store.DB, m *store.Meeting, desc string, fn func(*replay.Event) error) (*replay.Folder, error) {
	p := newProgress(c, m.Frames, desc)
	defer p.done()
	_, folder, err := replay.Reconstruct(db, m.ID, func(ev *replay.Event) error {
		p.at(ev.Seq)
		return fn(ev)
	})
	return folder, err
}

// attendance folds a meeting into its attendance, closed at the meeting's
// end; each, when not nil, also sees every event.
func attendance(c *cli.Context, db *store.DB, m *store.Meeting, desc string, each func(*replay.Event)) (*replay.Attendance, *replay.Folder, error) {
	att := replay.NewAttendance()
	folder, err := reconstruct(c, db, m, desc, func(ev *replay.Event) error {
		att.Add(ev)
		if each != nil {
			each(ev)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	att.Finish(folder.End())
	return att, folder, nil
}

func exportAttendanceCommand() *cli.Command {
	return &cli.Command{
		Name:      "attendance",
		Usage:     "export who was in a meeting and when",
		ArgsUsage: "CONFID",
		Description: `One row per presence interval: pid, name, role (at join), joined, left, duration_seconds. With
--summary, one row per person: pid, name, first_joined, last_left, total_seconds, rejoins,
speaking_seconds, times_muted. Someone still present when the meeting ends (or the recording stops)
leaves at that moment. Times are RFC 3339 UTC with milliseconds.`,
		Flags: []cli.Flag{
			formatFlag("csv", "csv", "json"),
			&cli.BoolFlag{Name: flgSummary, Usage: "one row per person instead of one per presence interval"},
			outputFlag,
		},
		OnUsageError: onUsageError,
		Action:       runExportAttendance,
	}
}

func runExportAttendance(c *cli.Context) error {
	id, err := oneArg(c, "CONFID")
	if err != nil {
		return err
	}
	format, err := export.ParseFormat(c.String(flgFormat), export.CSV, export.JSON)
	if err != nil {
		return usageError{err}
	}
	db, m, err := openMeeting(c, id)
	if err != nil {
		return err
	}
	defer db.Close()
	att, _, err := attendance(c, db, &m, "export attendance", nil)
	if err != nil {
		return err
	}
	return writeOutput(c, func(w io.Writer) error {
		if c.Bool(flgSummary) {
			return export.AttendanceSummary(w, att.Summary(), format)
		}
		return export.Attendance(w, att.Presences(), format)
	})
}

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
