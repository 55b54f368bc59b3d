package export_test

import (
	"bytes"
	"cmp"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/confrec/confrec/export"
	"github.com/confrec/confrec/replay"
	"github.com/confrec/confrec/store"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// reportT0 is when the hand-built meetings begin.
var reportT0 = time.Date(2025, 3, 18, 2, 0, 0, 0, time.UTC)

// reportAt is reportT0 plus a duration written like "18m45s".
func reportAt(d string) time.Time {
	v, err := time.ParseDuration(d)
	if err != nil {
		panic(err)
	}
	return reportT0.Add(v)
}

// smallReport is a 40-minute meeting of three people, written by hand: the
// connection drops at 18m and is back at 18m45s, Carol leaves and rejoins,
// and Alice hands the host role to Bob at 30m.
func smallReport() *export.ReportInput {
	recv := func(d string) time.Time { return reportAt(d).Add(40 * time.Millisecond) }
	ev := func(d string, k replay.EventKind, pid, name, old, new, detail string) replay.Event {
		return replay.Event{Time: reportAt(d), Received: recv(d), Kind: k, PID: pid, Name: name, Old: old, New: new, Detail: detail}
	}
	const (
		alice = "Alice Chen"
		bob   = "Bob Müller"
		carol = "Carol"
	)
	return &export.ReportInput{
		Meeting: replay.MeetingInfo{
			ConfID:         "986512347",
			Title:          "Weekly sync",
			Owner:          "Alice Chen",
			ScheduledStart: reportT0,
			ActualStart:    reportAt("1s"),
			State:          "Destroyed",
		},
		// Sessions are on the recorder's clock, which receives the frames
		// 40ms after the service stamped them.
		Sessions: []store.Session{
			{ID: 1, Start: recv("0s"), End: recv("18m"), SessionEnd: store.SessionEnd{Reason: "dropped", CloseCode: 1006}},
			{ID: 2, Start: recv("18m45s"), End: recv("40m"), SessionEnd: store.SessionEnd{Reason: "meeting-ended", CloseCode: 1000, CloseReason: "meeting ended"}},
		},
		Events: []replay.Event{
			ev("0s", replay.EventSessionStarted, "", "", "", "", ""),
			ev("1s", replay.EventMeetingStarted, "", "", "", "Created", ""),
			ev("2s", replay.EventJoined, "p1", alice, "", "", ""),
			ev("1m30s", replay.EventJoined, "p2", bob, "", "", ""),
			ev("2m", replay.EventSpeakerStarted, "p1", alice, "", "80", ""),
			ev("3m", replay.EventMuted, "p2", bob, "", "", ""),
			ev("5m", replay.EventJoined, "p3", carol, "", "", ""),
			ev("6m", replay.EventSpeakerStopped, "p1", alice, "", "", ""),
			ev("7m", replay.EventHandRaised, "p3", carol, "", "", ""),
			ev("8m", replay.EventHandLowered, "p3", carol, "", "", ""),
			ev("10m", replay.EventUnmuted, "p2", bob, "", "", ""),
			ev("10m5s", replay.EventSpeakerStarted, "p2", bob, "", "75", ""),
			ev("12m", replay.EventSharingStarted, "p3", carol, "", "", ""),
			ev("14m", replay.EventSpeakerStopped, "p2", bob, "", "", ""),
			ev("16m", replay.EventSharingStopped, "p3", carol, "", "", ""),
			ev("18m", replay.EventSessionEnded, "", "", "", "", "dropped: close 1006"),
			ev("18m45s", replay.EventSessionStarted, "", "", "", "", "after a drop"),
			ev("18m46s", replay.EventVersionGap, "", "", "41", "44", ""),
			ev("25m", replay.EventLeft, "p3", carol, "", "", ""),
			ev("28m", replay.EventRejoined, "p3", carol, "", "", ""),
			ev("30m", replay.EventRoleChanged, "p1", alice, replay.RoleHost, replay.RoleParticipant, ""),
			ev("30m", replay.EventRoleChanged, "p2", bob, replay.RoleParticipant, replay.RoleHost, ""),
			ev("31m", replay.EventSpeakerStarted, "p1", alice, "", "90", ""),
			ev("33m30s", replay.EventSpeakerStopped, "p1", alice, "", "", ""),
			ev("35m", replay.EventLeft, "p1", alice, "", "", ""),
			ev("40m", replay.EventMeetingEnded, "", "", "Created", "Destroyed", ""),
			ev("40m", replay.EventLeft, "p2", bob, "", "", ""),
			ev("40m", replay.EventLeft, "p3", carol, "", "", ""),
			ev("40m", replay.EventSessionEnded, "", "", "", "", "meeting-ended: close 1000"),
		},
		Presences: []replay.Presence{
			{PID: "p1", Name: alice, Role: replay.RoleHost, Joined: reportAt("2s"), Left: reportAt("35m"), Duration: reportAt("35m").Sub(reportAt("2s"))},
			{PID: "p2", Name: bob, Role: replay.RoleParticipant, Joined: reportAt("1m30s"), Left: reportAt("40m"), Duration: 38*time.Minute + 30*time.Second},
			{PID: "p3", Name: carol, Role: replay.RoleParticipant, Joined: reportAt("5m"), Left: reportAt("25m"), Duration: 20 * time.Minute},
			{PID: "p3", Name: carol, Role: replay.RoleParticipant, Joined: reportAt("28m"), Left: reportAt("40m"), Duration: 12 * time.Minute},
		},
		Summary: []replay.PersonSummary{
			{PID: "p1", Name: alice, FirstJoined: reportAt("2s"), LastLeft: reportAt("35m"), Total: reportAt("35m").Sub(reportAt("2s")), Speaking: 6*time.Minute + 30*time.Second},
			{PID: "p2", Name: bob, FirstJoined: reportAt("1m30s"), LastLeft: reportAt("40m"), Total: 38*time.Minute + 30*time.Second, Speaking: 3*time.Minute + 55*time.Second, TimesMuted: 1},
			{PID: "p3", Name: carol, FirstJoined: reportAt("5m"), LastLeft: reportAt("40m"), Total: 32 * time.Minute, Rejoins: 1},
		},
		Start: reportT0,
		End:   reportAt("40m"),
		Integrity: &export.ReportIntegrity{
			ChainHead: store.Hash{0xeb, 0x7f, 0xe6, 0xfa},
			Frames:    71,
			Seal: &export.ReportSeal{
				SHA256:       "5d41402abc4b2a76b9719d911017c592ad7d7c5e0e0a8b1b4d9d2c5e6f7a8b9c",
				ExportSHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
				Signature:    "unsigned",
			},
		},
		Version:   "v1.4.2",
		Generated: time.Date(2025, 3, 18, 3, 0, 0, 0, time.UTC),
	}
}

// renderReport writes the report of in and returns it.
func renderReport(t testing.TB, in *export.ReportInput) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := export.Report(&b, in); err != nil {
		t.Fatalf("Report: %v", err)
	}
	return b.Bytes()
}

