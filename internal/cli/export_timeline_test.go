package cli

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/confrec/confrec/replay"
	"github.com/confrec/confrec/store"
)

func shortDB(t *testing.T) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "short.db")
	srv := startServe(t, serveEnv(), "--scenario", testdata("scenario-short.jsonl"), "--speed", "0")
	mustRun(t, recordEnv(), "--db", db, "record", "--conf-id", "555000111", "--api-url", srv.URL)
	return db
}

// TestReconstructionExports: replay print, export timeline, attendance and
// report of one recorded meeting, through the CLI.
func TestReconstructionExports(t *testing.T) {
	t.Parallel()
	db := shortDB(t)

	printed := mustRun(t, nil, "--db", db, "replay", "print", "555000111", "--speed", "0").stdout
	for _, want := range []string{"joined  Zoë Müller (p-zoe)", "hand_raised  Omar Haddad (p-omar)", "meeting_locked", "speaker_started  Li Na (p-lina)", "meeting_ended"} {
		if !strings.Contains(printed, want) {
			t.Errorf("replay print lacks %q:\n%s", want, printed)
		}
	}

	timeline := mustRun(t, nil, "--db", db, "export", "timeline", "555000111", "--format", "csv").stdout
	rows, err := csv.NewReader(strings.NewReader(timeline)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, r := range rows[1:] {
		kinds[r[3]]++
	}
	if kinds["joined"] != 3 || kinds["unmuted"] != 1 || kinds["hand_raised"] != 1 || kinds["meeting_ended"] != 1 || kinds["meeting_locked"] != 1 {
		t.Errorf("timeline kinds %v", kinds)
	}
	for _, r := range rows[1:] {
		for _, v := range r[:2] { // time, received
			if _, err := time.Parse("2006-01-02T15:04:05.000Z", v); err != nil {
				t.Fatalf("time %q is not RFC 3339 UTC with milliseconds", v)
			}
		}
	}

	var presences []struct {
		PID      string  `json:"pid"`
		Role     string  `json:"role"`
		Joined   string  `json:"joined"`
		Left     string  `json:"left"`
		Duration float64 `json:"duration_seconds"`
	}
	att := mustRun(t, nil, "--db", db, "export", "attendance", "555000111", "--format", "json").stdout
	if err := json.Unmarshal([]byte(att), &presences); err != nil {
		t.Fatal(err)
	}
	// From the scenario: Li Na and Omar from the snapshot at createTime
	// ...200130, Zoë from ...200640; all leave when the meeting ends at
	// ...201450.
	want := map[string]float64{"p-lina": 1.320, "p-omar": 1.320, "p-zoe": 0.810}
	if len(presences) != 3 {
		t.Fatalf("presences %+v", presences)
	}
	for _, p := range presences {
		if p.Duration != want[p.PID] || p.Left != "2025-03-18T02:00:01.450Z" {
			t.Errorf("presence %+v, want %.3fs leaving at 02:00:01.450Z", p, want[p.PID])
		}
	}
	summary := mustRun(t, nil, "--db", db, "export", "attendance", "555000111", "--summary").stdout
	if !strings.HasPrefix(summary, "pid,name,first_joined,last_left,total_seconds,rejoins,speaking_seconds,times_muted\r\n") ||
		!strings.Contains(summary, "p-omar,Omar Haddad,2025-03-18T02:00:00.130Z,2025-03-18T02:00:01.450Z,1.320,0,0.350,0") {
		t.Errorf("attendance summary:\n%s", summary)
	}

	report := filepath.Join(t.TempDir(), "report.html")
	mustRun(t, nil, "--db", db, "export", "report", "555000111", "-o", report)
	html, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(html), `class="lane"`); n != 3 || !strings.Contains(string(html), "Daily stand-up") {
		t.Errorf("report has %d lanes, want 3", n)
	}
	if fi, _ := os.Stat(report); fi.Mode().Perm() != 0o600 {
		t.Errorf("report mode %v", fi.Mode().Perm())
	}
}

