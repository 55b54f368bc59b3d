package export

import (
	"bufio"
	"cmp"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"iter"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/confrec/confrec/replay"
	"github.com/confrec/confrec/store"
)

// ReportInput is everything the report shows; the caller folds the meeting
// (replay.Reconstruct) and fills it.
//
// Its times are on two clocks. An event's Time is the service's clock (the
// createTime of its frame) when the frame carried one, else the receive
// time, like Received; Presences and Summary follow the events. Sessions,
// and the session events made from them, are on the recorder's clock. The
// report draws and shows every time of the meeting on the service's clock,
// and says so once at its top: a recorder time is moved by the offset
// (Time − Received) of the event received nearest to it whose frame
// carried a createTime. Live, that
// offset is the latency plus the clocks' skew, well under a second and
// nearly constant; in a recording of a replayed meeting it can be years,
// and changes as fast as the replay was sped up.
type ReportInput struct {
	Meeting   replay.MeetingInfo
	Sessions  []store.Session
	Events    []replay.Event
	Presences []replay.Presence
	Summary   []replay.PersonSummary
	// Start and End are the span drawn: the first frame's time to the
	// meeting's end (or the last frame). Each may be on either clock: it is
	// read on the one that puts it nearer the first (last) event. The span
	// is widened to take in every event; a presence beyond it is drawn to
	// its edge.
	Start, End time.Time
	// Integrity is what the report says of the recording's integrity;
	// nil says it was not checked.
	Integrity *ReportIntegrity
	// Version is the version of confrec that wrote the report, shown in
	// the footer; empty leaves it out.
	Version string
	// Generated is when the report was written, on the writing computer's
	// clock, which the footer names; zero leaves it out.
	Generated time.Time
}

// ReportIntegrity is what the report shows of a recording's integrity: its
// hash chain and, when the meeting was sealed, the seal.
type ReportIntegrity struct {
	// ChainHead is the stored head of the meeting's hash chain
	// (store.Meeting.ChainHead), as `confrec info` shows it, after Frames
	// frames.
	ChainHead store.Hash
	Frames    uint64
	// Verify is what store.DB.Verify returned for the meeting: nil when the
	// chain recomputed from the stored frames ends in ChainHead.
	Verify error
	// Seal is the seal's manifest when one was given; nil when none was.
	Seal *ReportSeal
}

// ReportSeal is a seal's manifest (package seal) as the report shows it. A
// manifest is kept outside the database, so the caller reads it.
type ReportSeal struct {
	// SHA256 is the SHA-256 of the manifest file's bytes, in hex: what an
	// auditor compares with the copy they keep.
	SHA256 string
	// ExportSHA256 is the manifest's SHA-256 of the canonical export.
	ExportSHA256 string
	// Signature says whether the manifest is signed, and by which key.
	Signature string
	// Verify is what checking the database against the manifest
	// (seal.VerifyDB) returned: nil when it holds exactly what was sealed.
	Verify error
}

