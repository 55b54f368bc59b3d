package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
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
