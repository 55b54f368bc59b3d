package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/confrec/confrec/store"
)

// purgeJSON is the output of `confrec purge --format json`.
type purgeJSON struct {
	DryRun  bool  `json:"dry_run"`
	Removed int   `json:"removed"`
	Kept    int   `json:"kept_held"`
	Before  int64 `json:"bytes_before"`
	After   int64 `json:"bytes_after"`
	Rows    []struct {
		ConfID string      `json:"conf_id"`
		Action string      `json:"action"`
		Hold   *store.Hold `json:"hold"`
	} `json:"meetings"`
}

func purgeRun(t *testing.T, db string, extra ...string) purgeJSON {
	t.Helper()
	r := mustRun(t, nil, append([]string{"--db", db, "purge", "--older-than", "1ns", "--format", "json"}, extra...)...)
	var p purgeJSON
	if err := json.Unmarshal([]byte(r.stdout), &p); err != nil {
		t.Fatalf("purge --format json: %v\n%s", err, r.stdout)
	}
	return p
}

// meetingHolds returns each meeting's hold as `meetings --format json` shows it.
func meetingHolds(t *testing.T, db string) map[string]*store.Hold {
	t.Helper()
	var rows []struct {
		ConfID string      `json:"conf_id"`
		Hold   *store.Hold `json:"hold"`
	}
	r := mustRun(t, nil, "--db", db, "meetings", "--format", "json")
	if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil {
		t.Fatalf("meetings --format json: %v\n%s", err, r.stdout)
	}
	out := map[string]*store.Hold{}
	for _, row := range rows {
		out[row.ConfID] = row.Hold
	}
	return out
}

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

// bigDB writes a database with a large meeting "big" (about 8 MB) and a
// small one "keep", put under a hold.
func bigDB(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "big.db")
	db, err := store.Open(path, &store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := t.Context()
	at := time.Date(2025, 3, 18, 9, 0, 0, 0, time.UTC)
	pad := bytes.Repeat([]byte("x"), 4000)
	for i := range 2000 {
		if err := db.Enqueue("big", store.Frame{Time: at.Add(time.Duration(i) * time.Millisecond), Dir: store.In, Op: store.Text, Payload: pad}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Append(ctx, "keep", store.Frame{Time: at, Dir: store.In, Op: store.Text, Payload: []byte(`{"action":"HeartBeat"}`)}); err != nil {
		t.Fatal(err)
	}
	if err := db.SetHold(ctx, "keep", store.Hold{Reason: "audit", By: "test"}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// checkKeep checks that the database at path holds the held meeting
// "keep", intact, and whether it still holds "big".
func checkKeep(t *testing.T, path string, big bool) {
	t.Helper()
	db, err := store.Open(path, &store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ms, err := db.Meetings()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"keep"}
	if big {
		want = []string{"big", "keep"}
	}
	var got []string
	for _, m := range ms {
		got = append(got, m.ID)
		if err := db.Verify(m.ID); err != nil {
			t.Error(err)
		}
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("meetings %v, want %v", got, want)
	}
}

// TestPurgeShrinks: purging a large meeting gives its space back.
func TestPurgeShrinks(t *testing.T) {
	t.Parallel()
	db := bigDB(t)
	before := fileSize(t, db)
	p := purgeRun(t, db)
	after := fileSize(t, db)
	if p.Removed != 1 || p.Kept != 1 || p.Before != before || p.After != after || after*10 > before {
		t.Errorf("purge: %+v; file %d -> %d bytes, want it under a tenth", p, before, after)
	}
	if fi, err := os.Stat(db); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("after purge: %v, %v; want mode 0600", fi, err)
	}
	checkKeep(t, db, false)
	// What purge prints as a table: the removed and the kept meeting, sizes.
	table := mustRun(t, nil, "--db", db, "purge", "--older-than", "90d").stdout
	if !strings.Contains(table, "keep") || !strings.Contains(table, "removed 0 meetings") || !strings.Contains(table, "kept 1 held; database") {
		t.Errorf("purge table:\n%s", table)
	}
}

// TestPurgeKill9: purge killed (-9) after it wrote the compacted file and
// before it renamed it leaves the database intact, with its deletions
// committed; the next purge removes the leftover and compacts.
func TestPurgeKill9(t *testing.T) {
	t.Parallel()
	db := bigDB(t)
	before := fileSize(t, db)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := confrecCmd(ctx, t, []string{envPurgePause + "=1"}, "--db", db, "purge", "--older-than", "1ns")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stderr)
	paused := false
	for !paused && lines.Scan() {
		paused = strings.Contains(lines.Text(), "pausing before the rename")
	}
	if !paused {
		cmd.Wait()
		t.Fatal("purge never paused before the rename")
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, stderr)
	cmd.Wait()

	tmp := db + store.CompactSuffix
	if fi, err := os.Stat(tmp); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("compacted file after kill -9: %v, %v; want it left, mode 0600", fi, err)
	}
	if size := fileSize(t, db); size < before {
		t.Errorf("the database shrank from %d to %d bytes: the compacted file replaced it", before, size)
	}
	checkKeep(t, db, false) // the delete was committed before the compaction
	p := purgeRun(t, db)
	if p.Removed != 0 || p.Kept != 1 || p.After*10 > before {
		t.Errorf("purge after the kill: %+v", p)
	}
	if _, err := os.Stat(tmp); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("leftover after the next purge: %v", err)
	}
	checkKeep(t, db, false)
}

