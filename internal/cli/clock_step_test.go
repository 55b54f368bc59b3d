package cli

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/confrec/confrec/interchange"
	"github.com/confrec/confrec/store"
)

// jsonlFrame is one frame of a meeting crafted for `import jsonl`.
type jsonlFrame struct {
	time    time.Time // receive time
	session uint32
	dir     string // "in" or "out"
	payload string // a text frame's payload
}

// importFrames imports frames as meeting id into a new database and
// returns the database's path.
func importFrames(t *testing.T, id string, frames []jsonlFrame) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "confrec.db")
	mustRun(t, nil, "--db", db, "import", "jsonl", "--conf-id", id, writeFile(t, id+".jsonl", jsonlOf(t, frames)))
	return db
}

// steppedMeeting is a meeting recorded over the last minute whose wall
// clock stepped back by 200 days halfway: the second half's frames carry
// times 200 days old. It returns the frames and the latest frame time.
func steppedMeeting(id string) ([]jsonlFrame, time.Time) {
	start := time.Now().UTC().Add(-time.Minute)
	var frames []jsonlFrame
	var peak time.Time
	for i := range 20 {
		t := start.Add(time.Duration(i) * time.Second)
		if i >= 10 {
			t = t.Add(-200 * 24 * time.Hour)
		} else {
			peak = t
		}
		frames = append(frames, jsonlFrame{time: t, session: 1, dir: "in",
			payload: `{"action":"HeartBeat","confID":"` + id + `"}`})
	}
	return frames, peak
}

// meetingsJSONRow is a row of `meetings --format json`.
type meetingsJSONRow struct {
	ConfID    string    `json:"conf_id"`
	FirstTime time.Time `json:"first_frame"`
	LastTime  time.Time `json:"last_frame"`
	LastClock time.Time `json:"last_frame_clock"`
}

