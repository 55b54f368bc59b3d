package cli

import (
	"strings"
	"testing"
	"time"
)

// TestExportErrorsOnRealDatabase covers the checks that need a meeting.
func TestExportErrorsOnRealDatabase(t *testing.T) {
	t.Parallel()
	db := demoDB(t)
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"export", "frames", "nope"}, 1, "meeting not found"},
		{[]string{"export", "frames", "986512347", "--from", "+5m", "--to", "+1m"}, 2, "is after --to"},
		{[]string{"export", "frames", "986512347", "--from", "yesterday"}, 2, "RFC 3339"},
		{[]string{"info", "nope"}, 1, "meeting not found"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := run(t, nil, append([]string{"--db", db}, tt.args...)...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("exit %d (want %d), stderr %q (want %q)", r.code, tt.code, r.stderr, tt.want)
			}
		})
	}
	// The filters of export frames, through the CLI.
	all := exported(t, db, "986512347")
	out := exported(t, db, "986512347", "--dir", "out")
	in := exported(t, db, "986512347", "--dir", "in", "--action", "SpeakerChangeNotify,ParticipantsNotify")
	if len(out) != 1 || len(in) != 43 || len(all) != 71 {
		t.Errorf("frames: %d all (want 71), %d out (want 1), %d speaker+participants in (want 43)", len(all), len(out), len(in))
	}
	first, _ := time.Parse(time.RFC3339Nano, all[0].Time)
	from := first.Add(time.Millisecond).Format(time.RFC3339Nano)
	later := exported(t, db, "986512347", "--from", from)
	if len(later) >= len(all) || len(later) == 0 {
		t.Errorf("--from %s kept %d of %d frames", from, len(later), len(all))
	}
}