// laneRE matches a lane's opening tag and captures its pid.
var laneRE = regexp.MustCompile(`<g class="lane" data-pid="([^"]*)"`)

// lanePIDs returns the pids of the lanes in a report (or a dumped DOM), in
// order.
func lanePIDs(html []byte) []string {
	var pids []string
	for _, m := range laneRE.FindAllSubmatch(html, -1) {
		pids = append(pids, string(m[1]))
	}
	return pids
}

func TestReportGolden(t *testing.T) {
	got := renderReport(t, smallReport())
	golden := filepath.Join("testdata", "report-small.golden.html")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./export -run TestReportGolden -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("report differs from %s (run with -update if the change is intended); got:\n%s", golden, got)
	}
	// What the golden file must show, checked here so that -update cannot
	// quietly accept a report without it.
	if pids := lanePIDs(got); !slices.Equal(pids, []string{"p1", "p2", "p3"}) {
		t.Errorf("lanes = %v, want p1 p2 p3 in order of first join", pids)
	}
	for _, s := range []string{
		"<title>Weekly sync</title>",
		`<dt>Owner</dt><dd>Alice Chen</dd>`,
		`<dt>Duration</dt><dd>40m00s</dd>`,
		`<dt>Participants</dt><dd>3</dd>`,
		`<dt>Gaps</dt><dd>1 (45s unrecorded)</dd>`,
		`<dt>Version gaps</dt><dd>1</dd>`,
		`class="gap"`,                           // the unrecorded band
		`class="v-sess-end"`,                    // the drop
		`class="v-sess-start"`,                  // the reconnect
		`class="v-meeting"`,                     // meeting start and end
		`class="m-role"`,                        // the host handover
		`Bob Müller<tspan class="role"> · host`, // Bob's role after it
		`class="m-muted"`, `class="m-unmuted"`, `class="m-hand"`, `class="m-share"`, `class="m-unshare"`,
		`<td>dropped; close 1006</td><td class="num">45s</td>`,
		`<td>meeting-ended; close 1000 &#34;meeting ended&#34;</td>`,
		`<td title="pid p1">Alice Chen</td><td class="num">6m30s</td><td class="num">62.4%</td>`,
		// The attendance table: Carol left and rejoined, Bob was muted once.
		`<tr data-pid="p3"><td title="pid p3">Carol</td><td>2025-03-18T02:05:00.000Z</td><td>2025-03-18T02:40:00.000Z</td><td class="num">32m00s</td><td class="num">1</td><td class="num">0</td><td class="num">0s</td></tr>`,
		`<tr data-pid="p2"><td title="pid p2">Bob Müller</td><td>2025-03-18T02:01:30.000Z</td><td>2025-03-18T02:40:00.000Z</td><td class="num">38m30s</td><td class="num">0</td><td class="num">1</td><td class="num">3m55s</td></tr>`,
		`Generated 2025-03-18T03:00:00.000Z (UTC, the clock of the computer that wrote it) by confrec <span id="version">v1.4.2</span>.`,
		`<dt>Chain head</dt><dd id="chain-head">eb7fe6fa00000000000000000000000000000000000000000000000000000000</dd>`,
		`<dd id="chain-verify" class="ok">ok: the chain recomputed from the 71 stored frames ends in the head</dd>`,
		`<dt>Seal manifest SHA-256</dt><dd id="seal-manifest">5d41402abc4b2a76b9719d911017c592ad7d7c5e0e0a8b1b4d9d2c5e6f7a8b9c</dd>`,
		`<dd id="seal-verify" class="ok">ok: the database holds exactly what was sealed</dd>`,
		"Every time of the meeting shown here is in UTC on the service&#39;s clock",
	} {
		if !bytes.Contains(got, []byte(s)) {
			t.Errorf("report lacks %q", s)
		}
	}
	// The recorder received every frame 40ms after the service stamped
	// it: a time on the recorder's clock ends in .040Z, and none is shown.
	if m := regexp.MustCompile(`\d\d:\d\d:\d\d\.040Z`).Find(got); m != nil {
		t.Errorf("report shows %s, a time on the recorder's clock", m)
	}
}

