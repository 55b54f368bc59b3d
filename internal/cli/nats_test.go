package cli

import (
	"bytes"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"

	"github.com/confrec/confrec/internal/natstest"
	"github.com/confrec/confrec/store"
)

// startNATSServer runs a NATS server with JetStream in the test's process,
// its store in dir, on port (0: any), until t ends or it is shut down.
func startNATSServer(t *testing.T, dir string, port int) *natsserver.Server {
	t.Helper()
	return natstest.Start(t, dir, &natstest.Options{Port: port})
}

// TestRecordArchiveNATS: record --nats publishes a meeting while NATS is
// away for 30 s in the middle of it; confrec archive stores it whole: the
// same frames, sessions and hash chain as the recorder's database, each
// frame once, and every command works on the archive.
func TestRecordArchiveNATS(t *testing.T) {
	t.Parallel()
	const id = "986512347"
	natsDir := t.TempDir()
	ns := startNATSServer(t, natsDir, 0)
	port, natsURL := ns.Addr().(*net.TCPAddr).Port, ns.ClientURL()
	// The sample meeting at 10 times its speed: a minute.
	srv := startServe(t, serveEnv(), "--scenario", testdata("scenario-basic.jsonl"), "--speed", "10")
	dir := t.TempDir()
	recDB, archDB := filepath.Join(dir, "rec.db"), filepath.Join(dir, "archive.db")
	arch := startRecord(t, nil, `msg=archiving`, "--db", archDB, "archive", "--nats", natsURL)
	rec := startRecord(t, recordEnv(), `msg="meeting title"`, "--db", recDB, "record", "--conf-id", id, "--api-url", srv.URL,
		"--nats", natsURL, "--recorder-id", "rec-1")

	time.Sleep(5 * time.Second)
	ns.Shutdown()
	ns.WaitForShutdown()
	time.Sleep(30 * time.Second) // recording goes on; nothing reaches NATS
	startNATSServer(t, natsDir, port)

	if err := rec.cmd.Wait(); err != nil {
		t.Fatalf("record: %v\n%s", err, rec.logs)
	}
	if !strings.Contains(rec.logs.String(), "NATS disconnected") || !strings.Contains(rec.logs.String(), "NATS connected again") {
		t.Errorf("record did not log the outage and its end:\n%s", rec.logs)
	}
	awaitArchived(t, arch, archDB, id, info(t, recDB, id))
	if err := arch.stop(syscall.SIGINT); err != nil {
		t.Fatalf("archive after SIGINT: %v\n%s", err, arch.logs)
	}
	archiveWarnedNot(t, arch)
	archivedWhole(t, archDB, recDB, id, "rec-1")
	if b, err := os.ReadFile(archDB); err != nil || len(b) == 0 {
		t.Errorf("archive database: %v", err)
	}
}

// awaitArchived waits, at most a minute, until the archive archDB holds
// the frames and sessions want says the recorder's database holds of
// meeting id, its last session ended. arch is the archive's process.
func awaitArchived(t *testing.T, arch *recording, archDB, id string, want infoJSON) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		if r := run(t, nil, "--db", archDB, "info", id, "--format", "json"); r.code == 0 {
			var v infoJSON
			if json.Unmarshal([]byte(r.stdout), &v) == nil && v.Frames >= want.Frames && len(v.Sessions) == len(want.Sessions) && v.Sessions[len(v.Sessions)-1].Reason != "" {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the archive does not hold meeting %s's %d frames after a minute:\n%s", id, want.Frames, arch.logs)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// archiveWarnedNot fails the test if the archive arch logged an error or
// a warning other than NATS's disconnection: a refused, lost or truncated
// message.
func archiveWarnedNot(t *testing.T, arch *recording) {
	t.Helper()
	for line := range strings.SplitSeq(arch.logs.String(), "\n") {
		if strings.Contains(line, "level=WARN") && !strings.Contains(line, "NATS disconnected: archiving waits") ||
			strings.Contains(line, "level=ERROR") {
			t.Errorf("the archive warned: %s", line)
		}
	}
}

// archivedWhole checks that the archive archDB holds meeting id as the
// database recDB of the recorder named recorder does: as many frames, the
// same chain head, the same sessions (named with the recorder and its
// session), byte for byte the same frames, timeline and attendance; and
// that verify passes on the archive.
func archivedWhole(t *testing.T, archDB, recDB, id, recorder string) {
	t.Helper()
	ms := make([]store.Meeting, 2)
	for i, path := range []string{archDB, recDB} {
		db, err := store.Open(path, &store.Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		ms[i], err = db.Meeting(id)
		db.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	a, r := ms[0], ms[1]
	if a.Frames != r.Frames || a.ChainHead != r.ChainHead {
		t.Errorf("meeting %s: archive: %d frames, chain head %s; recorder: %d frames, %s", id, a.Frames, a.ChainHead, r.Frames, r.ChainHead)
	}
	for i := range a.Sessions {
		s := &a.Sessions[i]
		if s.Attrs["recorder"] != recorder || s.Attrs["recorder_session"] != strconv.FormatUint(uint64(s.ID), 10) {
			t.Errorf("meeting %s: the archive's session %d is not named as recorder %s's session %d: %v", id, s.ID, recorder, s.ID, s.Attrs)
		}
		delete(s.Attrs, "recorder")
		delete(s.Attrs, "recorder_session")
		if len(s.Attrs) == 0 {
			s.Attrs = nil
		}
	}
	as, _ := json.Marshal(a.Sessions)
	rs, _ := json.Marshal(r.Sessions)
	if !bytes.Equal(as, rs) {
		t.Errorf("meeting %s: the archive's sessions differ from the recorder's:\n%s\n%s", id, as, rs)
	}
	for _, args := range [][]string{{"export", "frames", id}, {"export", "timeline", id}, {"export", "attendance", id}} {
		a, r := mustRun(t, nil, append([]string{"--db", archDB}, args...)...), mustRun(t, nil, append([]string{"--db", recDB}, args...)...)
		if a.stdout != r.stdout {
			t.Errorf("%v: the archive's differs from the recorder's (%d and %d bytes)", args, len(a.stdout), len(r.stdout))
		}
	}
	if r := run(t, nil, "--db", archDB, "verify", id); r.code != 0 {
		t.Errorf("verify the archive: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