// Report writes a self-contained HTML report of a meeting to w: a header
// with the meeting's facts and totals, a presence timeline with one lane per
// person, the attendance table (in.Summary: first join, last leave,
// presence, rejoins, times muted, speaking), the speaking-time ranking and
// the recording sessions with their gaps, and the integrity block (the
// hash chain's head and check, and the seal when one was given). The page needs nothing from the network and no JavaScript; the
// timeline is SVG drawn here, stretched by the browser to the window's
// width.
//
// Report streams to w through a buffer that it flushes before it returns.
// Names and every other text from the meeting are escaped.
func Report(w io.Writer, in *ReportInput) error {
	if in == nil {
		return errors.New("write report: no input")
	}
	v := newReportView(in)
	bw := bufio.NewWriterSize(w, 64<<10)
	if err := reportTemplate.Execute(bw, v); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

// reportView is what the template shows.
type reportView struct {
	Title      string
	Header     []headerItem
	Anomalies  []headerItem
	LabelWidth int
	PlotRight  int
	PlotWidth  int
	AxisHeight int
	LanesH     int
	Ticks      []tickView
	Grid       string
	Gaps       []gapView
	Markers    []markerView
	NumLanes   int
	Labels     iter.Seq[*labelView]
	Lanes      iter.Seq[*laneView]
	Attendance []attendanceView
	Ranking    []rankView
	RankMore   string
	RankBarMax int
	Sessions   []sessionView
	Integrity  []integrityItem
	Version    string
	Generated  string

	in    *ReportInput
	sc    timeScale
	clk   *clock
	lanes []*lane
}

type headerItem struct{ Label, Value string }

// integrityItem is one line of the integrity block. ID names it for
// tools that read the page; Class is "ok" or "bad" for a check's result.
type integrityItem struct{ ID, Label, Value, Class string }

// tickView is a tick of the time axis: X in plot columns, Left the same
// as a percentage of the plot's width, for its HTML label.
type tickView struct {
	X            int
	Left         string
	Clock, Since string
}

type gapView struct {
	X, W int
	Tip  string
}

type markerView struct {
	X     int
	Class string
	Tip   string
}

// labelView is a lane's label, in the labels' SVG.
type labelView struct {
	PID  string
	Y    int
	Odd  bool
	Name string
	Role string
	Tip  string
}

// laneView is a lane's drawing, in the plot's SVG.
type laneView struct {
	PID   string
	Y     int
	Odd   bool
	Pres  string
	Spk   string
	Marks []markPath
}

type markPath struct{ Class, D string }

// attendanceView is one person's row of the attendance table.
type attendanceView struct {
	Name       string
	PID        string
	Joined     string
	Left       string
	Present    string
	Rejoins    int
	TimesMuted int
	Speaking   string
}

type rankView struct {
	Rank     int
	Name     string
	PID      string
	Speaking string
	Share    string
	Bar      int
}

type sessionView struct {
	ID       uint32
	Start    string
	End      string
	Duration string
	Ended    string
	GapAfter string
}

// newReportView lays the report out: lanes, their pixel columns, the axis
// and the tables. Lanes' SVG is produced later, one lane at a time, while
// the template runs.
func newReportView(in *ReportInput) *reportView {
	v := &reportView{
		in:         in,
		LabelWidth: labelWidth,
		PlotRight:  plotRight,
		PlotWidth:  plotWidth,
		AxisHeight: axisHeight,
		RankBarMax: rankBarMax,
	}
	v.clk = newClock(in.Events)
	start, end := v.span()
	v.sc = timeScale{start: start, span: end.Sub(start)}
	v.Title = in.Meeting.Title
	if v.Title == "" {
		v.Title = "Meeting " + in.Meeting.ConfID
	}
	v.layLanes()
	v.NumLanes = len(v.lanes)
	v.LanesH = len(v.lanes) * laneHeight
	v.header(start, end)
	v.axis(start, end)
	v.sessions()
	v.markers()
	v.attendance()
	v.ranking()
	v.integrity()
	v.Version = in.Version
	v.Labels = v.labelViews
	v.Lanes = v.laneViews
	if !in.Generated.IsZero() {
		v.Generated = fmtTime(in.Generated)
	}
	return v
}

// header fills the meeting's facts and totals.
func (v *reportView) header(start, end time.Time) {
	in := v.in
	m := in.Meeting
	var presence time.Duration
	type edge struct {
		t time.Time
		d int
	}
	edges := make([]edge, 0, 2*len(in.Presences))
	for _, p := range in.Presences {
		left := p.Left
		if left.IsZero() || left.Before(p.Joined) {
			left = end
		}
		d := p.Duration
		if d <= 0 {
			d = left.Sub(p.Joined)
		}
		presence += d
		edges = append(edges, edge{p.Joined, +1}, edge{left, -1})
	}
	slices.SortFunc(edges, func(x, y edge) int {
		if c := x.t.Compare(y.t); c != 0 {
			return c
		}
		return cmp.Compare(x.d, y.d) // leaves before joins at the same instant
	})
	peak, now := 0, 0
	for _, e := range edges {
		now += e.d
		peak = max(peak, now)
	}
	var gaps int
	var gapTotal time.Duration
	for _, g := range sessionGaps(in.Sessions) {
		gaps++
		gapTotal += g.to.Sub(g.from)
	}
	orNone := func(s string) string {
		if s == "" {
			return noValue
		}
		return s
	}
	v.Header = []headerItem{
		{"Title", orNone(m.Title)},
		{"Owner", orNone(m.Owner)},
		{"Conference ID", orNone(m.ConfID)},
		{"Scheduled start", fmtTime(m.ScheduledStart)},
		{"Actual start", fmtTime(m.ActualStart)},
		{"First frame", fmtTime(start)},
		{"Last frame / end", fmtTime(end)},
		{"Duration", fmtDur(end.Sub(start))},
		{"Participants", strconv.Itoa(len(v.lanes))},
		{"Peak at once", strconv.Itoa(peak)},
		{"Total presence", fmtDur(presence)},
		{"Sessions", strconv.Itoa(len(in.Sessions))},
		{"Gaps", fmt.Sprintf("%d (%s unrecorded)", gaps, fmtDur(gapTotal))},
		{"Clock offset", fmtDur(v.clk.median) + " (service − recorder, median)"},
	}
	var versionGaps, dups, unknown int
	for i := range in.Events {
		switch in.Events[i].Kind {
		case replay.EventVersionGap:
			versionGaps++
		case replay.EventDuplicateMsg:
			dups++
		case replay.EventUnknown:
			unknown++
		}
	}
	v.Anomalies = []headerItem{
		{"Version gaps", strconv.Itoa(versionGaps)},
		{"Duplicate messages", strconv.Itoa(dups)},
		{"Unknown or unreadable frames", strconv.Itoa(unknown)},
		{"Events", strconv.Itoa(len(in.Events))},
	}
}

// sessions fills the sessions table and the gap bands, their times moved
// to the service's clock. Durations and gaps stay as the recorder measured
// them.
func (v *reportView) sessions() {
	s := slices.Clone(v.in.Sessions)
	slices.SortStableFunc(s, func(x, y store.Session) int { return x.Start.Compare(y.Start) })
	for i, x := range s {
		sv := sessionView{ID: x.ID, Start: fmtTime(v.clk.service(x.Start)), End: fmtTime(v.clk.service(x.End)), Duration: noValue, Ended: howEnded(x)}
		if !x.End.IsZero() {
			sv.Duration = fmtDur(x.End.Sub(x.Start))
		}
		if i+1 < len(s) && !x.End.IsZero() && s[i+1].Start.After(x.End) {
			sv.GapAfter = fmtDur(s[i+1].Start.Sub(x.End))
		}
		v.Sessions = append(v.Sessions, sv)
	}
	for _, g := range sessionGaps(v.in.Sessions) {
		from, to := v.clk.service(g.from), v.clk.service(g.to)
		a, b := v.sc.cols(from, to)
		v.Gaps = append(v.Gaps, gapView{
			X:   a,
			W:   max(b-a, gapMinWidth),
			Tip: fmt.Sprintf("not recorded: %s to %s (%s) after session %d", fmtClock(from), fmtClock(to), fmtDur(to.Sub(from)), g.after),
		})
	}
}

// howEnded says in words how a session ended.
func howEnded(s store.Session) string {
	if s.End.IsZero() {
		return "open (or the recorder stopped without closing it)"
	}
	var parts []string
	if s.Reason != "" {
		parts = append(parts, s.Reason)
	}
	if s.CloseCode != 0 {
		c := "close " + strconv.Itoa(s.CloseCode)
		if s.CloseReason != "" {
			c += " " + strconv.Quote(s.CloseReason)
		}
		parts = append(parts, c)
	}
	if s.Err != "" {
		parts = append(parts, "error: "+s.Err)
	}
	if len(parts) == 0 {
		return "ended"
	}
	return strings.Join(parts, "; ")
}

// attendance fills the attendance table from the summary, one row per
// person who joined, in its order (first join).
func (v *reportView) attendance() {
	for _, s := range v.in.Summary {
		name := s.Name
		if name == "" {
			name = s.PID
		}
		v.Attendance = append(v.Attendance, attendanceView{
			Name:       name,
			PID:        s.PID,
			Joined:     fmtTime(s.FirstJoined),
			Left:       fmtTime(s.LastLeft),
			Present:    fmtDur(s.Total),
			Rejoins:    s.Rejoins,
			TimesMuted: s.TimesMuted,
			Speaking:   fmtDur(s.Speaking),
		})
	}
}

// integrity fills the integrity block.
func (v *reportView) integrity() {
	in := v.in.Integrity
	if in == nil {
		v.Integrity = []integrityItem{{ID: "chain-verify", Label: "Hash chain", Value: "not checked"}}
		return
	}
	chain, class := checkResult(in.Verify)
	if in.Verify == nil {
		chain += fmt.Sprintf(": the chain recomputed from the %d stored frames ends in the head", in.Frames)
	}
	v.Integrity = []integrityItem{
		{ID: "chain-head", Label: "Chain head", Value: in.ChainHead.String()},
		{ID: "chain-verify", Label: "Hash chain", Value: chain, Class: class},
	}
	s := in.Seal
	if s == nil {
		v.Integrity = append(v.Integrity, integrityItem{ID: "seal", Label: "Seal",
			Value: "no manifest given (a seal's manifest is kept outside the database)"})
		return
	}
	sealed, class := checkResult(s.Verify)
	if s.Verify == nil {
		sealed += ": the database holds exactly what was sealed"
	}
	v.Integrity = append(v.Integrity,
		integrityItem{ID: "seal-manifest", Label: "Seal manifest SHA-256", Value: s.SHA256},
		integrityItem{ID: "seal-export", Label: "Sealed export SHA-256", Value: s.ExportSHA256},
		integrityItem{ID: "seal-signature", Label: "Signature", Value: s.Signature},
		integrityItem{ID: "seal-verify", Label: "Seal", Value: sealed, Class: class},
	)
}

// checkResult says a check's result err in words, and its class: "ok", or
// where a broken chain breaks. The time of a broken frame is left out: it
// is on the recorder's clock.
func checkResult(err error) (text, class string) {
	if err == nil {
		return "ok", "ok"
	}
	if ce, ok := errors.AsType[*store.ChainError](err); ok {
		return fmt.Sprintf("FAILED at frame %d: %v", ce.Seq, ce.Err), "bad"
	}
	return "FAILED: " + err.Error(), "bad"
}

// ranking fills the speaking-time ranking from the summary: everyone who
// spoke, longest first, the first rankTop drawn.
func (v *reportView) ranking() {
	var spoke []*replay.PersonSummary
	var total time.Duration
	for i := range v.in.Summary {
		s := &v.in.Summary[i]
		if s.Speaking > 0 {
			spoke = append(spoke, s)
			total += s.Speaking
		}
	}
	slices.SortStableFunc(spoke, func(x, y *replay.PersonSummary) int {
		if c := cmp.Compare(y.Speaking, x.Speaking); c != 0 {
			return c
		}
		if c := strings.Compare(x.Name, y.Name); c != 0 {
			return c
		}
		return strings.Compare(x.PID, y.PID)
	})
	for i, s := range spoke {
		if i == rankTop {
			var rest time.Duration
			for _, r := range spoke[i:] {
				rest += r.Speaking
			}
			v.RankMore = fmt.Sprintf("and %d more, together %s (%s)", len(spoke)-i, fmtDur(rest), share(rest, total))
			break
		}
		v.Ranking = append(v.Ranking, rankView{
			Rank:     i + 1,
			Name:     s.Name,
			PID:      s.PID,
			Speaking: fmtDur(s.Speaking),
			Share:    share(s.Speaking, total),
			Bar:      max(1, int(math.Round(float64(s.Speaking)/float64(spoke[0].Speaking)*rankBarMax))),
		})
	}
}

func share(d, total time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(total)*100, 'f', 1, 64) + "%"
}

