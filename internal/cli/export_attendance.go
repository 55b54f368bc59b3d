package cli

import (
	"io"

	"github.com/confrec/confrec/export"
	"github.com/urfave/cli/v2"
)

// Flag names of export attendance.
const flgSummary = "summary"

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
