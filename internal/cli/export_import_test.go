package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/confrec/confrec/importer"
	"github.com/confrec/confrec/interchange"
	"github.com/confrec/confrec/store"
)

// recordShort records testdata/scenario-short.jsonl from a stand-in into a
// new database and returns its path.
func recordShort(t *testing.T) string {
	t.Helper()
	srv := startServe(t, serveEnv(), "--scenario", testdata("scenario-short.jsonl"), "--speed", "20")
	db := filepath.Join(t.TempDir(), "rec.db")
	mustRun(t, recordEnv(), "--db", db, "record", "--conf-id", "555000111", "--api-url", srv.URL)
	return db
}

// readFile reads a file the test made.
func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// labels reads meeting id's labels from a database no process holds.
func labels(t *testing.T, path, id string) map[string]string {
	t.Helper()
	db, err := store.Open(path, &store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	m, err := db.Meeting(id)
	if err != nil {
		t.Fatal(err)
	}
	return m.Labels
}

// TestImportJSONLRoundTrip: export frames → import jsonl into a new
// database → export frames again gives the same bytes; a second import
// into the same database is refused.
func TestImportJSONLRoundTrip(t *testing.T) {
	t.Parallel()
	db := recordShort(t)
	dir := t.TempDir()
	first := filepath.Join(dir, "555000111.jsonl")
	mustRun(t, nil, "--db", db, "export", "frames", "555000111", "-o", first)

	imported := filepath.Join(dir, "imported.db")
	r := mustRun(t, nil, "--db", imported, "import", "jsonl", first)
	if !strings.Contains(r.stdout, "imported meeting 555000111: 1 session(s)") {
		t.Errorf("import said %q", r.stdout)
	}
	again := filepath.Join(dir, "again.jsonl")
	mustRun(t, nil, "--db", imported, "export", "frames", "555000111", "-o", again)
	if a, b := readFile(t, first), readFile(t, again); !bytes.Equal(a, b) {
		t.Errorf("export after import differs:\n%s\nwant:\n%s", b, a)
	}
	if got := labels(t, imported, "555000111")[importer.LabelImported]; got != "jsonl:555000111.jsonl" {
		t.Errorf("label imported = %q", got)
	}
	if a, b := info(t, db, "555000111"), info(t, imported, "555000111"); len(a.Sessions) != len(b.Sessions) || a.Frames != b.Frames {
		t.Errorf("info after import %+v, recorded %+v", b, a)
	}

	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"existing meeting", []string{"--db", imported, "import", "jsonl", first}, 1, "already exists"},
		{"other ID", []string{"--db", imported, "import", "jsonl", "--conf-id", "777", first}, 0, "imported meeting 777"},
		{"filtered export", []string{"--db", imported, "import", "jsonl", "--conf-id", "778", writeFiltered(t, first)}, 1, "seq"},
		{"not JSON Lines", []string{"--db", imported, "import", "jsonl", "--conf-id", "779", writeFile(t, "x.jsonl", "hello\n")}, 1, "line 1"},
		{"no file", []string{"--db", imported, "import", "jsonl", filepath.Join(dir, "missing.jsonl")}, 1, "missing.jsonl"},
		{"no argument", []string{"--db", imported, "import", "jsonl"}, 2, "FILE"},
	}
	for _, tt := range tests {
		r := run(t, nil, tt.args...)
		if r.code != tt.code || !strings.Contains(r.stdout+r.stderr, tt.want) {
			t.Errorf("%s: exit %d, want %d with %q\nstdout: %s\nstderr: %s", tt.name, r.code, tt.code, tt.want, r.stdout, r.stderr)
		}
	}
	// A refused file stored nothing.
	if r := run(t, nil, "--db", imported, "info", "778"); r.code == 0 {
		t.Errorf("meeting 778 exists after a refused import:\n%s", r.stdout)
	}
}

// writeFiltered writes the export at path without its first line.
func writeFiltered(t *testing.T, path string) string {
	t.Helper()
	_, rest, _ := bytes.Cut(readFile(t, path), []byte("\n"))
	return writeFile(t, "filtered.jsonl", string(rest))
}

// TestExportImportHAR: export har, then import har into a new database:
// same frames (times to the microsecond), and the HAR is valid JSON with
// the session's redacted URL.
func TestExportImportHAR(t *testing.T) {
	t.Parallel()
	db := recordShort(t)
	dir := t.TempDir()
	harPath := filepath.Join(dir, "session.har")
	mustRun(t, nil, "--db", db, "export", "har", "555000111", "-o", harPath)
	var h interchange.HAR
	if err := json.Unmarshal(readFile(t, harPath), &h); err != nil {
		t.Fatal(err)
	}
	if len(h.Log.Entries) != 1 || h.Log.Creator.Name != "confrec" || h.Log.Version != "1.2" {
		t.Fatalf("HAR log %+v", h.Log)
	}
	e := h.Log.Entries[0]
	if !strings.Contains(e.Request.URL, "tmpToken=[redacted:") || e.Response.Status != 101 || e.ResourceType != "websocket" {
		t.Errorf("entry: url %q, status %d, type %q", e.Request.URL, e.Response.Status, e.ResourceType)
	}
	if fi, err := os.Stat(harPath); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("HAR file mode: %v %v", fi.Mode(), err)
	}

	imported := filepath.Join(dir, "imported.db")
	mustRun(t, nil, "--db", imported, "import", "har", harPath)
	want, got := exported(t, db, "555000111"), exported(t, imported, "555000111")
	if len(got) != len(want) {
		t.Fatalf("%d frames imported, want %d", len(got), len(want))
	}
	for i := range want {
		w, g := want[i], got[i]
		wt, gt := mustTime(t, w.Time), mustTime(t, g.Time)
		if w.Dir != g.Dir || w.Opcode != g.Opcode || !bytes.Equal(payload(t, w), payload(t, g)) || !gt.Equal(wt.Round(time.Microsecond)) {
			t.Errorf("frame %d: imported %+v, want %+v", i+1, g, w)
		}
	}
	if got := labels(t, imported, "555000111")[importer.LabelImported]; got != "har:session.har" {
		t.Errorf("label imported = %q", got)
	}
	if r := run(t, nil, "--db", imported, "import", "har", harPath); r.code != 1 || !strings.Contains(r.stderr, "already exists") {
		t.Errorf("second import: exit %d, stderr %s", r.code, r.stderr)
	}
}

func mustTime(t *testing.T, v string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}
