package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/confrec/confrec/export"
	"github.com/confrec/confrec/seal"
	"github.com/confrec/confrec/store"
)

// liveDB opens a new database for writing, holding its lock as record
// does, and answers queries on its socket as record does (as the recorder
// of version), until t ends.
func liveDB(t *testing.T, version string) (*store.DB, *queryServer) {
	t.Helper()
	db, qs, _ := liveAt(t, filepath.Join(t.TempDir(), "live.db"), version)
	return db, qs
}

// liveAt is liveDB of the database at path; stop ends it early.
func liveAt(t *testing.T, path, version string) (*store.DB, *queryServer, func()) {
	t.Helper()
	db, err := store.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := store.ListenSnapshotSocket(db, nil)
	if err != nil {
		t.Fatal(err)
	}
	qs := newQueryServer(db, slog.New(slog.DiscardHandler))
	qs.version = version
	srv.Handle(queryVerb, qs.handle)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { srv.Serve(ctx) })
	stop := sync.OnceFunc(func() {
		cancel()
		wg.Wait()
		db.Close()
	})
	t.Cleanup(stop)
	return db, qs, stop
}

// liveFrames appends n text frames of about size bytes to meeting id, in
// one session.
func liveFrames(t *testing.T, db *store.DB, id string, n, size int) {
	t.Helper()
	ctx := context.Background()
	t0 := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	sid, err := db.BeginSession(ctx, id, store.Session{Start: t0})
	if err != nil {
		t.Fatal(err)
	}
	pad := strings.Repeat("x", max(size-80, 0))
	for i := 0; i < n; i += 1000 {
		var fs []store.Frame
		for j := i; j < min(i+1000, n); j++ {
			fs = append(fs, store.Frame{Time: t0.Add(time.Duration(j) * time.Millisecond), Session: sid, Dir: store.In, Op: store.Text,
				Payload: fmt.Appendf(nil, `{"action":"HeartBeat","msgID":"%d","pad":"%s"}`, j, pad)})
		}
		if err := db.Append(ctx, id, fs...); err != nil {
			t.Fatal(err)
		}
	}
}

