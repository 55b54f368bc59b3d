package cli

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/confrec/confrec/store"
	"github.com/urfave/cli/v2"
)

const (
	flgOlderThan = "older-than"
	flgDryRun    = "dry-run"
)

func purgeCommand(s *seams) *cli.Command {
	return &cli.Command{
		Name:  "purge",
		Usage: "delete meetings whose last frame is older than a duration, except held ones, and shrink the file",
		Description: `Deletes every meeting whose last frame (its creation, when it has none) is older than
--older-than (a Go duration like 720h, or days like 90d), except meetings under a legal hold
(confrec hold), and lists what it removed and kept. A frame's age is its key time, as meetings
shows it: a clock set back while recording does not make a meeting older. Then it compacts the
database: writes it anew to <db>.compact.tmp without the freed pages, checks it and renames it
over the database, so a crash leaves either the old file or the new one; with --compress it also compresses the
frames, as confrec compact --compress does. A running record keeps the database locked: purge
refuses it (--dry-run works while recording).`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: flgOlderThan, Usage: "delete meetings whose last frame is older than `DURATION` (720h, 90d) (required)"},
			&cli.BoolFlag{Name: flgDryRun, Usage: "list what would be removed, change nothing"},
			&cli.BoolFlag{Name: flgCompress, Usage: "also compress the frames with zstd when compacting (see confrec compact)"},
			formatFlag("table", "table", "json"),
		},
		OnUsageError: onUsageError,
		Action:       func(c *cli.Context) error { return runPurge(c, s) },
	}
}

// purgeRow is one meeting purge looked at.
type purgeRow struct {
	ConfID   string      `json:"conf_id"`
	LastTime time.Time   `json:"last_frame,omitzero"`
	Frames   uint64      `json:"frames"`
	Action   string      `json:"action"` // removed, would remove, kept (held)
	Hold     *store.Hold `json:"hold,omitempty"`
}

// purgeReport is the output of `confrec purge`.
type purgeReport struct {
	Cutoff     time.Time  `json:"cutoff"`
	DryRun     bool       `json:"dry_run"`
	Removed    int        `json:"removed"`
	Kept       int        `json:"kept_held"`
	Compressed bool       `json:"compressed,omitempty"`
	Before     int64      `json:"bytes_before,omitempty"`
	After      int64      `json:"bytes_after,omitempty"`
	Rows       []purgeRow `json:"meetings"`
}

func runPurge(c *cli.Context, s *seams) error {
	format, err := tableOrJSON(c)
	if err != nil {
		return err
	}
	if c.NArg() > 0 {
		return usagef("%s takes no arguments (see '%s --help')", commandPath(c), commandPath(c))
	}
	age, err := parseAge(c.String(flgOlderThan))
	if err != nil {
		return err
	}
	rep := purgeReport{Cutoff: time.Now().UTC().Add(-age), DryRun: c.Bool(flgDryRun)}
	if c.Bool(flgCompress) && rep.DryRun {
		return usagef("--%s compresses while compacting, which --%s does not do: use one or the other", flgCompress, flgDryRun)
	}
	if rep.DryRun {
		err = purgeDryRun(c, &rep)
	} else {
		err = purge(c, &rep, s)
	}
	if err != nil {
		return err
	}
	if format == "json" {
		if rep.Rows == nil {
			rep.Rows = []purgeRow{}
		}
		return writeJSON(c.App.Writer, rep)
	}
	return writePurgeTable(c.App.Writer, &rep)
}

// parseAge reads --older-than: a Go duration, or a whole number of days.
func parseAge(v string) (time.Duration, error) {
	if v == "" {
		return 0, usagef("purge needs --%s DURATION, such as 720h or 90d", flgOlderThan)
	}
	var d time.Duration
	if n, ok := strings.CutSuffix(v, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days < 0 || days > 100*365 {
			return 0, usagef("--%s %q: use a Go duration like 720h or a number of days like 90d", flgOlderThan, v)
		}
		d = time.Duration(days) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(v); err != nil {
			return 0, usagef("--%s %q: use a Go duration like 720h or a number of days like 90d", flgOlderThan, v)
		}
	}
	if d <= 0 {
		return 0, usagef("--%s %q: the duration must be positive", flgOlderThan, v)
	}
	return d, nil
}