// TestProgressBar: exports show a progress bar on stderr only on a terminal
// (forced here with CONFREC_PROGRESS=1, since a test has no terminal).
func TestProgressBar(t *testing.T) {
	t.Parallel()
	db := shortDB(t)
	quiet := run(t, nil, "--db", db, "export", "frames", "555000111", "-o", filepath.Join(t.TempDir(), "f.jsonl"))
	if quiet.code != 0 || quiet.stderr != "" {
		t.Errorf("without a terminal: exit %d, stderr %q", quiet.code, quiet.stderr)
	}
	shown := run(t, []string{"CONFREC_PROGRESS=1"}, "--db", db, "export", "timeline", "555000111", "-o", filepath.Join(t.TempDir(), "t.jsonl"))
	if shown.code != 0 || !strings.Contains(shown.stderr, "export timeline") {
		t.Errorf("forced: exit %d, stderr %q", shown.code, shown.stderr)
	}
}

// skewedMeeting is a meeting of two sessions whose receive clock runs skew
// ahead of the service's createTime (behind when skew < 0): every frame
// is received at its createTime plus skew; the frames without a
// createTime (Subscribe, heartbeats) too. It returns the frames and the
// seq of the frame where p-two joins.
func skewedMeeting(id string, skew time.Duration) ([]jsonlFrame, uint64) {
	c0 := time.Date(2025, 3, 18, 2, 0, 0, 0, time.UTC) // the service's clock
	type step struct {
		ms      int64
		session uint32
		dir     string
		payload string // %d is the createTime
	}
	pinfo := func(pid, name, role string) string {
		return `{"pid":"` + pid + `","mode":0,"pinfoMap":{"NAME":"` + name + `","ROLE":"` + role + `","MUTE":"1"}}`
	}
	steps := []step{
		{0, 1, "out", `{"action":"Subscribe","sequence":"1","data":"{}"}`},
		{100, 1, "in", `{"action":"ConfBasicInfoNotify","createTime":%d,"msgID":"m1","msgMode":0,"confID":"` + id + `","title":"Clocks"}`},
		{200, 1, "in", `{"action":"ParticipantsNotify","createTime":%d,"msgID":"m2","msgMode":0,"data":[` + pinfo("p-one", "One", "1") + `]}`},
		{30000, 1, "in", `{"action":"HeartBeat"}`},
		{60000, 1, "in", `{"action":"ParticipantsNotify","createTime":%d,"msgID":"m3","msgMode":1,"version":1,"data":[` + pinfo("p-two", "Two", "0") + `]}`},
		{90000, 1, "in", `{"action":"HeartBeat"}`},
		{120000, 2, "out", `{"action":"Subscribe","sequence":"2","data":"{}"}`},
		{120100, 2, "in", `{"action":"ParticipantsNotify","createTime":%d,"msgID":"m4","msgMode":0,"data":[` +
			pinfo("p-one", "One", "1") + `,` + pinfo("p-two", "Two", "0") + `,` + pinfo("p-three", "Three", "0") + `]}`},
		{180000, 2, "in", `{"action":"ConfDynamicInfoNotify","createTime":%d,"msgID":"m5","msgMode":1,"version":1,"state":"Destroyed"}`},
	}
	var frames []jsonlFrame
	for _, s := range steps {
		c := c0.Add(time.Duration(s.ms) * time.Millisecond)
		p := s.payload
		if strings.Contains(p, "%d") {
			p = fmt.Sprintf(p, c.UnixMilli())
		}
		frames = append(frames, jsonlFrame{time: c.Add(skew), session: s.session, dir: s.dir, payload: p})
	}
	return frames, 5
}

// timelineRow is the time, received, seq and kind of a timeline record.
type timelineRow struct {
	Time     time.Time `json:"time"`
	Received time.Time `json:"received"`
	Seq      uint64    `json:"seq"`
	Kind     string    `json:"kind"`
}

// timelineRows exports meeting id's timeline in format (jsonl or csv).
func timelineRows(t *testing.T, db, id, format string) []timelineRow {
	t.Helper()
	out := mustRun(t, nil, "--db", db, "export", "timeline", id, "--format", format).stdout
	var rows []timelineRow
	if format == "jsonl" {
		for line := range strings.Lines(out) {
			var r timelineRow
			if err := json.Unmarshal([]byte(line), &r); err != nil {
				t.Fatalf("timeline line %q: %v", line, err)
			}
			rows = append(rows, r)
		}
		return rows
	}
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(recs) < 2 || recs[0][0] != "time" || recs[0][1] != "received" || recs[0][2] != "seq" || recs[0][3] != "kind" {
		t.Fatalf("timeline csv: %v\n%s", err, out)
	}
	for _, rec := range recs[1:] {
		var r timelineRow
		var err1, err2, err3 error
		r.Time, err1 = time.Parse(time.RFC3339Nano, rec[0])
		r.Received, err2 = time.Parse(time.RFC3339Nano, rec[1])
		r.Seq, err3 = strconv.ParseUint(rec[2], 10, 64)
		if err1 != nil || err2 != nil || err3 != nil {
			t.Fatalf("timeline csv row %q: %v %v %v", rec, err1, err2, err3)
		}
		r.Kind = rec[3]
		rows = append(rows, r)
	}
	return rows
}

