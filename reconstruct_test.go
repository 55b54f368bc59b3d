package main

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func shortDB(t *testing.T) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "short.db")
	srv := startServe(t, serveEnv(), "--scenario", testdata("scenario-short.jsonl"), "--speed", "0")
	mustRun(t, recordEnv(), "--db", db, "record", "--conf-id", "555000111", "--api-url", srv.URL)
	return db
}

// TestReplayStateCLI: the state just before and at the frame where Zoë
// joins, through `replay state --at`.
func TestReplayStateCLI(t *testing.T) {
	t.Parallel()
	db := shortDB(t)
	var joinAt time.Time
	for _, r := range exported(t, db, "555000111") {
		if r.MsgID == "a0000000000000000000000000000005" {
			// --at is on the service's clock: the frame's createTime.
			var p struct {
				CreateTime int64 `json:"createTime"`
			}
			if err := json.Unmarshal(payload(t, r), &p); err != nil {
				t.Fatal(err)
			}
			joinAt = time.UnixMilli(p.CreateTime).UTC()
		}
	}
	if joinAt.IsZero() {
		t.Fatal("the join frame was not recorded")
	}
	type state struct {
		Meeting struct {
			Title string `json:"title"`
			State string `json:"state"`
		} `json:"meeting"`
		Participants []struct {
			PID   string `json:"pid"`
			Name  string `json:"name"`
			Role  string `json:"role"`
			Muted bool   `json:"muted"`
			Hand  bool   `json:"hand"`
		} `json:"participants"`
		Speakers []struct {
			PID string `json:"pid"`
		} `json:"speakers"`
		Waiting []any `json:"waiting"`
	}
	at := func(when string) state {
		var s state
		out := mustRun(t, nil, "--db", db, "replay", "state", "555000111", "--at", when).stdout
		if err := json.Unmarshal([]byte(out), &s); err != nil {
			t.Fatalf("replay state --at %s: %v\n%s", when, err, out)
		}
		return s
	}
	before := at(joinAt.Add(-time.Nanosecond).Format(time.RFC3339Nano))
	if len(before.Participants) != 2 || before.Meeting.Title != "Daily stand-up" || before.Meeting.State != "Created" {
		t.Errorf("before the join: %+v", before)
	}
	if len(before.Speakers) != 1 || before.Speakers[0].PID != "p-lina" {
		t.Errorf("speakers before the join: %+v", before.Speakers)
	}
	after := at(joinAt.Format(time.RFC3339Nano))
	if len(after.Participants) != 3 || after.Participants[2].PID != "p-zoe" || after.Participants[2].Name != "Zoë Müller" || !after.Participants[2].Muted {
		t.Errorf("at the join: %+v", after.Participants)
	}
	if host := before.Participants[0]; host.PID != "p-lina" || host.Role != "host" {
		t.Errorf("first participant %+v, want p-lina the host", host)
	}
	end := at("+1h")
	if end.Meeting.State != "Destroyed" || len(end.Speakers) != 0 || end.Waiting == nil {
		t.Errorf("at the end: %+v", end)
	}
	if r := run(t, nil, "--db", db, "replay", "state", "555000111"); r.code != 2 || !strings.Contains(r.stderr, "needs --at") {
		t.Errorf("replay state without --at: exit %d %q", r.code, r.stderr)
	}
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