// TestReportSelfContained checks the page asks nothing of the network and
// runs no script.
func TestReportSelfContained(t *testing.T) {
	got := strings.ToLower(string(renderReport(t, smallReport())))
	for _, s := range []string{"://", "src=", "href=", "@import", "url(", "<script", "<link", "<iframe", "<object", "<embed"} {
		if strings.Contains(got, s) {
			t.Errorf("report contains %q", s)
		}
	}
}

func TestReportEscapes(t *testing.T) {
	const evil = `<script>alert(1)</script>`
	tests := []struct {
		name string
		edit func(*export.ReportInput)
	}{
		{"name", func(in *export.ReportInput) {
			in.Summary[0].Name, in.Presences[0].Name = evil, evil
		}},
		{"title and owner", func(in *export.ReportInput) {
			in.Meeting.Title, in.Meeting.Owner = "</title>"+evil, evil
		}},
		{"pid", func(in *export.ReportInput) {
			for i := range in.Events {
				if in.Events[i].PID == "p1" {
					in.Events[i].PID = `p1"><script>alert(1)</script>`
				}
			}
			in.Summary[0].PID, in.Presences[0].PID = `p1"><script>alert(1)</script>`, `p1"><script>alert(1)</script>`
		}},
		{"role", func(in *export.ReportInput) {
			for i := range in.Events {
				if in.Events[i].Kind == replay.EventRoleChanged && in.Events[i].PID == "p2" {
					in.Events[i].New = evil
				}
			}
		}},
		{"session end", func(in *export.ReportInput) {
			in.Sessions[0].CloseReason, in.Sessions[0].Err = evil, evil
		}},
		{"marker detail", func(in *export.ReportInput) {
			in.Events[0].Detail = evil
		}},
		{"seal check", func(in *export.ReportInput) {
			in.Integrity.Seal.Verify = errors.New(`title does not match the manifest: manifest has "` + evil + `"`)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := smallReport()
			tt.edit(in)
			got := string(renderReport(t, in))
			if strings.Contains(strings.ToLower(got), "<script") {
				t.Errorf("report contains an unescaped script tag")
			}
			if !strings.Contains(got, "&lt;script&gt;alert(1)&lt;/script&gt;") {
				t.Errorf("report does not show the escaped text")
			}
			if n := len(lanePIDs([]byte(got))); n != 3 {
				t.Errorf("lanes = %d, want 3", n)
			}
		})
	}
}

