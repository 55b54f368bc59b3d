package cli

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// hostileNames are participant names a CSV export must keep exact and must
// not let a spreadsheet run.
var hostileNames = []string{
	"Plain Name",
	"line\nbreak",
	"crlf\r\nname",
	"lone\rcr",
	"trailing cr\r",
	`quote "q", comma`,
	"Zoë Müller 王芳",
	`=HYPERLINK("http://x","y")`,
	"+1-555-0100",
	"@cmd",
	"\tTab first",
	"\rCR first",
	"-",
	"-5",
	"-1.5e3",
	"+3",
	"'quoted",
	"''twice",
	"'=already",
	" leading space",
}

// hostileMeeting writes a JSON Lines file, as `export frames` writes them,
// of a meeting whose participants have hostileNames (and one a name that
// is not UTF-8) and whose other frames hold text CSV must keep exact.
func hostileMeeting(t *testing.T) string {
	t.Helper()
	t0 := time.Date(2025, 3, 18, 2, 0, 0, 0, time.UTC)
	var lines []string
	add := func(op string, p []byte, raw bool) {
		n := len(lines) + 1
		rec := map[string]any{"seq": n, "time": t0.Add(time.Duration(n) * time.Second).Format(time.RFC3339Nano),
			"session": 1, "dir": "in", "opcode": op, "size": len(p)}
		if raw {
			rec["payload_base64"] = base64.StdEncoding.EncodeToString(p)
		} else {
			rec["payload"] = string(p)
		}
		b, err := json.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, string(b))
	}
	notify := func(action string, n int, fields string) []byte {
		ms := t0.Add(time.Duration(n) * time.Second).UnixMilli()
		return fmt.Appendf(nil, `{"action":%q,"version":%d,"createTime":%d,"msgID":"m%d","msgMode":0,"confID":"555000222"%s}`, action, ms, ms, n, fields)
	}
	add("text", notify("ConfBasicInfoNotify", 1, `,"title":"=1+1\nsecond line","owner":"@owner","startTime":"1742263200000"`), false)
	add("text", notify("ConfDynamicInfoNotify", 2, `,"state":"Created","lock":0,"mute":0,"recState":0`), false)
	var people []string
	for i, name := range hostileNames {
		n, _ := json.Marshal(name)
		people = append(people, fmt.Sprintf(`{"pid":"p%02d","mode":0,"pinfoMap":{"NAME":%s,"ROLE":"0","STATE":"0","MUTE":"1"}}`, i, n))
	}
	add("text", notify("ParticipantsNotify", 3, `,"data":[`+strings.Join(people, ",")+`]`), false)
	// A name that is not UTF-8: the frame goes as payload_base64, the
	// timeline's JSON shows U+FFFD for each bad byte, and so must the CSV.
	bad := notify("ParticipantsNotify", 4, `,"data":[{"pid":"=bad","mode":0,"pinfoMap":{"NAME":"bad `+"\xff\xfe"+` utf-8","ROLE":"0","STATE":"0","MUTE":"0"}}]`)
	bad = bytes.Replace(bad, []byte(`"msgMode":0`), []byte(`"msgMode":1`), 1)
	add("text", bad, true)
	add("text", notify("SpeakerChangeNotify", 5, `,"data":[{"pid":"p07","name":"=HYPERLINK(\"http://x\",\"y\")","speakingVolume":61}]`), false)
	add("text", []byte("not JSON: a\nb\r\nc\rd \"e\", f\r"), false)
	add("text", []byte("=cmd|' /C calc'!A0"), false)
	add("text", []byte("-5"), false)
	add("text", []byte("'"), false)
	add("binary", []byte{0xfb, 0xff, 0x00}, true) // base64 "+/8A"
	add("text", []byte("\r\n"), false)
	add("text", []byte(""), false)
	path := filepath.Join(t.TempDir(), "555000222.jsonl")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// pythonCSV reads a CSV file with Python's csv module (strict, as RFC 4180
