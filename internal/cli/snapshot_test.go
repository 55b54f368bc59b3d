package cli

import (
	"encoding/json"
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/confrec/confrec/interchange"
	"github.com/confrec/confrec/store"
)

// TestReadWhileRecording: meetings, info, export and replay state work while
// record writes the same database, from consistent snapshots served on the
// recorder's socket, without stopping the recording; each read shows at
// least what an earlier read showed and a prefix of the meeting.
func TestReadWhileRecording(t *testing.T) {
	t.Parallel()
	const id = "986512347"
	// The sample meeting at real speed lasts ten minutes: it is still
	// running while the reads run.
	srv := startServe(t, serveEnv(), "--scenario", testdata("scenario-basic.jsonl"), "--speed", "1")
	db := filepath.Join(t.TempDir(), "rec.db")
	// Once the title is logged, the recorder is connected and
	// notifications are arriving.
	rec := startRecord(t, recordEnv(), `msg="meeting title"`, "--log-level", "debug", "--db", db, "record", "--conf-id", id, "--api-url", srv.URL)
	head := rec.logs.String()

	sock := store.SnapshotSocket(db)
	if filepath.Dir(sock) == filepath.Dir(db) {
		t.Errorf("socket %s beside the database, want it in a directory of the user's", sock)
	}
	if !strings.Contains(head, "answering read commands") || !strings.Contains(head, sock) {
		t.Errorf("record's debug log does not name the socket %s:\n%s", sock, head)
	}
	if fi, err := os.Lstat(sock); err != nil || fi.Mode().Type() != fs.ModeSocket || fi.Mode().Perm() != 0o600 {
		t.Errorf("socket while recording: %v, %v; want a socket, mode 0600", fi, err)
	}

	// The readers put their copies in their own temporary directory, so we
	// can see that they leave nothing behind.
	readTmp := t.TempDir()
	readEnv := []string{"TMPDIR=" + readTmp}
	scenario := scenarioInFrames(t, testdata("scenario-basic.jsonl"))
	seen := 0 // frames the latest read showed: later reads show at least as many
	atLeast := func(what string, n int) {
		t.Helper()
		if n < seen {
			t.Errorf("%s shows %d frames, an earlier read showed %d", what, n, seen)
		}
		seen = max(seen, n)
	}

	r := mustRun(t, readEnv, "--db", db, "meetings", "--format", "json")
	var rows []struct {
		ConfID   string `json:"conf_id"`
		Frames   int    `json:"frames"`
		Sessions int    `json:"sessions"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil || len(rows) != 1 || rows[0].ConfID != id || rows[0].Sessions != 1 {
		t.Fatalf("meetings while recording: %v\n%s", err, r.stdout)
	}
	atLeast("meetings", rows[0].Frames)

	v := infoIn(t, readEnv, db, id)
	if len(v.Sessions) != 1 || v.Sessions[0].Reason != "" {
		t.Errorf("info while recording: sessions %+v, want one still open", v.Sessions)
	}
	atLeast("info", v.Frames)

	recs := exportedIn(t, readEnv, db, id)
	for i, rec := range recs {
		if rec.Seq != uint64(i+1) {
			t.Fatalf("export while recording: frame %d has seq %d", i, rec.Seq)
		}
	}
	got := notifications(t, recs)
	if len(got) > len(scenario) {
		t.Fatalf("export while recording: %d notifications, the meeting has %d", len(got), len(scenario))
	}
	samePayloads(t, got, scenario[:len(got)])
	atLeast("export frames", len(recs))

	r = mustRun(t, readEnv, "--db", db, "replay", "state", id, "--at", "+1h")
	if !strings.Contains(r.stdout, id) {
		t.Errorf("replay state while recording does not name the meeting:\n%s", r.stdout)
	}

	// Several readers at once.
	var wg sync.WaitGroup
	counts := make([]int, 4)
	for i := range counts {
		wg.Go(func() { // t.Fatal is for the test's goroutine
			r := run(t, readEnv, "--db", db, "info", id, "--format", "json")
			var v infoJSON
			if err := json.Unmarshal([]byte(r.stdout), &v); r.code != 0 || err != nil {
				t.Errorf("a concurrent info: exit %d, %v\n%s", r.code, err, r.stderr)
			}
			counts[i] = v.Frames
		})
	}
	wg.Wait()
	for _, n := range counts {
		if n < seen {
			t.Errorf("a concurrent info shows %d frames, an earlier read showed %d", n, seen)
		}
	}
	atLeast("a second meetings", meetingFrames(t, readEnv, db, id))

	if entries, err := os.ReadDir(readTmp); err != nil || len(entries) != 0 {
		t.Errorf("readers left in their temporary directory: %v %v", entries, err)
	}

	// The recording went on: stop it, it ends cleanly with everything.
	if err := rec.stop(os.Interrupt); err != nil {
		t.Fatalf("record after SIGINT: %v\n%s", err, rec.logs)
	}
	tail := strings.TrimPrefix(rec.logs.String(), head)
	if _, err := os.Lstat(sock); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("socket after record exited: %v, want gone", err)
	}
	if strings.Contains(tail, "level=WARN") || strings.Contains(tail, "level=ERROR") {
		t.Errorf("record warned:\n%s", tail)
	}
	final := info(t, db, id)
	if len(final.Sessions) != 1 || final.Sessions[0].Reason != "stopped" {
		t.Errorf("sessions %+v, want one, stopped", final.Sessions)
	}
	atLeast("info after the recording", final.Frames)
	all := notifications(t, exported(t, db, id))
	if len(all) > len(scenario) {
		t.Fatalf("%d notifications, the meeting has %d", len(all), len(scenario))
	}
	samePayloads(t, all, scenario[:len(all)])

	sdb, err := store.Open(db, &store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	if err := sdb.Verify(id); err != nil {
		t.Errorf("Verify after reads while recording: %v", err)
	}
}

// TestReadLockedWithoutServer: a database locked by a process that serves no
// snapshots (an older recorder) gives a clear error at once, not a hang.
func TestReadLockedWithoutServer(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "rec.db")
	holder, err := store.Open(db, nil) // this test process holds the lock, serving nothing
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	r := run(t, nil, "--db", db, "meetings")
	if r.code != 1 || !strings.Contains(r.stderr, "in use by another confrec process") ||
		!strings.Contains(r.stderr, "does not answer on "+store.SnapshotSocket(db)) || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
		t.Errorf("meetings on a database locked by an old recorder: exit %d, %q", r.code, r.stderr)
	}
}

// infoIn is info with extra environment for the process.
func infoIn(t *testing.T, env []string, db, id string) infoJSON {
	t.Helper()
	r := mustRun(t, env, "--db", db, "info", id, "--format", "json")
	var v infoJSON
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
		t.Fatalf("info --format json: %v\n%s", err, r.stdout)
	}
	return v
}

// exportedIn reads `confrec export frames CONFID` (JSON Lines on stdout),
// with extra environment for the process.
func exportedIn(t *testing.T, env []string, db, id string) []interchange.FrameRecord {
	t.Helper()
	r := mustRun(t, env, "--db", db, "export", "frames", id)
	var recs []interchange.FrameRecord
	for line := range strings.Lines(r.stdout) {
		var rec interchange.FrameRecord
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("export line %.80q: %v", line, err)
		}
		recs = append(recs, rec)
	}
	return recs
}

// meetingFrames returns the frames `meetings --format json` shows for id.
func meetingFrames(t *testing.T, env []string, db, id string) int {
	t.Helper()
	r := mustRun(t, env, "--db", db, "meetings", "--format", "json")
	var rows []struct {
		ConfID string `json:"conf_id"`
		Frames int    `json:"frames"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil {
		t.Fatalf("meetings --format json: %v\n%s", err, r.stdout)
	}
	for _, row := range rows {
		if row.ConfID == id {
			return row.Frames
		}
	}
	t.Fatalf("meetings does not list %s:\n%s", id, r.stdout)
	return 0
}

// TestReadWhileRecordingSquatted: another local user who takes the socket's
// place before record starts — a socket at the old path beside the
// database, or the per-user directory in $TMPDIR made by them — does not
// stop reads: record serves where only its user can, and meetings reads
// while it records.
func TestReadWhileRecordingSquatted(t *testing.T) {
	t.Parallel()
	if os.Getuid() != 0 {
		t.Skip("needs root, to give files to another user")
	}
	const other = 65534 // nobody
	tests := []struct {
		name  string
		squat func(t *testing.T, base, db string)
		warn  string // what record warns about, if anything
	}{
		{"socket beside the database", func(t *testing.T, _, db string) {
			ln, err := net.Listen("unix", db+".sock")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { ln.Close() })
			if err := os.Chown(db+".sock", other, other); err != nil {
				t.Fatal(err)
			}
		}, ""},
		{"directory in $TMPDIR", func(t *testing.T, base, _ string) {
			d := filepath.Join(base, "tmp", "confrec-"+strconv.Itoa(os.Getuid()))
			if err := os.Mkdir(d, 0o777); err != nil {
				t.Fatal(err)
			}
			if err := os.Chown(d, other, other); err != nil {
				t.Fatal(err)
			}
		}, "belongs to another user"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// Short: a socket path must fit in 103 bytes.
			base, err := os.MkdirTemp("", "cq")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.RemoveAll(base) })
			for _, d := range []string{"tmp", "cache", "db"} {
				if err := os.Mkdir(filepath.Join(base, d), 0o700); err != nil {
					t.Fatal(err)
				}
			}
			env := []string{"TMPDIR=" + filepath.Join(base, "tmp"), "XDG_RUNTIME_DIR=", "XDG_CACHE_HOME=" + filepath.Join(base, "cache")}
			db := filepath.Join(base, "db", "rec.db")
			tt.squat(t, base, db)

			const id = "986512347"
			srv := startServe(t, serveEnv(), "--scenario", testdata("scenario-basic.jsonl"), "--speed", "1")
			rec := startRecord(t, append(recordEnv(), env...), `msg="meeting title"`, "--log-level", "debug", "--db", db, "record", "--conf-id", id, "--api-url", srv.URL)
			head := rec.logs.String()

			r := run(t, env, "--db", db, "meetings", "--format", "json")
			var rows []struct {
				ConfID string `json:"conf_id"`
				Frames int    `json:"frames"`
			}
			if err := json.Unmarshal([]byte(r.stdout), &rows); r.code != 0 || err != nil || len(rows) != 1 || rows[0].ConfID != id || rows[0].Frames == 0 {
				t.Errorf("meetings while recording: exit %d, %v\n%s\n%s", r.code, err, r.stdout, r.stderr)
			}

			warned := strings.Contains(head, "level=WARN")
			if tt.warn == "" && warned || tt.warn != "" && !strings.Contains(head, tt.warn) {
				t.Errorf("record's log, want a warning about %q only:\n%s", tt.warn, head)
			}
			sock := serving(head)
			if sock == "" || !strings.HasPrefix(sock, filepath.Join(base, "cache")+"/") && !strings.HasPrefix(sock, filepath.Join(base, "tmp")+"/") {
				t.Errorf("record serves on %q, want a socket in its own directory in %s", sock, base)
			}
			if err := rec.stop(os.Interrupt); err != nil {
				t.Fatalf("record after SIGINT: %v\n%s", err, rec.logs)
			}
			if _, err := os.Lstat(sock); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("socket after record exited: %v, want gone", err)
			}
			if fi, err := os.Lstat(db + ".sock"); tt.name == "socket beside the database" && (err != nil || fi.Mode().Type() != fs.ModeSocket) {
				t.Errorf("the squatter's socket: %v, %v; want it left alone", fi, err)
			}
		})
	}
}

