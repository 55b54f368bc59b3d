package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestImportHARMemberSpelledTwice: a WebSocket message of a HAR that names
// a member twice or in another case (encoding/json takes the last, and
// matches regardless of case, so confrec would store another frame, or
// another direction, than a reader of the file sees) is refused naming
// the member, and nothing is stored.
func TestImportHARMemberSpelledTwice(t *testing.T) {
	t.Parallel()
	const entry = `{"log":{"version":"1.2","creator":{"name":"x","version":"1"},"pages":[],"entries":[{"_resourceType":"websocket",` +
		`"request":{"method":"GET","url":"wss://m.invalid/cms/open/websocket/confctl/increment/conn?confID=555000111","httpVersion":"HTTP/1.1","headers":[],"queryString":[],"cookies":[],"headersSize":-1,"bodySize":0},` +
		`"response":{"status":101,"statusText":"Switching Protocols","httpVersion":"HTTP/1.1","headers":[],"cookies":[],"content":{"size":0,"mimeType":"x-unknown"},"redirectURL":"","headersSize":-1,"bodySize":0},` +
		`"startedDateTime":"2025-03-18T02:00:00.000Z","time":1000,"timings":{"send":0,"wait":0,"receive":0},"_webSocketMessages":[MSG]}]}}`
	tests := []struct{ name, msg, member string }{
		{"data twice", `{"type":"receive","time":1742263200.5,"opcode":1,"data":"{\"a\":1}","data":"{\"b\":2}"}`, `"data"`},
		{"data in upper case", `{"type":"receive","time":1742263200.5,"opcode":1,"data":"{\"a\":1}","DATA":"{\"b\":2}"}`, `"DATA"`},
		{"type in another case", `{"type":"receive","Type":"send","time":1742263200.5,"opcode":1,"data":"{\"a\":1}"}`, `"Type"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			har := writeFile(t, "x.har", strings.Replace(entry, "MSG", tt.msg, 1))
			db := filepath.Join(t.TempDir(), "imported.db")
			r := run(t, nil, "--db", db, "import", "har", har)
			if r.code != 1 || !strings.Contains(r.stderr, tt.member) || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
				t.Fatalf("exit %d, stderr %q; want exit 1 and one line naming %s", r.code, r.stderr, tt.member)
			}
			assertNoMeeting(t, db, "555000111")
		})
	}
	// The same message spelled once imports.
	har := writeFile(t, "ok.har", strings.Replace(entry, "MSG", `{"type":"receive","time":1742263200.5,"opcode":1,"data":"{\"a\":1}"}`, 1))
	db := filepath.Join(t.TempDir(), "ok.db")
	mustRun(t, nil, "--db", db, "import", "har", har)
	samePayloads(t, exported(t, db, "555000111"), [][]byte{[]byte(`{"a":1}`)})
}