// TestReportQuantizes checks that a burst of marks and speaking turns in
// one pixel column draws one mark and one bar, not thousands.
func TestReportQuantizes(t *testing.T) {
	in := smallReport()
	burst := reportAt("20m")
	for i := range 5000 {
		ts := burst.Add(time.Duration(i) * time.Millisecond)
		k := []replay.EventKind{replay.EventMuted, replay.EventSpeakerStarted, replay.EventUnmuted, replay.EventSpeakerStopped}[i%4]
		in.Events = append(in.Events, replay.Event{Time: ts, Kind: k, PID: "p2", Name: "Bob Müller"})
	}
	slices.SortStableFunc(in.Events, func(a, b replay.Event) int { return a.Time.Compare(b.Time) })
	got := string(renderReport(t, in))
	lane := regexp.MustCompile(`(?s)<g class="lane" data-pid="p2".*?</g>`).FindString(got)
	if lane == "" {
		t.Fatal("no lane for p2")
	}
	for class, want := range map[string]int{"m-muted": 2, "m-unmuted": 2, "spk": 2} {
		d := regexp.MustCompile(`class="` + class + `" d="([^"]*)"`).FindStringSubmatch(lane)
		if d == nil {
			t.Errorf("%s: no path", class)
			continue
		}
		if n := strings.Count(d[1], "h"); n != want {
			t.Errorf("%s: %d segments (%s), want %d", class, n, d[1], want)
		}
	}
}

// TestReportTwoClocks records the small meeting again as if from a replay
// 600 days later: every receive time moves, the session events have no
// createTime (their Time is their receive time) and Start is the first
// frame's receive time. The timeline must be drawn, and the sessions
// listed, exactly as before, on the service's clock.
func TestReportTwoClocks(t *testing.T) {
	const later = 600 * 24 * time.Hour
	live := smallReport()
	replayed := smallReport()
	for i := range replayed.Events {
		ev := &replayed.Events[i]
		ev.Received = ev.Received.Add(later)
	}
	for i := range replayed.Sessions {
		s := &replayed.Sessions[i]
		s.Start, s.End = s.Start.Add(later), s.End.Add(later)
	}
	replayed.Start = replayed.Events[0].Received

	timeline := func(b []byte) string {
		s := string(b)
		from, to := strings.Index(s, `<div class="timeline">`), strings.Index(s, "<footer>")
		if from < 0 || to < from {
			t.Fatal("no timeline in the report")
		}
		return s[from:to]
	}
	want, got := timeline(renderReport(t, live)), timeline(renderReport(t, replayed))
	if got != want {
		t.Errorf("the replayed recording's timeline or sessions differ from the live one:\n%s\nwant:\n%s", got, want)
	}
	r := string(renderReport(t, replayed))
	for _, s := range []string{
		"<dt>First frame</dt><dd>2025-03-18T02:00:00.000Z</dd>",
		// Session 1 began at 02:00:00.040Z on the recorder's clock, 600
		// days later.
		`<tr><td class="num">1</td><td>2025-03-18T02:00:00.000Z</td><td>2025-03-18T02:18:00.000Z</td>`,
		"in UTC on the service&#39;s clock",
	} {
		if !strings.Contains(r, s) {
			t.Errorf("the report lacks %q: not every time is on the service's clock", s)
		}
	}
}