// fileSize returns the size of the file at path.
func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// startRecording starts record on db against a stand-in playing the sample
// meeting at real speed (ten minutes), and returns once notifications
// arrive. The process is killed at cleanup.
func startRecording(t *testing.T, db string) {
	t.Helper()
	srv := startServe(t, serveEnv(), "--scenario", testdata("scenario-basic.jsonl"), "--speed", "1")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	cmd := confrecCmd(ctx, t, recordEnv(), "--db", db, "record", "--conf-id", "986512347", "--api-url", srv.URL)
	cmd.Dir = t.TempDir()
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var head strings.Builder
	lines := bufio.NewScanner(stderr)
	for lines.Scan() {
		head.WriteString(lines.Text() + "\n")
		if strings.Contains(lines.Text(), `msg="meeting title"`) {
			break
		}
	}
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		io.Copy(io.Discard, stderr)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-drained
		cmd.Wait()
		cancel()
	})
	if !strings.Contains(head.String(), `msg="meeting title"`) {
		t.Fatalf("record did not start:\n%s", head.String())
	}
}

// TestRetentionWhileRecording: backup copies a database that record is
// writing, consistently; purge, hold and release refuse it; a purge dry run
// works.
func TestRetentionWhileRecording(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "rec.db")
	startRecording(t, db)

	out := filepath.Join(t.TempDir(), "backup.db")
	r := mustRun(t, nil, "--db", db, "backup", "-o", out)
	if !strings.Contains(r.stdout, "snapshot from the running recorder") || !strings.Contains(r.stdout, "hash chains verified") {
		t.Errorf("backup while recording printed %q", r.stdout)
	}
	checkBackup(t, out, "986512347")
	// The backup is a database like any other.
	if frames := meetingFrames(t, nil, out, "986512347"); frames == 0 {
		t.Error("the backup has no frames")
	}

	for _, args := range [][]string{
		{"purge", "--older-than", "1ns"},
		{"hold", "986512347", "--reason", "x"},
		{"release", "986512347"},
	} {
		r := run(t, nil, append([]string{"--db", db}, args...)...)
		if r.code != 1 || !strings.Contains(r.stderr, "in use by another confrec process") {
			t.Errorf("%s while recording: exit %d, %q", args[0], r.code, r.stderr)
		}
	}
	if _, err := os.Stat(db + store.CompactSuffix); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("purge while recording left %v", err)
	}
	if p := purgeRun(t, db, "--dry-run"); p.Removed != 1 {
		t.Errorf("dry run while recording: %+v", p)
	}
}

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

