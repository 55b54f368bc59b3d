package cli

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/confrec/confrec/store"
)

// TestHoldPurgeRelease: a held meeting survives purge and shows its hold in
// meetings and info; once released, purge removes it.
func TestHoldPurgeRelease(t *testing.T) {
	t.Parallel()
	db := demoDB(t)
	const id = "986512347"
	before := time.Now()
	r := mustRun(t, nil, "--db", db, "hold", id, "--reason", "case 2026-17: keep")
	if !strings.Contains(r.stdout, "case 2026-17: keep") {
		t.Errorf("hold printed %q", r.stdout)
	}
	h := meetingHolds(t, db)[id]
	if h == nil || h.Reason != "case 2026-17: keep" || h.By == "" || h.At.Before(before.Add(-time.Second)) || h.At.After(time.Now()) {
		t.Fatalf("meetings shows hold %+v", h)
	}
	if table := mustRun(t, nil, "--db", db, "meetings").stdout; !strings.Contains(table, "by "+h.By+": case 2026-17: keep") {
		t.Errorf("meetings table does not show the hold:\n%s", table)
	}
	var v struct {
		Hold *store.Hold `json:"hold"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, nil, "--db", db, "info", id, "--format", "json").stdout), &v); err != nil || v.Hold == nil || *v.Hold != *h {
		t.Errorf("info --format json hold %+v (%v), want %+v", v.Hold, err, h)
	}
	if text := mustRun(t, nil, "--db", db, "info", id).stdout; !strings.Contains(text, "Legal hold: held since") {
		t.Errorf("info does not show the hold:\n%s", text)
	}

	for _, dry := range []bool{true, false} {
		var p purgeJSON
		if dry {
			p = purgeRun(t, db, "--dry-run")
		} else {
			p = purgeRun(t, db)
		}
		if p.Removed != 0 || p.Kept != 1 || len(p.Rows) != 1 || p.Rows[0].Action != "kept (held)" || p.Rows[0].Hold == nil {
			t.Errorf("purge (dry run %v) of a held meeting: %+v", dry, p)
		}
	}
	if info(t, db, id).Frames != 71 {
		t.Fatalf("the held meeting changed")
	}

	if r := mustRun(t, nil, "--db", db, "release", id); !strings.Contains(r.stdout, "released meeting "+id) {
		t.Errorf("release printed %q", r.stdout)
	}
	if h := meetingHolds(t, db)[id]; h != nil {
		t.Errorf("hold after release: %+v", h)
	}
	if p := purgeRun(t, db, "--dry-run"); p.Removed != 1 || p.Rows[0].Action != "would remove" {
		t.Errorf("dry run after release: %+v", p)
	}
	if len(meetingHolds(t, db)) != 1 {
		t.Fatal("the dry run removed the meeting")
	}
	p := purgeRun(t, db)
	if p.Removed != 1 || p.Kept != 0 || p.Rows[0].ConfID != id || p.Rows[0].Action != "removed" || p.After > p.Before {
		t.Errorf("purge after release: %+v", p)
	}
	if got := meetingHolds(t, db); len(got) != 0 {
		t.Errorf("meetings after purge: %v", got)
	}
}