// runHere runs confrec in this process, as a reader of the live database.
func runHere(t *testing.T, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Run(context.Background(), append([]string{"confrec"}, args...), &stdout, &stderr, nil)
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// TestQueryAnswersFromTheOpenDB: while a recorder holds the database, the
// read commands get their answers from it, byte for byte what they would
// print at rest, and copy nothing to $TMPDIR; -o FILE is written by the
// reader; the recorder's errors and exit codes reach the reader once.
func TestQueryAnswersFromTheOpenDB(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	db, qs := liveDB(t, buildVersion())
	liveFrames(t, db, "111", 500, 200)
	if _, err := store.Open(db.Path(), &store.Options{ReadOnly: true, LockTimeout: -1}); !errors.Is(err, store.ErrLocked) {
		t.Fatalf("the live database opens read-only (%v): the test would not query", err)
	}
	var want bytes.Buffer
	if err := export.Frames(&want, db, "111", nil); err != nil {
		t.Fatal(err)
	}
	r := runHere(t, "--db", db.Path(), "export", "frames", "111")
	if r.code != 0 || r.stdout != want.String() || r.stderr != "" {
		t.Fatalf("export frames from the recorder: exit %d, stderr %q, stdout equal to export.Frames: %v", r.code, r.stderr, r.stdout == want.String())
	}

	out := filepath.Join(t.TempDir(), "frames.jsonl")
	if r := runHere(t, "--db", db.Path(), "export", "frames", "111", "-o", out); r.code != 0 || r.stdout != "" {
		t.Fatalf("export frames -o: exit %d\n%s", r.code, r.stderr)
	}
	if b, err := os.ReadFile(out); err != nil || !bytes.Equal(b, want.Bytes()) {
		t.Errorf("-o FILE from the recorder: %v, equal: %v", err, bytes.Equal(b, want.Bytes()))
	}
	if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("-o FILE mode: %v %v, want 0600", fi.Mode(), err)
	}

	r = runHere(t, "--db", db.Path(), "info", "111", "--format", "json")
	var v struct {
		Frames int `json:"frames"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &v); r.code != 0 || err != nil || v.Frames != 500 {
		t.Errorf("info from the recorder: exit %d, %v, %d frames\n%s", r.code, err, v.Frames, r.stderr)
	}

	tests := []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"info", "999"}, exitRuntime, "confrec: read meeting 999: meeting not found"},
		{[]string{"export", "frames", "111", "--dir", "sideways"}, exitUsage, `confrec: --dir "sideways": use in or out`},
		{[]string{"export", "timeline", "111", "--follow", "--format", "csv"}, exitUsage, "confrec: --follow writes JSON Lines"},
		{[]string{"export", "frames", "111", "--follow", "-o", "f.jsonl"}, exitUsage, "confrec: --follow prints as the meeting goes, and -o writes a file whole"},
		{[]string{"export", "frames", "111", "-o", db.Path()}, exitUsage, "confrec: -o " + db.Path() + " is the database"},
		{[]string{"seal", "111", "-o", store.SnapshotSocket(db.Path())}, exitUsage, "confrec: -o " + store.SnapshotSocket(db.Path()) + " is the snapshot socket of the database"},
	}
	for _, tt := range tests {
		r := runHere(t, append([]string{"--db", db.Path()}, tt.args...)...)
		if r.code != tt.code || !strings.HasPrefix(r.stderr, tt.stderr) || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want %d, one line beginning %q", tt.args, r.code, r.stderr, tt.code, tt.stderr)
		}
	}

	if entries, err := os.ReadDir(tmp); err != nil || len(entries) != 0 {
		t.Errorf("the reads left in $TMPDIR: %v %v", entries, err)
	}
	waitQueriesDone(t, qs, 10*time.Second)
}

// waitQueriesDone fails t unless qs answers no query within d.
func waitQueriesDone(t *testing.T, qs *queryServer, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for qs.active.Load() != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := qs.active.Load(); n != 0 {
		t.Fatalf("%d queries still active after %v", n, d)
	}
}

// TestQueryEveryReadCommand: each read command prints the same, asked of
// the recorder that holds the database and run on the file at rest.
func TestQueryEveryReadCommand(t *testing.T) {
	path := copyFile(t, demoDB(t), t.TempDir())
	const id = "986512347"
	commands := [][]string{
		{"meetings"},
		{"meetings", "--format", "json"},
		{"info", id},
		{"info", id, "--format", "json"},
		{"export", "frames", id},
		{"export", "frames", id, "--format", "csv", "--from", "+1m", "--to", "+5m", "--dir", "in"},
		{"export", "timeline", id},
		{"export", "timeline", id, "--format", "csv"},
		{"export", "attendance", id},
		{"export", "attendance", id, "--summary"},
		{"export", "har", id},
		{"replay", "state", id, "--at", "+5m"},
		{"replay", "print", id, "--speed", "0"},
		{"replay", "print", id, "--speed", "0", "--from", "+9m"},
		{"verify"},
		{"verify", id, "--format", "json"},
	}
	atRest := make([]result, len(commands))
	for i, args := range commands {
		atRest[i] = runHere(t, append([]string{"--db", path}, args...)...)
		if atRest[i].code != 0 {
			t.Fatalf("%v at rest: exit %d\n%s", args, atRest[i].code, atRest[i].stderr)
		}
	}
	_, qs, stop := liveAt(t, path, buildVersion())
	for i, args := range commands {
		r := runHere(t, append([]string{"--db", path}, args...)...)
		if r != atRest[i] {
			t.Errorf("%v from the recorder: exit %d, %d bytes out, stderr %q; at rest: exit %d, %d bytes out, stderr %q",
				args, r.code, len(r.stdout), r.stderr, atRest[i].code, len(atRest[i].stdout), atRest[i].stderr)
		}
	}
	// The report names when it was made: the rest is the same.
	report := runHere(t, "--db", path, "export", "report", id)
	waitQueriesDone(t, qs, 10*time.Second)
	stop()
	rest := runHere(t, "--db", path, "export", "report", id)
	if report.code != 0 || rest.code != 0 || report.stdout != rest.stdout {
		gl, wl := strings.Split(report.stdout, "\n"), strings.Split(rest.stdout, "\n")
		for i := range min(len(gl), len(wl)) {
			if gl[i] != wl[i] {
				t.Logf("line %d:\n%s\n%s", i, gl[i], wl[i])
			}
		}
		t.Errorf("export report from the recorder: exit %d, %d bytes; at rest: exit %d, %d bytes", report.code, len(report.stdout), rest.code, len(rest.stdout))
	}
}

// TestQuerySealVerify: seal and verify take their key and manifest files
// from the reader, which reads them, not from the recorder's disk.
func TestQuerySealVerify(t *testing.T) {
	db, _ := liveDB(t, buildVersion())
	liveFrames(t, db, "222", 50, 100)
	if err := db.EndSession(context.Background(), "222", 1, time.Now(), store.SessionEnd{Reason: "meeting-ended"}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	key := filepath.Join(dir, "seal.key")
	if r := runHere(t, "keygen", "-o", key); r.code != 0 {
		t.Fatalf("keygen: %s", r.stderr)
	}
	manifest := filepath.Join(dir, "222.seal.json")
	r := runHere(t, "--db", db.Path(), "seal", "222", "--sign-key", key, "-o", manifest)
	if r.code != 0 || !strings.Contains(r.stderr, "sealed meeting 222: 50 frames") {
		t.Fatalf("seal from the recorder: exit %d\n%s", r.code, r.stderr)
	}
	b, err := os.ReadFile(manifest)
	if err != nil {
		t.Fatal(err)
	}
	m, err := seal.ReadManifest(bytes.NewReader(b))
	if err != nil || !m.Signed() {
		t.Fatalf("the manifest: %v, signed %v", err, m != nil && m.Signed())
	}
	r = runHere(t, "--db", db.Path(), "verify", "--manifest", manifest, "--pub-key", key+".pub", "--format", "json")
	if r.code != 0 || !strings.Contains(r.stdout, `"status": "OK"`) || !strings.Contains(r.stdout, `"signature": "signed by the given key`) {
		t.Errorf("verify --manifest from the recorder: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	r = runHere(t, "--db", db.Path(), "verify", "--manifest", filepath.Join(dir, "none.json"))
	if r.code != exitRuntime || !strings.HasPrefix(r.stderr, "confrec: read manifest: open ") || !strings.Contains(r.stderr, "none.json: no such file") {
		t.Errorf("verify with a missing manifest: exit %d\n%s", r.code, r.stderr)
	}
}

// rawQuery speaks the query protocol to the recorder of dbPath: the request
// line, then the request frame for args.
func rawQuery(t *testing.T, dbPath, line string, args ...string) (net.Conn, *bufio.Reader) {
	t.Helper()
	conn, err := store.DialRecorder(context.Background(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	fmt.Fprintf(conn, "%s\n", line)
	r := bufio.NewReader(conn)
	answer, err := r.ReadString('\n')
	if err != nil {
		t.Fatalf("no answer to %q: %v", line, err)
	}
	if !strings.HasPrefix(answer, "OK ") {
		return conn, bufio.NewReader(strings.NewReader(answer))
	}
	body, _ := json.Marshal(queryRequest{Args: append([]string{"confrec"}, args...)})
	if err := writeFrame(conn, frameRequest, body); err != nil {
		t.Fatal(err)
	}
	return conn, r
}

// readAnswer reads frames to the end and returns stdout, stderr and the
// exit code (-1: none came).
func readAnswer(r *bufio.Reader) (stdout, stderr string, code int) {
	var o, e bytes.Buffer
	for {
		kind, p, err := readFrame(r, maxQueryFrame)
		if err != nil {
			return o.String(), e.String(), -1
		}
		switch kind {
		case frameStdout:
			o.Write(p)
		case frameStderr:
			e.Write(p)
		case frameExit:
			fmt.Sscan(string(p), &code)
			return o.String(), e.String(), code
		}
	}
}

// TestQueryVersions: a reader and a recorder of different builds say so; of
// different protocols, or a recorder that answers no queries, refuse
// clearly.
func TestQueryVersions(t *testing.T) {
	db, _ := liveDB(t, "v9.9.9")
	liveFrames(t, db, "333", 5, 100)
	r := runHere(t, "--db", db.Path(), "meetings")
	if r.code != 0 || !strings.Contains(r.stdout, "333") ||
		r.stderr != fmt.Sprintf("confrec: note: answered by the recorder, which runs confrec v9.9.9 (this is %s)\n", buildVersion()) {
		t.Errorf("meetings from a recorder of another build: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}

	_, br := rawQuery(t, db.Path(), "QUERY confrec/3 v10")
	if line, _ := br.ReadString('\n'); !strings.HasPrefix(line, "ERR this recorder answers queries in confrec/2") || !strings.Contains(line, "v9.9.9") {
		t.Errorf("a query of another protocol: answer %q", line)
	}

	// A recorder that serves snapshots only, as confrec did before queries.
	old, err := store.Open(filepath.Join(t.TempDir(), "old.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	srv, err := store.ListenSnapshotSocket(old, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { srv.Serve(ctx) })
	defer wg.Wait()
	defer cancel()
	r = runHere(t, "--db", old.Path(), "meetings")
	if r.code != exitRuntime || !strings.Contains(r.stderr, "runs an older confrec, which answers no queries") || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("meetings from an older recorder: exit %d\n%s", r.code, r.stderr)
	}
}

// TestQueryRefusesOtherCommands: the recorder runs read commands only.
func TestQueryRefusesOtherCommands(t *testing.T) {
	db, _ := liveDB(t, buildVersion())
	liveFrames(t, db, "444", 5, 100)
	for _, args := range [][]string{
		{"purge", "--older-than", "1s"},
		{"hold", "444", "--reason", "x"},
		{"import", "jsonl", "/dev/null"},
		{"record", "--conf-id", "1"},
		{"demo"},
	} {
		_, br := rawQuery(t, db.Path(), "QUERY "+queryProto+" "+buildVersion(), args...)
		_, stderr, code := readAnswer(br)
		if code != exitUsage || !strings.Contains(stderr, "a recorder answers read commands") {
			t.Errorf("%v as a query: exit %d, stderr %q", args, code, stderr)
		}
	}
	if m, err := db.Meeting("444"); err != nil || m.Hold != nil || m.Frames != 5 {
		t.Errorf("the meeting after refused queries: %+v, %v", m, err)
	}
}

// TestQuerySlowReader: a reader that takes nothing is cut off once the
// stall timeout passes, with a bounded buffer; recording goes on
// meanwhile.
func TestQuerySlowReader(t *testing.T) {
	defer func(old time.Duration) { queryTimeouts.stall = old }(queryTimeouts.stall)
	queryTimeouts.stall = 300 * time.Millisecond
	db, qs := liveDB(t, buildVersion())
	liveFrames(t, db, "555", 20000, 1000) // 20 MB of JSON: far more than the socket holds
	_, br := rawQuery(t, db.Path(), "QUERY "+queryProto+" "+buildVersion(), "export", "frames", "555")

	// Recording goes on while the query waits on its reader.
	var appended atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			f := store.Frame{Dir: store.In, Op: store.Text, Payload: fmt.Appendf(nil, `{"action":"HeartBeat","n":%d}`, i)}
			if db.Append(context.Background(), "666", f) != nil {
				return
			}
			appended.Add(1)
		}
	})
	waitQueriesDone(t, qs, 30*time.Second)
	atCutOff := appended.Load()
	close(stop)
	wg.Wait()
	if atCutOff == 0 {
		t.Errorf("no frame was recorded while a reader stalled")
	}
	// The reader finds what was sent before the cut (no more than the
	// socket's buffers and one gathered batch), then the end, mid-frame:
	// no exit code.
	b, err := io.ReadAll(br)
	if err != nil || len(b) == 0 || len(b) > 16<<20 {
		t.Errorf("a stalled reader then got %d bytes (%v); want some, fewer than 16 MiB", len(b), err)
	}
	if _, _, code := readAnswer(bufio.NewReader(bytes.NewReader(b))); code != -1 {
		t.Errorf("a stalled reader got exit code %d, want none: it was cut off", code)
	}
}

// TestQueryReaderGone: a reader killed mid-stream costs the recorder
// nothing: its query ends and leaves no goroutine and no memory behind.
func TestQueryReaderGone(t *testing.T) {
	db, qs := liveDB(t, buildVersion())
	liveFrames(t, db, "777", 20000, 1000)
	ignore := goleak.IgnoreCurrent()
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	for range 5 {
		conn, br := rawQuery(t, db.Path(), "QUERY "+queryProto+" "+buildVersion(), "export", "frames", "777")
		if _, err := io.ReadFull(br, make([]byte, 1<<20)); err != nil {
			t.Fatalf("read the first MiB: %v", err)
		}
		conn.Close()
	}
	waitQueriesDone(t, qs, 10*time.Second)
	goleak.VerifyNone(t, ignore)
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > 8<<20 {
		t.Errorf("the heap grew by %d bytes after five readers went away", grew)
	}
}

// FuzzQueryAnswer: whatever a recorder sends, the reader neither panics
// nor hangs, and puts the -o file in place only when told it is complete.
func FuzzQueryAnswer(f *testing.F) {
	frame := func(kind byte, p string) string {
		var b bytes.Buffer
		writeFrame(&b, kind, []byte(p))
		return b.String()
	}
	f.Add(frame(frameStdout, "hello\n") + frame(frameExit, "0"))
	f.Add(frame(frameStderr, "confrec: no\n") + frame(frameExit, "1"))
	f.Add(frame(frameFileBegin, "") + frame(frameFile, "data") + frame(frameFileCommit, "") + frame(frameExit, "0"))
	f.Add(frame(frameFileBegin, "") + frame(frameFile, "cut"))
	f.Add(frame(frameKeepalive, "") + frame('?', "x"))
	f.Add(frame(frameExit, "nope"))
	f.Add("\x6f\xff\xff\xff\xff")
	dir := f.TempDir() // one per process: the inputs run one at a time in it
	f.Fuzz(func(t *testing.T, answer string) {
		out := filepath.Join(dir, "out")
		defer os.Remove(out)
		var stdout, stderr bytes.Buffer
		err := copyAnswer(bufio.NewReader(strings.NewReader(answer)), &stdout, &stderr, out)
		_, serr := os.Stat(out)
		committed := strings.Contains(answer, frame(frameFileCommit, ""))
		if serr == nil && !committed {
			t.Fatalf("the -o file was put in place without a commit frame (err %v)", err)
		}
		var qe queryExit
		if err != nil && !errors.As(err, &qe) && !strings.Contains(err.Error(), "recorder") {
			t.Fatalf("an error that does not name the recorder: %v", err)
		}
	})
}