func TestRetentionUsageErrors(t *testing.T) {
	t.Parallel()
	db := demoDB(t)
	missing := filepath.Join(t.TempDir(), "none.db")
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"hold without reason", []string{"hold", "986512347"}, 2, "--reason"},
		{"hold blank reason", []string{"hold", "986512347", "--reason", "  "}, 2, "--reason"},
		{"hold without meeting", []string{"hold", "--reason", "x"}, 2, "exactly one CONFID"},
		{"hold unknown meeting", []string{"hold", "404", "--reason", "x"}, 1, "meeting not found"},
		{"release unknown meeting", []string{"release", "404"}, 1, "meeting not found"},
		{"release unheld", []string{"release", "986512347"}, 1, "no legal hold"},
		{"purge without age", []string{"purge"}, 2, "--older-than"},
		{"purge bad age", []string{"purge", "--older-than", "soon"}, 2, `--older-than "soon"`},
		{"purge negative age", []string{"purge", "--older-than", "-5h"}, 2, "positive"},
		{"purge zero days", []string{"purge", "--older-than", "0d"}, 2, "positive"},
		{"purge argument", []string{"purge", "--older-than", "1h", "x"}, 2, "no arguments"},
		{"backup without -o", []string{"backup"}, 2, "-o FILE"},
		{"backup onto the database", []string{"backup", "-o", db}, 2, "is the database"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, nil, append([]string{"--db", db}, tt.args...)...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("exit %d, %q; want %d and %q", r.code, r.stderr, tt.code, tt.want)
			}
		})
	}
	for _, args := range [][]string{{"hold", "1", "--reason", "x"}, {"purge", "--older-than", "1h"}, {"backup", "-o", filepath.Join(t.TempDir(), "b.db")}} {
		r := run(t, nil, append([]string{"--db", missing}, args...)...)
		if r.code != 1 || !strings.Contains(r.stderr, "no database at this path") {
			t.Errorf("%s of a missing database: exit %d, %q", args[0], r.code, r.stderr)
		}
		if _, err := os.Stat(missing); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("%s created the database", args[0])
		}
	}
	if info(t, db, "986512347").Frames != 71 {
		t.Error("the errors changed the database")
	}
}

// TestPurgeKill9AnyMoment: purge killed (-9) at a random moment (seeded
// rounds) leaves a database that opens, holds the held meeting intact and
// either still holds the expired one or not, never a mix; the next purge
// finishes the job.
func TestPurgeKill9AnyMoment(t *testing.T) {
	t.Parallel()
	template, err := os.ReadFile(bigDB(t))
	if err != nil {
		t.Fatal(err)
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	killed := 0
	for round := range 8 {
		db := filepath.Join(t.TempDir(), "purge.db")
		if err := os.WriteFile(db, template, 0o600); err != nil {
			t.Fatal(err)
		}
		cmd := confrecCmd(t.Context(), t, nil, "--db", db, "purge", "--older-than", "1ns")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(rng.IntN(120_000)) * time.Microsecond) // the random moment is the point of the test
		cmd.Process.Kill()
		cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			killed++
		}
		// The database is whole: it opens and every meeting verifies.
		sdb, err := store.Open(db, &store.Options{ReadOnly: true})
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		ms, err := sdb.Meetings()
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		var ids []string
		for _, m := range ms {
			ids = append(ids, m.ID)
			if err := sdb.Verify(m.ID); err != nil {
				t.Errorf("round %d: %v", round, err)
			}
		}
		sdb.Close()
		if got := strings.Join(ids, ","); got != "big,keep" && got != "keep" {
			t.Fatalf("round %d: meetings %s after the kill", round, got)
		}
		purgeRun(t, db)
		if _, err := os.Stat(db + store.CompactSuffix); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("round %d: leftover after the next purge: %v", round, err)
		}
		checkKeep(t, db, false)
		if size := fileSize(t, db); size*10 > int64(len(template)) {
			t.Errorf("round %d: %d bytes after the next purge", round, size)
		}
	}
	t.Logf("%d of 8 purges killed before they ended", killed)
}