// TestReportCompressedClock records the small meeting as if from a replay
// at full speed: 40 minutes of the service's clock arrive within
// microseconds, so no single offset maps the recorder's clock. The span is
// still the meeting's, and the first connection starts at its left edge.
func TestReportCompressedClock(t *testing.T) {
	in := smallReport()
	base := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	for i := range in.Events {
		ev := &in.Events[i]
		ev.Received = base.Add(time.Duration(i) * time.Microsecond)
	}
	// As replay does, a session's start or end takes the offset of the
	// last frame before it that had a createTime (the first's, before any).
	var off time.Duration
	for i := range in.Events {
		if k := in.Events[i].Kind; k != replay.EventSessionStarted && k != replay.EventSessionEnded {
			off = in.Events[i].Time.Sub(in.Events[i].Received)
			break
		}
	}
	for i := range in.Events {
		ev := &in.Events[i]
		if ev.Kind == replay.EventSessionStarted || ev.Kind == replay.EventSessionEnded {
			ev.Time = ev.Received.Add(off)
		} else {
			off = ev.Time.Sub(ev.Received)
		}
	}
	in.Sessions[0].Start, in.Sessions[0].End = in.Events[0].Received, in.Events[15].Received
	in.Sessions[1].Start, in.Sessions[1].End = in.Events[16].Received, in.Events[len(in.Events)-1].Received
	in.Start, in.End = in.Events[0].Received, in.Events[len(in.Events)-1].Received
	got := string(renderReport(t, in))
	for _, s := range []string{
		"<dt>First frame</dt><dd>2025-03-18T02:00:00.999Z</dd>", // the first stamped frame, 1µs later
		"<dt>Last frame / end</dt><dd>2025-03-18T02:40:00.000Z</dd>",
		`<line class="v-sess-start" x1="0" `,  // at the left edge
		`<line class="v-sess-end" x1="1319" `, // and the last at the right
	} {
		if !strings.Contains(got, s) {
			t.Errorf("report lacks %q", s)
		}
	}
	if pids := lanePIDs([]byte(got)); len(pids) != 3 {
		t.Errorf("lanes = %v, want 3", pids)
	}
}

func TestReportEmpty(t *testing.T) {
	got := string(renderReport(t, &export.ReportInput{Meeting: replay.MeetingInfo{ConfID: "1"}}))
	for _, s := range []string{"<title>Meeting 1</title>", "Nobody joined.", "Nobody was heard speaking.", "No sessions recorded."} {
		if !strings.Contains(got, s) {
			t.Errorf("report lacks %q", s)
		}
	}
	if n := len(lanePIDs([]byte(got))); n != 0 {
		t.Errorf("lanes = %d, want 0", n)
	}
	if err := export.Report(&bytes.Buffer{}, nil); err == nil {
		t.Error("Report(nil) did not fail")
	}
}

// failWriter fails every write.
type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, os.ErrClosed }

func TestReportWriteError(t *testing.T) {
	if err := export.Report(failWriter{}, smallReport()); err == nil {
		t.Error("Report to a failing writer did not fail")
	}
}

// Scale of the big synthetic meeting: 500 people for 10 hours, about a
// million events.
const (
	bigPeople = 500
	bigHours  = 10
	bigEvents = 1_000_000
	// maxBigReport bounds the big report's size whatever the number of
	// events. The timeline is quantized to 1320 columns: a lane's presence
	// and speaking paths hold at most 660 separate runs each (one column
	// on, one off), and each of its six mark paths at most 440 (marks are
	// two columns wide), about 4,000 runs of at most 7 bytes ("m1 0h2")
	// while they are that dense: under 30 KB a lane, 14 MB for 500 lanes,
	// plus the lanes' labels and the tables (about 0.4 MB).
	maxBigReport = 20 << 20
)

