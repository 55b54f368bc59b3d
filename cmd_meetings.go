package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/confrec/confrec/confctl"
	"github.com/confrec/confrec/store"
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

func infoCommand() *cli.Command {
	return &cli.Command{
		Name:      "info",
		Usage:     "show one meeting's sessions and frames per action and direction",
		ArgsUsage: "CONFID",
		Description: `Sessions: start, end and how each ended (close code and reason, or the error).
Frames: how many of each action in each direction (in = from the server, out = sent by us).`,
		Flags:        []cli.Flag{formatFlag("table", "table", "json")},
		OnUsageError: onUsageError,
		Action:       runInfo,
	}
}

// actionCount is one row of the frames table of `confrec info`.
type actionCount struct {
	Dir    string `json:"dir"`
	Action string `json:"action"`
	Frames int    `json:"frames"`
	Bytes  int    `json:"bytes"`
}

// meetingInfo is the output of `confrec info`.
type meetingInfo struct {
	meetingRow
	Sessions []store.Session `json:"sessions"`
	Actions  []actionCount   `json:"actions"`
	Chain    store.Hash      `json:"chain_head"`
}

func runInfo(c *cli.Context) error {
	format, err := tableOrJSON(c)
	if err != nil {
		return err
	}
	id, err := oneArg(c, "CONFID")
	if err != nil {
		return err
	}
	db, m, err := openMeeting(c, id)
	if err != nil {
		return err
	}
	defer db.Close()
	counts, err := countActions(db, id)
	if err != nil {
		return err
	}
	info := meetingInfo{meetingRow: newMeetingRow(&m), Sessions: m.Sessions, Actions: counts, Chain: m.ChainHead}
	if info.Sessions == nil {
		info.Sessions = []store.Session{}
	}
	if format == "json" {
		return writeJSON(c.App.Writer, info)
	}
	return writeInfoTable(c.App.Writer, &info)
}

// countActions reads every frame of a meeting and counts frames per
// direction and action.
func countActions(db *store.DB, id string) ([]actionCount, error) {
	cur, err := db.Frames(id, nil)
	if err != nil {
		return nil, err
	}
	defer cur.Close()
	type key struct{ dir, action string }
	counts := map[key]*actionCount{}
	for cur.Next() {
		f := cur.Frame()
		k := key{f.Dir.String(), frameLabel(&f)}
		ac := counts[k]
		if ac == nil {
			ac = &actionCount{Dir: k.dir, Action: k.action}
			counts[k] = ac
		}
		ac.Frames++
		ac.Bytes += len(f.Payload)
	}
	if err := cur.Err(); err != nil {
		return nil, err
	}
	out := make([]actionCount, 0, len(counts))
	for _, ac := range counts {
		out = append(out, *ac)
	}
	slices.SortFunc(out, func(a, b actionCount) int {
		return cmp.Or(cmp.Compare(a.Dir, b.Dir), cmp.Compare(b.Frames, a.Frames), cmp.Compare(a.Action, b.Action))
	})
	return out, nil
}

// frameLabel names what a frame is for counting: its action, or what kind
// of frame it is when it has none.
func frameLabel(f *store.Frame) string {
	switch f.Op {
	case store.Binary:
		return "(binary)"
	case store.Close:
		return "(close)"
	}
	e, err := confctl.DecodeEnvelope(f.Payload)
	switch {
	case err != nil:
		return "(not JSON)"
	case e.Action == "":
		return "(no action)"
	}
	return e.Action
}

func writeInfoTable(w io.Writer, info *meetingInfo) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "Meeting %s  %s\n", info.ConfID, orDash(info.Title))
	fmt.Fprintf(tw, "Frames %d from %s to %s, %d sessions, %d gaps\n", info.Frames, fmtTime(info.FirstTime),
		fmtTime(info.LastTime), info.meetingRow.Sessions, info.Gaps)
	if !info.LastClock.IsZero() {
		fmt.Fprintf(tw, "The clock stepped back while recording: the last frame's own time is %s\n", fmtTime(info.LastClock))
	}
	fmt.Fprintf(tw, "Chain head %s\n", info.Chain)
	if info.Hold != nil {
		fmt.Fprintf(tw, "Legal hold: %s\n", holdText(info.Hold))
	}
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "SESSION\tSTART\tEND\tENDED\tCLOSE\tREMOTE\tERROR")
	for _, s := range info.Sessions {
		closeText := "-"
		if s.CloseCode != 0 {
			closeText = strconv.Itoa(s.CloseCode)
			if s.CloseReason != "" {
				closeText += " " + orDash(s.CloseReason)
			}
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", s.ID, fmtTime(s.Start), fmtTime(s.End),
			orDash(cmp.Or(s.Reason, openOrUnknown(s.End))), closeText, orDash(s.RemoteAddr), orDash(s.Err))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	return writeActionsTable(w, info.Actions)
}

// writeActionsTable writes frames per direction and action.
func writeActionsTable(w io.Writer, actions []actionCount) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DIR\tACTION\tFRAMES\tBYTES")
	for _, a := range actions {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\n", a.Dir, orDash(a.Action), a.Frames, a.Bytes)
	}
	return tw.Flush()
}

// openOrUnknown says what an unended session is: still open or cut off.
func openOrUnknown(end time.Time) string {
	if end.IsZero() {
		return "open or cut off"
	}
	return ""
}

func tableOrJSON(c *cli.Context) (string, error) {
	switch f := c.String(flgFormat); f {
	case "table", "json":
		return f, nil
	default:
		return "", usagef("--format %q: use table or json", f)
	}
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// orDash prepares text from the service or the user for a table cell: "-"
// for nothing, else printable (a tab or newline in a title would break the
// table). JSON output keeps the text exact.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return printable(s)
}
