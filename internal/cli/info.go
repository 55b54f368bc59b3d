package cli

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"text/tabwriter"

	"github.com/confrec/confrec/confctl"
	"github.com/confrec/confrec/store"
	"github.com/urfave/cli/v2"
)

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
