package cli

import (
	"github.com/confrec/confrec/replay"
	"github.com/confrec/confrec/store"
	"github.com/urfave/cli/v2"
)

// Flag names of export.
const (
	flgFrom   = "from"
	flgTo     = "to"
	flgAction = "action"
	flgDir    = "dir"
)

func exportCommand() *cli.Command {
	return &cli.Command{
		Name:   "export",
		Usage:  "export a recorded meeting",
		Action: runGroup,
		Subcommands: []*cli.Command{
			exportFramesCommand(),     // export_frames.go
			exportTimelineCommand(),   // export_timeline.go
			exportAttendanceCommand(), // export_attendance.go
			exportReportCommand(),     // export_report.go
			exportHARCommand(),        // export_har.go
		},
	}
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