var bigInput = sync.OnceValue(func() *export.ReportInput {
	return syntheticMeeting(bigPeople, bigHours*time.Hour, bigEvents, 1)
})

// syntheticMeeting makes a meeting of people over d with about n events,
// from a seeded generator: everyone joins in the first half hour, some
// leave and rejoin, and each one's events (mostly speaking turns, then
// mute toggles, hands, sharing and a few role changes) fall in their
// presence. Two reconnects split it into three sessions.
func syntheticMeeting(people int, d time.Duration, n int, seed uint64) *export.ReportInput {
	rng := rand.New(rand.NewPCG(seed, seed))
	start := time.Date(2025, 6, 2, 8, 0, 0, 0, time.UTC)
	end := start.Add(d)
	in := &export.ReportInput{
		Meeting: replay.MeetingInfo{ConfID: "900000001", Title: "All-day workshop", Owner: "Person 000",
			ScheduledStart: start, ActualStart: start},
		Start: start, End: end,
		Generated: time.Date(2025, 6, 2, 19, 0, 0, 0, time.UTC),
		Events:    make([]replay.Event, 0, n+4*people),
	}
	frac := func(f float64) time.Time { return start.Add(time.Duration(f * float64(d))) }
	cut1, cut2 := frac(0.32), frac(0.70)
	in.Sessions = []store.Session{
		{ID: 1, Start: start, End: cut1, SessionEnd: store.SessionEnd{Reason: "dropped", CloseCode: 1006}},
		{ID: 2, Start: cut1.Add(40 * time.Second), End: cut2, SessionEnd: store.SessionEnd{Reason: "error", Err: "read: connection reset by peer"}},
		{ID: 3, Start: cut2.Add(2 * time.Minute), End: end, SessionEnd: store.SessionEnd{Reason: "meeting-ended", CloseCode: 1000}},
	}
	in.Events = append(in.Events,
		replay.Event{Time: start, Kind: replay.EventSessionStarted},
		replay.Event{Time: start, Kind: replay.EventMeetingStarted},
		replay.Event{Time: cut1, Kind: replay.EventSessionEnded, Detail: "dropped"},
		replay.Event{Time: cut1.Add(40 * time.Second), Kind: replay.EventSessionStarted},
		replay.Event{Time: cut2, Kind: replay.EventSessionEnded, Detail: "error"},
		replay.Event{Time: cut2.Add(2 * time.Minute), Kind: replay.EventSessionStarted},
		replay.Event{Time: end, Kind: replay.EventMeetingEnded},
		replay.Event{Time: end, Kind: replay.EventSessionEnded, Detail: "meeting-ended"},
	)
	perPerson := n / people
	for i := range people {
		pid, name := fmt.Sprintf("%08d", 10000+i), fmt.Sprintf("Person %03d", i)
		if i%7 == 0 {
			name = fmt.Sprintf("参会者 %03d — a rather long display name", i)
		}
		role := replay.RoleParticipant
		if i == 0 {
			role = replay.RoleHost
		}
		ev := func(t time.Time, k replay.EventKind) replay.Event {
			return replay.Event{Time: t, Received: t.Add(30 * time.Millisecond), Kind: k, PID: pid, Name: name}
		}
		sum := replay.PersonSummary{PID: pid, Name: name}
		// Presence: join early, then zero to two leaves and rejoins.
		joined := start.Add(time.Duration(rng.Int64N(int64(30 * time.Minute))))
		var spans [][2]time.Time
		for k, leaves := 0, rng.IntN(3); ; k++ {
			left := end
			if k < leaves {
				left = joined.Add(time.Duration(rng.Int64N(int64(end.Sub(joined) / 2))))
			}
			spans = append(spans, [2]time.Time{joined, left})
			if left.Equal(end) {
				break
			}
			joined = left.Add(time.Duration(rng.Int64N(int64(20*time.Minute))) + time.Minute)
			if !joined.Before(end) {
				break
			}
		}
		for k, s := range spans {
			kind := replay.EventJoined
			if k > 0 {
				kind = replay.EventRejoined
			}
			in.Events = append(in.Events, ev(s[0], kind), ev(s[1], replay.EventLeft))
			in.Presences = append(in.Presences, replay.Presence{PID: pid, Name: name, Role: role, Joined: s[0], Left: s[1], Duration: s[1].Sub(s[0])})
			sum.Total += s[1].Sub(s[0])
		}
		sum.FirstJoined, sum.LastLeft, sum.Rejoins = spans[0][0], spans[len(spans)-1][1], len(spans)-1
		// Events in the presence: pairs of start and stop.
		pair := func(count int, on, off replay.EventKind, maxLen time.Duration) {
			for _, s := range spans {
				share := float64(s[1].Sub(s[0])) / float64(sum.Total)
				m := int(float64(count) * share)
				times := make([]time.Time, m)
				for j := range times {
					times[j] = s[0].Add(time.Duration(rng.Int64N(int64(s[1].Sub(s[0])))))
				}
				slices.SortFunc(times, time.Time.Compare)
				for j, t := range times {
					stop := t.Add(time.Duration(rng.Int64N(int64(maxLen))) + time.Second)
					if j+1 < len(times) && stop.After(times[j+1]) {
						stop = times[j+1]
					}
					if stop.After(s[1]) {
						stop = s[1]
					}
					in.Events = append(in.Events, ev(t, on), ev(stop, off))
					switch on {
					case replay.EventSpeakerStarted:
						sum.Speaking += stop.Sub(t)
					case replay.EventMuted:
						sum.TimesMuted++
					}
				}
			}
		}
		busy := perPerson * (1 + i%5) / 3 // some people talk much more than others
		pair(busy*70/200, replay.EventSpeakerStarted, replay.EventSpeakerStopped, 20*time.Second)
		pair(busy*25/200, replay.EventMuted, replay.EventUnmuted, 10*time.Minute)
		pair(busy*3/200, replay.EventHandRaised, replay.EventHandLowered, time.Minute)
		pair(busy*2/200, replay.EventSharingStarted, replay.EventSharingStopped, 15*time.Minute)
		if i%50 == 1 { // a co-host now and then
			t := spans[0][0].Add(time.Minute)
			in.Events = append(in.Events, replay.Event{Time: t, Kind: replay.EventRoleChanged, PID: pid, Name: name, Old: replay.RoleParticipant, New: replay.RoleCoHost})
		}
		in.Summary = append(in.Summary, sum)
	}
	// Into time order, keeping the order of generation among equal times
	// (Seq for now), then numbered as the store would.
	for i := range in.Events {
		in.Events[i].Seq = uint64(i)
	}
	slices.SortFunc(in.Events, func(a, b replay.Event) int {
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		return cmp.Compare(a.Seq, b.Seq)
	})
	for i := range in.Events {
		in.Events[i].Seq = uint64(i + 1)
	}
	slices.SortStableFunc(in.Presences, func(a, b replay.Presence) int { return a.Joined.Compare(b.Joined) })
	slices.SortStableFunc(in.Summary, func(a, b replay.PersonSummary) int { return a.FirstJoined.Compare(b.FirstJoined) })
	return in
}

