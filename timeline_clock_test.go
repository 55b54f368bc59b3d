package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/confrec/confrec/replay"
	"github.com/confrec/confrec/store"
)

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

// TestReplayStateAtTimelineTime: replay state --at a time copied from the
// timeline gives the state at that moment (the fold of the frames up to
// that event's frame) and echoes the time asked for; a time outside the
// meeting on the service's clock, such as one on the receive clock, is a
// one-line usage error naming the meeting's range.
func TestReplayStateAtTimelineTime(t *testing.T) {
	t.Parallel()
	for _, skew := range []time.Duration{5 * time.Hour, -5 * time.Hour} {
		t.Run(skew.String(), func(t *testing.T) {
			t.Parallel()
			frames, joinSeq := skewedMeeting("777", skew)
			db := importFrames(t, "777", frames)
			var join timelineRow
			for _, r := range timelineRows(t, db, "777", "jsonl") {
				if r.Kind == "joined" && r.Seq == joinSeq {
					join = r
				}
			}
			if join.Seq == 0 {
				t.Fatal("the timeline has no join at seq 5")
			}
			want := foldUpTo(t, db, "777", joinSeq)
			firstService := frames[0].time.Add(-skew)
			tests := []struct {
				name, at string
				wantAt   time.Time
			}{
				{"timeline time", join.Time.Format(time.RFC3339Nano), join.Time},
				{"offset", "+60s", firstService.Add(60 * time.Second)},
			}
			for _, tt := range tests {
				r := mustRun(t, nil, "--db", db, "replay", "state", "777", "--at", tt.at)
				var got replay.State
				if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
					t.Fatalf("%s: %v\n%s", tt.name, err, r.stdout)
				}
				if !got.At.Equal(tt.wantAt) {
					t.Errorf("%s: at %s, want %s", tt.name, got.At, tt.wantAt)
				}
				got.At = want.At
				if len(got.Participants) != 2 || !reflect.DeepEqual(&got, want) {
					t.Errorf("%s: state at --at %s:\n got %+v\nwant %+v", tt.name, tt.at, got, *want)
				}
			}

			for _, at := range []time.Time{join.Received, firstService.Add(-time.Minute), frames[len(frames)-1].time.Add(-skew + time.Minute)} {
				r := run(t, nil, "--db", db, "replay", "state", "777", "--at", at.Format(time.RFC3339Nano))
				msg := strings.TrimSpace(r.stderr)
				if r.code != 2 || strings.Contains(msg, "\n") || !strings.Contains(msg, "777") ||
					!strings.Contains(msg, fmtTime(firstService)) || !strings.Contains(msg, fmtTime(frames[len(frames)-1].time.Add(-skew))) {
					t.Errorf("--at %s (outside the meeting): exit %d, stderr %q; want exit 2 and one line naming the meeting and its range", at, r.code, msg)
				}
			}
		})
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
