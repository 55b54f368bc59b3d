package cli

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/confrec/confrec/replay"
)

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