func TestReportScale(t *testing.T) {
	in := bigInput()
	if n := len(in.Events); n < bigEvents*9/10 {
		t.Fatalf("synthetic meeting has %d events, want about %d", n, bigEvents)
	}
	got := renderReport(t, in)
	pids := lanePIDs(got)
	if len(pids) != bigPeople {
		t.Errorf("lanes = %d, want %d", len(pids), bigPeople)
	}
	for i, pid := range pids {
		if want := in.Summary[i].PID; pid != want {
			t.Errorf("lane %d is %s, want %s (order of first join)", i, pid, want)
			break
		}
	}
	if len(got) > maxBigReport {
		t.Errorf("report of %d people, %d events is %d bytes, want at most %d", bigPeople, len(in.Events), len(got), maxBigReport)
	}
	if !bytes.Contains(got, []byte("and 450 more")) {
		t.Errorf("ranking does not end with the 450 people beyond the top 50")
	}
	t.Logf("%d people, %d events over %dh: %d bytes", bigPeople, len(in.Events), bigHours, len(got))
}

// TestReportWorstCaseLane draws lanes as busy as quantization allows
// (presence and speaking on every other column, each kind of mark on every
// third) and checks the bound maxBigReport is built on: under 30 KB a lane.
func TestReportWorstCaseLane(t *testing.T) {
	const people, columns = 4, 1320
	start := time.Date(2025, 6, 2, 8, 0, 0, 0, time.UTC)
	col := time.Duration(bigHours) * time.Hour / columns
	in := &export.ReportInput{Start: start, End: start.Add(bigHours * time.Hour)}
	colAt := func(c int, frac float64) time.Time {
		return start.Add(time.Duration((float64(c) + frac) * float64(col)))
	}
	marks := []replay.EventKind{replay.EventMuted, replay.EventUnmuted, replay.EventHandRaised,
		replay.EventSharingStarted, replay.EventSharingStopped, replay.EventRoleChanged}
	for i := range people {
		pid := fmt.Sprintf("p%d", i)
		for c := 0; c < columns; c += 2 {
			in.Presences = append(in.Presences, replay.Presence{PID: pid, Name: pid, Joined: colAt(c, 0.1), Left: colAt(c, 0.9)})
			in.Events = append(in.Events,
				replay.Event{Time: colAt(c, 0.1), Kind: replay.EventSpeakerStarted, PID: pid},
				replay.Event{Time: colAt(c, 0.9), Kind: replay.EventSpeakerStopped, PID: pid})
		}
		for c := 0; c < columns; c += 3 {
			for _, k := range marks {
				in.Events = append(in.Events, replay.Event{Time: colAt(c, 0.5), Kind: k, PID: pid, New: replay.RoleCoHost})
			}
		}
	}
	got := string(renderReport(t, in))
	lanes := regexp.MustCompile(`(?s)<g class="lane".*?</g>`).FindAllString(got, -1)
	if len(lanes) != people {
		t.Fatalf("lanes = %d, want %d", len(lanes), people)
	}
	for _, l := range lanes {
		if len(l) > 30<<10 {
			t.Errorf("a lane takes %d bytes, want at most 30 KB", len(l))
		}
		if n := strings.Count(l, "h"); n < 3900 {
			t.Errorf("a lane has %d runs, want the worst case (about 4,000)", n)
		}
	}
	t.Logf("worst-case lane: %d bytes; 500 such lanes: %.1f MB", len(lanes[0]), float64(500*len(lanes[0]))/(1<<20))
}