// fmtTime formats t as RFC 3339 in UTC with milliseconds; zero is unknown.
func fmtTime(t time.Time) string {
	if t.IsZero() {
		return noValue
	}
	return t.UTC().Format(timeLayout)
}

// fmtClock formats t's time of day in UTC, for tooltips.
func fmtClock(t time.Time) string {
	if t.IsZero() {
		return noValue
	}
	return t.UTC().Format(tipLayout)
}

// fmtDur formats d for people: 2h05m07s, 4m10s, 12s; tenths of a second
// below ten seconds, milliseconds below one.
func fmtDur(d time.Duration) string {
	if d < 0 {
		return "-" + fmtDur(-d)
	}
	if d < time.Second && d != 0 {
		return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
	}
	if d < 10*time.Second && d%time.Second != 0 {
		return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + "s"
	}
	d = d.Round(time.Second)
	h, m, s := int(d/time.Hour), int(d/time.Minute%60), int(d/time.Second%60)
	switch {
	case h > 0:
		return fmt.Sprintf("%dh%02dm%02ds", h, m, s)
	case m > 0:
		return fmt.Sprintf("%dm%02ds", m, s)
	}
	return fmt.Sprintf("%ds", s)
}

// reportFiles are the page and its style sheet. Everything the page needs is
// inline: no scripts, no fonts, no images from anywhere. The page runs
// report.css inside its <style> element.
//
//go:embed report.html.tmpl report.css
var reportFiles embed.FS

// reportTemplate is the page, parsed once.
var reportTemplate = template.Must(template.ParseFS(reportFiles, "report.html.tmpl", "report.css"))