// serving returns the socket record's debug log says it serves on.
func serving(logs string) string {
	for line := range strings.Lines(logs) {
		if strings.Contains(line, "answering read commands") {
			if _, v, ok := strings.Cut(line, "socket="); ok {
				return strings.Trim(strings.TrimSpace(v), `"`)
			}
		}
	}
	return ""
}

// TestRecordWithoutSnapshotSocket: when every place for the socket is taken
// by another user, record says that reads must wait and records anyway.
func TestRecordWithoutSnapshotSocket(t *testing.T) {
	t.Parallel()
	if os.Getuid() != 0 {
		t.Skip("needs root, to give files to another user")
	}
	base, err := os.MkdirTemp("", "cq")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	for _, d := range []string{"tmp/confrec-" + strconv.Itoa(os.Getuid()), "cache/confrec", "db"} {
		if err := os.MkdirAll(filepath.Join(base, d), 0o700); err != nil {
			t.Fatal(err)
		}
		if d != "db" {
			if err := os.Chown(filepath.Join(base, d), 65534, 65534); err != nil {
				t.Fatal(err)
			}
		}
	}
	env := []string{"TMPDIR=" + filepath.Join(base, "tmp"), "XDG_RUNTIME_DIR=", "XDG_CACHE_HOME=" + filepath.Join(base, "cache")}
	db := filepath.Join(base, "db", "rec.db")
	const id = "986512347"
	srv := startServe(t, serveEnv(), "--scenario", testdata("scenario-basic.jsonl"), "--speed", "1")
	rec := startRecord(t, append(recordEnv(), env...), `msg="meeting title"`, "--db", db, "record", "--conf-id", id, "--api-url", srv.URL)
	if head := rec.logs.String(); !strings.Contains(head, "read commands cannot read this database until the recording ends") {
		t.Errorf("record does not say reads must wait:\n%s", head)
	}
	r := run(t, env, "--db", db, "meetings")
	if r.code != 1 || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 || !strings.Contains(r.stderr, "does not answer") {
		t.Errorf("meetings while recording without a socket: exit %d, %q; want exit 1 and one line", r.code, r.stderr)
	}
	if err := rec.stop(os.Interrupt); err != nil {
		t.Fatalf("record after SIGINT: %v\n%s", err, rec.logs)
	}
	if v := info(t, db, id); v.Frames == 0 || len(v.Sessions) != 1 || v.Sessions[0].Reason != "stopped" {
		t.Errorf("recorded %d frames, sessions %+v; want frames and one session, stopped", v.Frames, v.Sessions)
	}
}
