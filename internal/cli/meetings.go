package cli

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/confrec/confrec/store"
	"github.com/urfave/cli/v2"
)

func meetingsCommand() *cli.Command {
	return &cli.Command{
		Name:  "meetings",
		Usage: "list the recorded meetings",
		Description: `One row per meeting: confID, title (from ConfBasicInfoNotify when seen), first and last
frame time, frames, sessions (connections), gaps (reconnects: each session after the first)
and the legal hold (confrec hold): since when, by whom and why. Frame times here are the
store's key times: receive times held monotonic, so that a clock stepped back while recording
never puts the last frame before the first (JSON's last_frame_clock then gives the last
frame's own time).`,
		Flags:        []cli.Flag{formatFlag("table", "table", "json")},
		OnUsageError: onUsageError,
		Action:       runMeetings,
	}
}

// meetingRow is one line of `confrec meetings`.
type meetingRow struct {
	ConfID    string    `json:"conf_id"`
	Title     string    `json:"title"`
	FirstTime time.Time `json:"first_frame,omitzero"`
	LastTime  time.Time `json:"last_frame,omitzero"`
	// LastClock is the last frame's wall-clock time, shown only when the
	// clock stepped back while recording (it is then before LastTime).
	LastClock time.Time `json:"last_frame_clock,omitzero"`
	Frames    uint64    `json:"frames"`
	Sessions  uint32    `json:"sessions"`
	Gaps      uint32    `json:"gaps"`
	// Hold is the meeting's legal hold (confrec hold), if any.
	Hold *store.Hold `json:"hold,omitempty"`
}

func newMeetingRow(m *store.Meeting) meetingRow {
	first, last := m.KeySpan()
	r := meetingRow{ConfID: m.ID, Title: m.Labels["title"], FirstTime: first, LastTime: last,
		Frames: m.Frames, Sessions: m.SessionCount, Hold: m.Hold}
	if m.LastTime.Before(last) {
		r.LastClock = m.LastTime
	}
	if m.SessionCount > 1 {
		r.Gaps = m.SessionCount - 1
	}
	return r
}

func runMeetings(c *cli.Context) error {
	format, err := tableOrJSON(c)
	if err != nil {
		return err
	}
	db, err := openRead(c)
	if err != nil {
		return err
	}
	defer db.Close()
	ms, err := db.Meetings()
	if err != nil {
		return err
	}
	rows := make([]meetingRow, len(ms))
	for i := range ms {
		rows[i] = newMeetingRow(&ms[i])
	}
	if format == "json" {
		return writeJSON(c.App.Writer, rows)
	}
	return writeMeetingsTable(c.App.Writer, rows)
}

func writeMeetingsTable(w io.Writer, rows []meetingRow) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CONFID\tTITLE\tFIRST FRAME\tLAST FRAME\tFRAMES\tSESSIONS\tGAPS\tHOLD")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%d\t%s\n", orDash(r.ConfID), orDash(r.Title), fmtTime(r.FirstTime),
			fmtTime(r.LastTime), r.Frames, r.Sessions, r.Gaps, holdText(r.Hold))
	}
	return tw.Flush()
}
