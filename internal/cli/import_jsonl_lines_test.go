package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/confrec/confrec/store"
)

// storeFrames writes one meeting of one session holding payloads as text
// frames, a second apart, into a new database and returns its path.
func storeFrames(t *testing.T, id string, payloads ...[]byte) string {
	t.Helper()
	return oneSessionDB(t, id, time.Second, payloads)
}

// oneSessionDB writes, through the store, a new database holding meeting
// id: one session whose frames are payloads as text frames received step
// apart, ended with the last of them. It returns the database's path.
func oneSessionDB(t *testing.T, id string, step time.Duration, payloads [][]byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "src.db")
	db, err := store.Open(path, &store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	t0 := time.Date(2025, 3, 18, 2, 0, 0, 0, time.UTC)
	sid, err := db.BeginSession(ctx, id, store.Session{Start: t0})
	if err != nil {
		t.Fatal(err)
	}
	const chunk = 4096
	frames := make([]store.Frame, 0, min(chunk, len(payloads)))
	last := t0
	for i, p := range payloads {
		last = t0.Add(time.Duration(i+1) * step)
		frames = append(frames, store.Frame{Time: last, Session: sid, Dir: store.In, Op: store.Text, Payload: p})
		if len(frames) == chunk || i == len(payloads)-1 {
			if err := db.Append(ctx, id, frames...); err != nil {
				t.Fatal(err)
			}
			frames = frames[:0]
		}
	}
	if err := db.EndSession(ctx, id, sid, last, store.SessionEnd{Reason: "meeting-ended"}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// controlChars is n bytes of the control characters JSON escapes as
// \u00XX, six bytes each: the largest expansion a text frame meets.
func controlChars(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		c := byte(i % 0x20)
		if c == '\t' || c == '\n' || c == '\r' {
			c = 0x01
		}
		b[i] = c
	}
	return b
}

// TestImportJSONLLongLines: every line export frames writes imports, and
// exporting the imported meeting gives the same bytes; a line longer than
// the largest export frames writes for a frame of --max-frame bytes is
// refused with both lengths named.
func TestImportJSONLLongLines(t *testing.T) {
	t.Parallel()
	// The action of a frame is written beside its payload: with control
	// characters in both, a frame writes its largest line.
	withAction := append(append([]byte(`{"action":"`), controlChars(4000)...), `","data":"`...)
	withAction = append(append(withAction, controlChars(4000)...), `"}`...)
	tests := []struct {
		name     string
		payloads [][]byte
		args     []string
	}{
		// 12 MiB of control characters is a line of 72 MiB.
		{"12 MiB of control characters", [][]byte{[]byte("before"), controlChars(12 << 20), []byte("after")}, nil},
		{"a frame of --max-frame worst-case bytes", [][]byte{withAction}, []string{"--max-frame", strconv.Itoa(len(withAction))}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			src := storeFrames(t, "555000111", tt.payloads...)
			dir := t.TempDir()
			first := filepath.Join(dir, "first.jsonl")
			mustRun(t, nil, "--db", src, "export", "frames", "555000111", "-o", first)
			imported := filepath.Join(dir, "imported.db")
			args := append([]string{"--db", imported, "import", "jsonl", "--conf-id", "777"}, tt.args...)
			mustRun(t, nil, append(args, first)...)
			second := filepath.Join(dir, "second.jsonl")
			mustRun(t, nil, "--db", imported, "export", "frames", "777", "-o", second)
			if !bytes.Equal(readFile(t, first), readFile(t, second)) {
				t.Fatal("export → import → export changed the frames")
			}
		})
	}

	t.Run("longer than the largest line", func(t *testing.T) {
		t.Parallel()
		src := storeFrames(t, "555000111", []byte("short"), controlChars(3000))
		dir := t.TempDir()
		file := filepath.Join(dir, "f.jsonl")
		mustRun(t, nil, "--db", src, "export", "frames", "555000111", "-o", file)
		lines := bytes.Split(bytes.TrimSuffix(readFile(t, file), []byte("\n")), []byte("\n"))
		imported := filepath.Join(dir, "imported.db")
		r := run(t, nil, "--db", imported, "import", "jsonl", "--conf-id", "777", "--max-frame", "1000", file)
		want := "line 2 is " + strconv.Itoa(len(lines[1])) + " bytes, longer than the largest line export frames writes ("
		if r.code != 1 || !strings.Contains(r.stderr, want) || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
			t.Fatalf("exit %d, stderr %q; want exit 1 and one line with %q", r.code, r.stderr, want)
		}
		assertNoMeeting(t, imported, "777")
	})
}

// assertNoMeeting fails unless the database at path, if there is one,
// lacks meeting id.
func assertNoMeeting(t *testing.T, path, id string) {
	t.Helper()
	if _, err := os.Stat(path); os.IsNotExist(err) {
		return
	}
	r := mustRun(t, nil, "--db", path, "meetings")
	if strings.Contains(r.stdout, id) {
		t.Fatalf("meeting %s was stored:\n%s", id, r.stdout)
	}
}

// TestImportJSONLBothPayloads: a line with both payload and payload_base64
// is refused naming its line, and nothing of the file is stored, even the
// good lines before it.
func TestImportJSONLBothPayloads(t *testing.T) {
	t.Parallel()
	src := storeFrames(t, "555000111", []byte("one"), []byte("two"), []byte("three"))
	dir := t.TempDir()
	file := filepath.Join(dir, "f.jsonl")
	mustRun(t, nil, "--db", src, "export", "frames", "555000111", "-o", file)
	lines := strings.SplitAfter(string(readFile(t, file)), "\n")
	lines[1] = strings.Replace(lines[1], `"payload":"two"`, `"payload":"two","payload_base64":"dHdv"`, 1)
	bad := writeFile(t, "bad.jsonl", strings.Join(lines, ""))
	imported := filepath.Join(dir, "imported.db")
	r := run(t, nil, "--db", imported, "import", "jsonl", "--conf-id", "777", bad)
	if r.code != 1 || !strings.Contains(r.stderr, "line 2") || !strings.Contains(r.stderr, "both payload and payload_base64") ||
		strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
		t.Fatalf("exit %d, stderr %q; want exit 1 and one line naming line 2 and both fields", r.code, r.stderr)
	}
	assertNoMeeting(t, imported, "777")
}