// TestClockStepBackMeetingsPurge: a meeting recorded today whose wall clock
// stepped back 200 days mid-meeting shows FIRST FRAME ≤ LAST FRAME in
// meetings (table and JSON) and info, and purge --older-than 90d keeps it
// (dry run and real), while it still removes a meeting really 200 days old.
func TestClockStepBackMeetingsPurge(t *testing.T) {
	t.Parallel()
	frames, peak := steppedMeeting("111")
	db := importFrames(t, "111", frames)
	var old []jsonlFrame
	for i := range 5 {
		old = append(old, jsonlFrame{time: time.Now().UTC().Add(-200*24*time.Hour + time.Duration(i)*time.Second),
			session: 1, dir: "in", payload: `{"action":"HeartBeat"}`})
	}
	mustRun(t, nil, "--db", db, "import", "jsonl", "--conf-id", "222", writeFile(t, "222.jsonl", jsonlOf(t, old)))

	var rows []meetingsJSONRow
	out := mustRun(t, nil, "--db", db, "meetings", "--format", "json").stdout
	if err := json.Unmarshal([]byte(out), &rows); err != nil || len(rows) != 2 {
		t.Fatalf("meetings --format json: %v\n%s", err, out)
	}
	r := rows[0]
	if r.ConfID != "111" || r.LastTime.Before(r.FirstTime) || !r.FirstTime.Equal(frames[0].time) || !r.LastTime.Equal(peak) {
		t.Errorf("meetings --format json: %+v, want first %s and last %s", r, frames[0].time, peak)
	}
	if last := frames[len(frames)-1].time; !r.LastClock.Equal(last) {
		t.Errorf("meetings --format json: last_frame_clock %s, want the last frame's wall time %s", r.LastClock, last)
	}
	if !rows[1].LastClock.IsZero() {
		t.Errorf("meetings --format json: last_frame_clock %s for a meeting whose clock never stepped back", rows[1].LastClock)
	}

	table := mustRun(t, nil, "--db", db, "meetings").stdout
	for _, line := range strings.Split(strings.TrimSpace(table), "\n")[1:] {
		f := strings.Fields(line)
		// CONFID TITLE FIRST LAST ...: times in one layout sort as text.
		if len(f) < 4 || f[3] < f[2] {
			t.Errorf("meetings: LAST FRAME before FIRST FRAME:\n%s", table)
		}
	}
	infoOut := mustRun(t, nil, "--db", db, "info", "111").stdout
	if want := "from " + fmtTime(frames[0].time) + " to " + fmtTime(peak); !strings.Contains(infoOut, want) {
		t.Errorf("info: want %q in\n%s", want, infoOut)
	}

	for _, dry := range []bool{true, false} {
		args := []string{"--db", db, "purge", "--older-than", "90d", "--format", "json"}
		if dry {
			args = append(args, "--dry-run")
		}
		var p purgeJSON
		out := mustRun(t, nil, args...).stdout
		if err := json.Unmarshal([]byte(out), &p); err != nil {
			t.Fatalf("purge: %v\n%s", err, out)
		}
		if p.Removed != 1 || len(p.Rows) != 1 || p.Rows[0].ConfID != "222" {
			t.Errorf("purge --older-than 90d (dry run %v): %s, want only 222 removed", dry, out)
		}
	}
	out = mustRun(t, nil, "--db", db, "meetings", "--format", "json").stdout
	if err := json.Unmarshal([]byte(out), &rows); err != nil || len(rows) != 1 || rows[0].ConfID != "111" {
		t.Errorf("after purge: %v\n%s", err, out)
	}
	rdb, err := store.Open(db, &store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	if m, err := rdb.Meeting("111"); err != nil || m.Frames != uint64(len(frames)) {
		t.Errorf("after purge: meeting 111 %+v, %v", m, err)
	}
}

// jsonlOf is frames as `export frames --format jsonl` writes them.
func jsonlOf(t *testing.T, frames []jsonlFrame) string {
	t.Helper()
	var b strings.Builder
	for i, f := range frames {
		p := f.payload
		rec := interchange.FrameRecord{Seq: uint64(i + 1), Time: f.time.UTC().Format(interchange.TimeLayout), Session: f.session,
			Dir: f.dir, Opcode: "text", Size: len(p), Payload: &p}
		line, err := json.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	return b.String()
}

// TestClockStepBackExportRange: export frames --from/--to select on the
// same key times as meetings shows, so after a clock step back the frames
// from the meeting's LAST FRAME on are the ones recorded after the step.
func TestClockStepBackExportRange(t *testing.T) {
	t.Parallel()
	frames, peak := steppedMeeting("111")
	db := importFrames(t, "111", frames)
	tests := []struct {
		name     string
		args     []string
		from, to uint64 // seqs expected
	}{
		{"from the last frame", []string{"--from", peak.Format(time.RFC3339Nano)}, 10, 20},
		{"to the last frame", []string{"--to", peak.Format(time.RFC3339Nano)}, 1, 9},
		{"from an offset", []string{"--from", "+5s"}, 6, 20},
		{"to a wall time after the step", []string{"--to", frames[15].time.Format(time.RFC3339Nano)}, 0, 0},
	}
	for _, tt := range tests {
		recs := exported(t, db, "111", tt.args...)
		var got []uint64
		for _, r := range recs {
			got = append(got, r.Seq)
		}
		var want []uint64
		for s := tt.from; s != 0 && s <= tt.to; s++ {
			want = append(want, s)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: seqs %v, want %v", tt.name, got, want)
		}
	}
}

// TestClockStepBackReplayPrintFrom: replay print --from selects on key
// times too: the frames recorded after a clock step back are printed.
func TestClockStepBackReplayPrintFrom(t *testing.T) {
	t.Parallel()
	frames, _ := steppedMeeting("111")
	db := importFrames(t, "111", frames)
	out := mustRun(t, nil, "--db", db, "replay", "print", "111", "--speed", "0", "--from", "+5s").stdout
	if n := strings.Count(out, "HeartBeat"); n != 15 {
		t.Errorf("replay print --from +5s printed %d of the frames 6 to 20:\n%s", n, out)
	}
}
