package cli

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/confrec/confrec/recorder"
	"github.com/confrec/confrec/store"
)

// TestFollowFromOffsetBeforeFirstFrame: --from +OFFSET counts from the
// meeting's first frame also for a follower that starts before that frame
// is recorded (the session is begun, no frame yet): it prints what the
// same command prints once the meeting is over, not nothing (export
// frames) or everything (replay print).
func TestFollowFromOffsetBeforeFirstFrame(t *testing.T) {
	for _, args := range [][]string{
		{"export", "frames", "M", "--from", "+1s"},
		{"replay", "print", "M", "--from", "+1s", "--speed", "0"},
	} {
		t.Run(strings.Join(args[:2], " "), func(t *testing.T) {
			db, _ := liveDB(t, buildVersion())
			ctx := context.Background()
			t0 := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
			sid, err := db.BeginSession(ctx, "M", store.Session{Start: t0})
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			res := make(chan result, 1)
			go func() { res <- runHere(t, append([]string{"--db", db.Path()}, append(args, "--follow")...)...) }()
			time.Sleep(300 * time.Millisecond) // the follower has the meeting, without frames
			var fs []store.Frame
			for j := range 4 {
				fs = append(fs, store.Frame{Time: t0.Add(time.Duration(j) * 500 * time.Millisecond), Session: sid, Dir: store.In, Op: store.Text,
					Payload: fmt.Appendf(nil, `{"action":"HeartBeat","msgID":"%d"}`, j)})
			}
			if err := db.Append(ctx, "M", fs...); err != nil {
				t.Fatal(err)
			}
			if err := db.EndSession(ctx, "M", sid, t0.Add(3*time.Second), store.SessionEnd{Reason: "meeting-ended"}); err != nil {
				t.Fatal(err)
			}
			if err := db.SetLabel("M", recorder.LabelEnded, "meeting-ended"); err != nil {
				t.Fatal(err)
			}
			if err := db.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			var got result
			select {
			case got = <-res:
			case <-time.After(10 * time.Second):
				t.Fatal("the follower did not end with the meeting")
			}
			want := runHere(t, append([]string{"--db", db.Path()}, args...)...)
			if got.code != 0 || got.stdout != want.stdout || want.stdout == "" {
				t.Errorf("%v --follow: exit %d, printed %d lines, want the %d lines it prints after the meeting\n%s",
					args, got.code, strings.Count(got.stdout, "\n"), strings.Count(want.stdout, "\n"), got.stderr)
			}
		})
	}
}
