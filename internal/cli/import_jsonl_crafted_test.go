package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestImportJSONLMemberSpelledTwice: a line that names a member twice, or
// in another spelling than export frames writes (which encoding/json
// matches regardless of case, taking the last), is refused naming its line
// and the member; nothing of the file is stored. Otherwise the frame
// stored would be another than a reader of the file (jq, Python) sees.
func TestImportJSONLMemberSpelledTwice(t *testing.T) {
	t.Parallel()
	src := storeFrames(t, "555000111", []byte("one"), []byte("two"), []byte("six"))
	dir := t.TempDir()
	file := filepath.Join(dir, "f.jsonl")
	mustRun(t, nil, "--db", src, "export", "frames", "555000111", "-o", file)
	good := strings.SplitAfter(string(readFile(t, file)), "\n")
	tests := []struct{ name, old, new, member string }{
		{"payload twice", `"payload":"two"`, `"payload":"two","payload":"six"`, `"payload"`},
		{"payload in upper case", `"payload":"two"`, `"payload":"two","PAYLOAD":"six"`, `"PAYLOAD"`},
		{"dir in another case", `"dir":"in"`, `"dir":"in","Dir":"out"`, `"Dir"`},
		{"an escaped name", `"payload":"two"`, `"payload":"two","pay\u006coad":"six"`, `"pay\u006coad"`},
		{"seq twice", `"seq":2`, `"seq":2,"seq":2`, `"seq"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			lines := append([]string(nil), good...)
			if !strings.Contains(lines[1], tt.old) {
				t.Fatalf("line 2 lacks %s: %s", tt.old, lines[1])
			}
			lines[1] = strings.Replace(lines[1], tt.old, tt.new, 1)
			bad := writeFile(t, "bad.jsonl", strings.Join(lines, ""))
			imported := filepath.Join(t.TempDir(), "imported.db")
			r := run(t, nil, "--db", imported, "import", "jsonl", "--conf-id", "777", bad)
			if r.code != 1 || !strings.Contains(r.stderr, "line 2") || !strings.Contains(r.stderr, tt.member) ||
				strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
				t.Fatalf("exit %d, stderr %q; want exit 1 and one line naming line 2 and %s", r.code, r.stderr, tt.member)
			}
			assertNoMeeting(t, imported, "777")
		})
	}
}

// TestImportJSONLSpacedMembers: white space around members and values, as
// other tools write JSON (Python's json.dumps: ", " and ": "), is no other
// spelling: such a file imports as the compact one does.
func TestImportJSONLSpacedMembers(t *testing.T) {
	t.Parallel()
	src := storeFrames(t, "555000111", []byte("one"), []byte("two"))
	file := filepath.Join(t.TempDir(), "f.jsonl")
	mustRun(t, nil, "--db", src, "export", "frames", "555000111", "-o", file)
	spaced := strings.NewReplacer(`,"`, ` ,  "`, `":`, `" :  `, `{"`, "{ \t\"").Replace(string(readFile(t, file)))
	imported := filepath.Join(t.TempDir(), "imported.db")
	mustRun(t, nil, "--db", imported, "import", "jsonl", "--conf-id", "777", writeFile(t, "spaced.jsonl", spaced))
	samePayloads(t, exported(t, imported, "777"), [][]byte{[]byte("one"), []byte("two")})
}

// TestImportJSONLPasscodes: a JSON Lines file holding meeting passcodes in
// clear (written by another tool, or by a confrec that kept them) imports
// with them redacted, as record and import har store them, and every other
// byte as it was.
func TestImportJSONLPasscodes(t *testing.T) {
	t.Parallel()
	basic := `{"action":"ConfBasicInfoNotify","version":1742263200240,"createTime":1742263200240,"msgID":"m1","msgMode":0,` +
		`"confID":"555000111","title":"Stand-up","pwds":[{"role":"chair","pwd":"804122"},{"role":"general","pwd":"317560"}]}`
	src := storeFrames(t, "555000111", []byte(basic), []byte(`{"action":"ParticipantsNotify","data":[]}`))
	dir := t.TempDir()
	file := filepath.Join(dir, "f.jsonl")
	mustRun(t, nil, "--db", src, "export", "frames", "555000111", "-o", file)
	if !bytes.Contains(readFile(t, file), []byte("804122")) {
		t.Fatal("the file to import holds no passcode")
	}
	imported := filepath.Join(dir, "imported.db")
	mustRun(t, nil, "--db", imported, "import", "jsonl", "--conf-id", "777", file)
	samePayloads(t, exported(t, imported, "777"), [][]byte{withoutPasscodes([]byte(basic)), []byte(`{"action":"ParticipantsNotify","data":[]}`)})
	raw, err := os.ReadFile(imported)
	if err != nil {
		t.Fatal(err)
	}
	checkNotShown(t, map[string][]byte{"the database file": raw}, "804122", "317560")
}
