package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/confrec/confrec/store"
)

// checkBackup opens a backup and verifies its meetings, also with
// `confrec verify`.
func checkBackup(t *testing.T, path string, ids ...string) {
	t.Helper()
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("backup %s: %v, %v; want mode 0600", path, fi, err)
	}
	db, err := store.Open(path, &store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ms, err := db.Meetings()
	if err != nil || len(ms) != len(ids) {
		t.Fatalf("backup meetings %v, %v; want %v", ms, err, ids)
	}
	for i, m := range ms {
		if m.ID != ids[i] || m.Frames == 0 {
			t.Errorf("backup meeting %s with %d frames, want %s", m.ID, m.Frames, ids[i])
		}
		if err := db.Verify(m.ID); err != nil {
			t.Error(err)
		}
	}
	// confrec verify accepts it.
	if r := mustRun(t, nil, "--db", path, "verify"); strings.Count(r.stdout, " OK ") != len(ids) {
		t.Errorf("verify of the backup:\n%s", r.stdout)
	}
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil || len(entries) != 1 {
		t.Errorf("backup directory holds %v (%v), want only the backup", entries, err)
	}
}

// TestBackupIdle: a backup of a database nobody writes equals it, meeting
// for meeting, keeps holds, and replaces an older backup.
func TestBackupIdle(t *testing.T) {
	t.Parallel()
	db := bigDB(t)
	out := filepath.Join(t.TempDir(), "b.db")
	if err := os.WriteFile(out, []byte("an older backup"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := mustRun(t, nil, "--db", db, "backup", "-o", out)
	if !strings.Contains(r.stdout, "read-only copy") || !strings.Contains(r.stdout, "2 meetings, 2001 frames") {
		t.Errorf("backup printed %q", r.stdout)
	}
	checkBackup(t, out, "big", "keep")
	if h := meetingHolds(t, out)["keep"]; h == nil || h.Reason != "audit" {
		t.Errorf("hold in the backup: %+v", h)
	}
	checkKeep(t, db, true)
}