// expired reports whether m's last frame (or creation) is before cutoff.
// The last frame's time is its key time (store.Meeting.KeySpan): the latest
// frame time seen, so a clock stepped back while recording does not age a
// meeting.
func expired(m *store.Meeting, cutoff time.Time) bool {
	_, last := m.KeySpan()
	return cmp.Or(last, m.Created).Before(cutoff)
}

func newPurgeRow(m *store.Meeting, action string) purgeRow {
	_, last := m.KeySpan()
	return purgeRow{ConfID: m.ID, LastTime: last, Frames: m.Frames, Action: action, Hold: m.Hold}
}

func purgeDryRun(c *cli.Context, rep *purgeReport) error {
	db, err := openRead(c)
	if err != nil {
		return err
	}
	defer db.Close()
	ms, err := db.Meetings()
	if err != nil {
		return err
	}
	for i := range ms {
		m := &ms[i]
		switch {
		case !expired(m, rep.Cutoff):
		case m.Hold != nil:
			rep.Kept++
			rep.Rows = append(rep.Rows, newPurgeRow(m, "kept (held)"))
		default:
			rep.Removed++
			rep.Rows = append(rep.Rows, newPurgeRow(m, "would remove"))
		}
	}
	return nil
}

func purge(c *cli.Context, rep *purgeReport, s *seams) error {
	path := c.String(flgDB)
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return noDatabase(path)
	}
	var before int64 // the file's size before purge changed it
	if err == nil {
		before = fi.Size()
	}
	// A recorder holds the lock for hours: do not wait for it.
	db, err := store.Open(path, &store.Options{LockTimeout: -1})
	if err != nil {
		return fmt.Errorf("purge: %w", err)
	}
	defer db.Close()
	ms, err := db.Meetings()
	if err != nil {
		return err
	}
	for i := range ms {
		m := &ms[i]
		if !expired(m, rep.Cutoff) {
			continue
		}
		err := db.DeleteMeeting(c.Context, m.ID)
		switch {
		case errors.Is(err, store.ErrHeld):
			rep.Kept++
			rep.Rows = append(rep.Rows, newPurgeRow(m, "kept (held)"))
		case err != nil:
			return err
		default:
			rep.Removed++
			rep.Rows = append(rep.Rows, newPurgeRow(m, "removed"))
		}
	}
	if err := db.Close(); err != nil {
		return err
	}
	opts := &store.CompactOptions{LockTimeout: -1, Compress: c.Bool(flgCompress), Context: c.Context}
	if s.beforePurgeRename != nil {
		opts.BeforeRename = func(tmp string) error { return s.beforePurgeRename(c, tmp) }
	}
	res, err := store.Compact(path, opts)
	if err != nil {
		return fmt.Errorf("meetings deleted, but the file was not compacted (run purge again): %w", err)
	}
	rep.Before, rep.After = before, res.After
	rep.Compressed = opts.Compress
	return nil
}

func writePurgeTable(w io.Writer, rep *purgeReport) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CONFID\tLAST FRAME\tFRAMES\tACTION\tHOLD")
	for _, r := range rep.Rows {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", orDash(r.ConfID), fmtTime(r.LastTime), r.Frames, r.Action, holdText(r.Hold))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	verb := "removed"
	if rep.DryRun {
		verb = "would remove"
	}
	fmt.Fprintf(w, "%s %d meetings with no frame since %s, kept %d held", verb, rep.Removed, fmtTime(rep.Cutoff), rep.Kept)
	if !rep.DryRun {
		fmt.Fprintf(w, "; database %d -> %d bytes", rep.Before, rep.After)
		if rep.Compressed {
			fmt.Fprint(w, ", frames compressed")
		}
	}
	fmt.Fprintln(w)
	return nil
}
