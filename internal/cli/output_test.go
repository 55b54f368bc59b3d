package cli

import (
	"crypto/sha256"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/confrec/confrec/store"
)

// demoMeeting is the meeting `confrec demo` records.
const demoMeeting = "986512347"

// outputCommands are the commands that write -o FILE, as run on the demo's
// meeting.
var outputCommands = [][]string{
	{"export", "frames", demoMeeting},
	{"export", "frames", "--format", "csv", demoMeeting},
	{"export", "timeline", demoMeeting},
	{"export", "attendance", demoMeeting},
	{"export", "report", demoMeeting},
	{"export", "har", demoMeeting},
	{"seal", demoMeeting},
	{"backup"},
	{"keygen"},
}

// dbState is what must not change in a database a command refused to
// overwrite.
type dbState struct {
	sum      [32]byte
	meetings int
	frames   uint64
	held     int
}

// readDBState reads path's bytes and opens it: every meeting verifies.
func readDBState(t *testing.T, path string) dbState {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(path, &store.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("the database no longer opens: %v", err)
	}
	defer db.Close()
	ms, err := db.Meetings()
	if err != nil {
		t.Fatal(err)
	}
	s := dbState{sum: sha256.Sum256(b), meetings: len(ms)}
	for _, m := range ms {
		if err := db.Verify(m.ID); err != nil {
			t.Fatalf("meeting %s: %v", m.ID, err)
		}
		s.frames += m.Frames
		if m.Hold != nil {
			s.held++
		}
	}
	return s
}

// TestOutputOntoDatabase: every command that writes -o FILE refuses a FILE
// that is the database (by its name, a hard link or a symbolic link) with a
// usage error naming both, and leaves the database as it was: the same
// bytes, every frame there, its hold kept.
func TestOutputOntoDatabase(t *testing.T) {
	t.Parallel()
	db := demoDB(t)
	mustRun(t, nil, "--db", db, "hold", demoMeeting, "--reason", "litigation")
	hard := filepath.Join(t.TempDir(), "hard.db")
	if err := os.Link(db, hard); err != nil {
		t.Fatal(err)
	}
	sym := filepath.Join(t.TempDir(), "sym.db")
	if err := os.Symlink(db, sym); err != nil {
		t.Fatal(err)
	}
	want := readDBState(t, db)
	if want.frames == 0 || want.held != 1 {
		t.Fatalf("the demo's database: %+v, want frames and a held meeting", want)
	}
	for _, args := range outputCommands {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			for _, out := range []string{db, hard, sym} {
				r := run(t, nil, append([]string{"--db", db}, append(args, "-o", out)...)...)
				line := strings.TrimSpace(r.stderr)
				if r.code != 2 || strings.Contains(line, "\n") ||
					!strings.Contains(line, "-o "+out+" is the database "+db) || !strings.Contains(line, "another file") {
					t.Errorf("-o %s: exit %d, stderr %q; want exit 2 and one line saying it is the database %s", out, r.code, r.stderr, db)
				}
				if got := readDBState(t, db); got != want {
					t.Fatalf("-o %s changed the database: %d frames, %d held; want %d, %d", out, got.frames, got.held, want.frames, want.held)
				}
			}
		})
	}
}

// TestOutputOntoRecordingDatabase: while record holds the database (reads
// then come from its snapshot socket), an export onto the database or onto
// the socket is refused, and the recorder's file stays in place.
func TestOutputOntoRecordingDatabase(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "rec.db")
	startRecording(t, db)
	before, err := os.Stat(db)
	if err != nil {
		t.Fatal(err)
	}
	sock := store.SnapshotSocket(db)
	for _, tt := range []struct{ out, what string }{
		{db, "the database"},
		{sock, "the snapshot socket of the database"},
	} {
		for _, args := range [][]string{{"export", "frames", demoMeeting}, {"export", "timeline", demoMeeting}, {"seal", "--force", demoMeeting}} {
			r := run(t, nil, append([]string{"--db", db}, append(args, "-o", tt.out)...)...)
			if r.code != 2 || !strings.Contains(r.stderr, "-o "+tt.out+" is "+tt.what+" "+db) {
				t.Errorf("%s -o %s while recording: exit %d, stderr %q; want exit 2 and %q", strings.Join(args, " "), tt.out, r.code, r.stderr, tt.what)
			}
			after, err := os.Stat(db)
			if err != nil || !os.SameFile(before, after) {
				t.Fatalf("%s -o %s while recording replaced the recorder's database (%v)", strings.Join(args, " "), tt.out, err)
			}
			if fi, err := os.Lstat(sock); err != nil || fi.Mode().Type() != os.ModeSocket {
				t.Fatalf("%s -o %s while recording: the snapshot socket is gone (%v, %v)", strings.Join(args, " "), tt.out, fi, err)
			}
		}
	}
	if n := meetingFrames(t, nil, db, demoMeeting); n == 0 {
		t.Error("the recording shows no frames")
	}
}