// says) and returns its rows. python3 is a test dependency: without it the
// test fails.
func pythonCSV(t *testing.T, path string) [][]string {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Fatalf("python3 is needed to read the CSV exports back (apt-get install python3): %v", err)
	}
	const script = `import csv, json, sys
with open(sys.argv[1], newline="", encoding="utf-8") as f:
    print(json.dumps(list(csv.reader(f, strict=True))))`
	out, err := exec.Command(py, "-c", script, path).Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("python3 csv.reader on %s: %v\n%s", path, err, stderr)
	}
	var rows [][]string
	if err := json.Unmarshal(out, &rows); err != nil {
		t.Fatalf("python3's rows: %v", err)
	}
	return rows
}

// csvUnescape is the README's rule for reading a cell: one leading ' is
// not part of the value.
func csvUnescape(cell string) string { return strings.TrimPrefix(cell, "'") }

// plainNumber is the README's "plain decimal number": a cell that starts
// with + or - and is one is written as it is.
var plainNumber = regexp.MustCompile(`^[+-]?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)

// jsonRecords reads JSON Lines (or, with array, one JSON array) of objects.
func jsonRecords(t *testing.T, b []byte, array bool) []map[string]any {
	t.Helper()
	var recs []map[string]any
	if array {
		d := json.NewDecoder(bytes.NewReader(b))
		d.UseNumber()
		if err := d.Decode(&recs); err != nil {
			t.Fatalf("JSON: %v", err)
		}
		return recs
	}
	for line := range bytes.Lines(b) {
		d := json.NewDecoder(bytes.NewReader(line))
		d.UseNumber()
		var r map[string]any
		if err := d.Decode(&r); err != nil {
			t.Fatalf("JSON line %q: %v", line, err)
		}
		recs = append(recs, r)
	}
	return recs
}

// compareCSV checks every cell of rows (header first), unescaped, against
// the value of its column in the JSON record of its row: strings exactly,
// numbers as numbers, an absent field as the empty cell. It also checks
// that no raw cell starts with a character a spreadsheet acts on, unless
// it is a plain number.
func compareCSV(t *testing.T, what string, rows [][]string, recs []map[string]any) {
	t.Helper()
	if len(rows) != len(recs)+1 {
		t.Fatalf("%s: %d CSV rows after the header, %d JSON records", what, len(rows)-1, len(recs))
	}
	header := rows[0]
	for i, row := range rows[1:] {
		if len(row) != len(header) {
			t.Errorf("%s row %d: %d cells, header has %d", what, i+1, len(row), len(header))
			continue
		}
		for j, cell := range row {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) && !plainNumber.MatchString(cell) {
				t.Errorf("%s row %d %s: cell %q starts with %q and is not a number", what, i+1, header[j], cell, cell[0])
			}
			got := csvUnescape(cell)
			switch want := recs[i][header[j]].(type) {
			case nil:
				if got != "" {
					t.Errorf("%s row %d %s: %q, JSON has none", what, i+1, header[j], got)
				}
			case string:
				if got != want {
					t.Errorf("%s row %d %s: %q, JSON has %q", what, i+1, header[j], got, want)
				}
			case json.Number:
				g, gerr := strconv.ParseFloat(got, 64)
				w, werr := want.Float64()
				if gerr != nil || werr != nil || g != w {
					t.Errorf("%s row %d %s: %q, JSON has %s", what, i+1, header[j], got, want)
				}
			default:
				t.Errorf("%s row %d %s: JSON value %v of type %T", what, i+1, header[j], want, want)
			}
		}
	}
}

// TestCSVExportsKeepTextAndDisarmFormulas: a meeting whose frames and
// names hold line breaks (\n, \r\n, a lone \r), quotes, commas, non-ASCII,
// invalid UTF-8, leading = + - @ TAB CR and ', and numbers: every CSV
// export (frames, timeline, attendance and its summary) read with Python's
// csv module gives, after the README's one-leading-' rule, exactly the
// values of the JSON export of the same thing, and no cell starts with a
// formula character unless it is a plain number.
func TestCSVExportsKeepTextAndDisarmFormulas(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "hostile.db")
	mustRun(t, nil, "--db", db, "import", "jsonl", hostileMeeting(t))
	dir := t.TempDir()
	tests := []struct {
		name  string
		json  []string // the command of the JSON (Lines) export
		array bool     // json writes one array, not JSON Lines
		csv   []string
	}{
		{"frames", []string{"export", "frames", "555000222"}, false, []string{"export", "frames", "555000222", "--format", "csv"}},
		{"timeline", []string{"export", "timeline", "555000222"}, false, []string{"export", "timeline", "555000222", "--format", "csv"}},
		{"attendance", []string{"export", "attendance", "555000222", "--format", "json"}, true, []string{"export", "attendance", "555000222"}},
		{"summary", []string{"export", "attendance", "555000222", "--summary", "--format", "json"}, true, []string{"export", "attendance", "555000222", "--summary"}},
	}
	names := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			jsonOut := filepath.Join(dir, tt.name+".json")
			csvOut := filepath.Join(dir, tt.name+".csv")
			mustRun(t, nil, append([]string{"--db", db}, append(tt.json, "-o", jsonOut)...)...)
			mustRun(t, nil, append([]string{"--db", db}, append(tt.csv, "-o", csvOut)...)...)
			raw := readFile(t, csvOut)
			if !bytes.HasSuffix(raw, []byte("\r\n")) {
				t.Errorf("%s CSV does not end in CRLF: %q", tt.name, raw[max(0, len(raw)-20):])
			}
			recs := jsonRecords(t, readFile(t, jsonOut), tt.array)
			compareCSV(t, tt.name, pythonCSV(t, csvOut), recs)
			for _, r := range recs {
				if n, ok := r["name"].(string); ok && tt.name == "attendance" {
					names[n] = true
				}
			}
		})
	}
	// The test means something only if the hostile names reached the
	// exports.
	for _, n := range append(hostileNames, "bad \uFFFD\uFFFD utf-8") {
		if !names[n] {
			t.Errorf("attendance JSON lacks the name %q", n)
		}
	}
}

// TestCSVDisarmsFormulaAfterNUL: a name that starts with a NUL and then a
// formula (ASVS 1.2.10 lists NUL with = + - @ TAB: some spreadsheets skip
// it and run what follows) gets a ' in front in the CSV exports, as a name
// that starts with = does.
func TestCSVDisarmsFormulaAfterNUL(t *testing.T) {
	t.Parallel()
	const name = "\x00=HYPERLINK(\"http://x\",\"y\")"
	n, _ := json.Marshal(name)
	p := fmt.Sprintf(`{"action":"ParticipantsNotify","version":1742263201000,"createTime":1742263201000,"msgID":"m1","msgMode":0,"confID":"555000333","data":[{"pid":"p1","mode":0,"pinfoMap":{"NAME":%s,"ROLE":"0","STATE":"0","MUTE":"1"}}]}`, n)
	rec, _ := json.Marshal(map[string]any{"seq": 1, "time": "2025-03-18T02:00:01Z", "session": 1, "dir": "in", "opcode": "text", "size": len(p), "payload": p})
	file := writeFile(t, "555000333.jsonl", string(rec)+"\n")
	db := filepath.Join(t.TempDir(), "nul.db")
	mustRun(t, nil, "--db", db, "import", "jsonl", file)
	for _, args := range [][]string{
		{"export", "attendance", "555000333"},
		{"export", "attendance", "555000333", "--summary"},
		{"export", "timeline", "555000333", "--format", "csv"},
	} {
		out := filepath.Join(t.TempDir(), "out.csv")
		mustRun(t, nil, append([]string{"--db", db}, append(args, "-o", out)...)...)
		b := readFile(t, out)
		if !bytes.Contains(b, []byte("'\x00=HYPERLINK")) {
			t.Errorf("%s: the name after a NUL is not disarmed:\n%q", strings.Join(args, " "), b)
		}
	}
}
