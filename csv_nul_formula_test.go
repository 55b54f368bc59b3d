package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

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