func BenchmarkReport(b *testing.B) {
	in := bigInput()
	var size int
	b.ReportAllocs()
	for b.Loop() {
		var cw countWriter
		if err := export.Report(&cw, in); err != nil {
			b.Fatal(err)
		}
		size = int(cw)
	}
	b.ReportMetric(float64(size), "bytes/report")
	b.ReportMetric(float64(len(in.Events))*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// countWriter counts what is written to it.
type countWriter int

func (c *countWriter) Write(p []byte) (int, error) {
	*c += countWriter(len(p))
	return len(p), nil
}

func ExampleReport() {
	t := time.Date(2025, 3, 18, 2, 0, 0, 0, time.UTC)
	in := &export.ReportInput{
		Meeting: replay.MeetingInfo{ConfID: "986512347", Title: "Standup"},
		Presences: []replay.Presence{
			{PID: "p1", Name: "Ann", Joined: t, Left: t.Add(10 * time.Minute)},
			{PID: "p2", Name: "Ben", Joined: t.Add(time.Minute), Left: t.Add(10 * time.Minute)},
		},
		Start: t, End: t.Add(10 * time.Minute),
	}
	var b strings.Builder
	if err := export.Report(&b, in); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(strings.Count(b.String(), `<g class="lane"`), "lanes")
	fmt.Println(strings.Contains(b.String(), "<title>Standup</title>"))
	// Output:
	// 2 lanes
	// true
}