// TestTimelineOneClockPerColumn: in a meeting whose receive clock is hours
// off the service's, every timeline row's time is on the service's clock
// and its received on the receive clock, session rows included, so that
// sorting by time keeps the file's order.
func TestTimelineOneClockPerColumn(t *testing.T) {
	t.Parallel()
	for _, skew := range []time.Duration{5 * time.Hour, -5 * time.Hour} {
		frames, _ := skewedMeeting("777", skew)
		db := importFrames(t, "777", frames)
		first, last := frames[0].time, frames[len(frames)-1].time
		for _, format := range []string{"jsonl", "csv"} {
			t.Run(fmt.Sprintf("%s/%v", format, skew), func(t *testing.T) {
				rows := timelineRows(t, db, "777", format)
				var kinds []string
				for _, r := range rows {
					kinds = append(kinds, r.Kind)
					// A session's start and end may lie a moment outside its frames.
					if r.Time.Before(first.Add(-skew-time.Second)) || r.Time.After(last.Add(-skew+time.Second)) {
						t.Errorf("%s (seq %d): time %s is not on the service's clock (%s .. %s)", r.Kind, r.Seq, r.Time, first.Add(-skew), last.Add(-skew))
					}
					if r.Received.Before(first.Add(-time.Second)) || r.Received.After(last.Add(time.Second)) {
						t.Errorf("%s (seq %d): received %s is not on the receive clock (%s .. %s)", r.Kind, r.Seq, r.Received, first, last)
					}
				}
				if !slices.Contains(kinds, "session_started") || !slices.Contains(kinds, "session_ended") || !slices.Contains(kinds, "joined") {
					t.Fatalf("timeline kinds %q: the meeting lost its sessions or joins", kinds)
				}
				sorted := slices.Clone(rows)
				slices.SortStableFunc(sorted, func(a, b timelineRow) int { return a.Time.Compare(b.Time) })
				if !reflect.DeepEqual(sorted, rows) {
					t.Errorf("sorted by time, the timeline's order changes:\nfile   %+v\nsorted %+v", rows, sorted)
				}
			})
		}
	}
}

// foldUpTo folds meeting id's frames up to seq with a replay.Folder.
func foldUpTo(t *testing.T, path, id string, seq uint64) *replay.State {
	t.Helper()
	db, err := store.Open(path, &store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	m, err := db.Meeting(id)
	if err != nil {
		t.Fatal(err)
	}
	f := replay.NewFolder(id, m.Sessions)
	c, err := db.Frames(id, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for c.Next() {
		fr := c.Frame()
		if fr.Seq > seq {
			break
		}
		f.Apply(nil, &fr)
	}
	if err := c.Err(); err != nil {
		t.Fatal(err)
	}
	return f.State()
}

// TestReportOnServiceClock: the report of a meeting whose receive clock is
// hours off the service's spans the meeting on the service's clock, from
// its first session's start to its end.
func TestReportOnServiceClock(t *testing.T) {
	t.Parallel()
	for _, skew := range []time.Duration{5 * time.Hour, -5 * time.Hour} {
		frames, _ := skewedMeeting("777", skew)
		db := importFrames(t, "777", frames)
		out := mustRun(t, nil, "--db", db, "export", "report", "777").stdout
		for _, want := range []string{
			"<dt>First frame</dt><dd>" + fmtTime(frames[0].time.Add(-skew)) + "</dd>",
			"<dt>Last frame / end</dt><dd>" + fmtTime(frames[len(frames)-1].time.Add(-skew)) + "</dd>",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("skew %v: the report lacks %q", skew, want)
			}
		}
	}
}
