package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestTableCellsKeepTheirShape: a title with a tab or newline (the service
// sends what the host typed) does not break the meetings table.
func TestTableCellsKeepTheirShape(t *testing.T) {
	t.Parallel()
	lines := []string{
		`{"offset_ms":0,"dir":"out","frame":{"_control":"ws_open","url":"wss://x.invalid/cms/open/websocket/confctl/increment/conn?confID=778&tmpToken=x"}}`,
		`{"offset_ms":1,"dir":"in","frame":{"action":"ConfBasicInfoNotify","msgID":"n1","msgMode":0,"confID":"778","title":"Line one\nLine\ttwo"}}`,
		`{"offset_ms":2,"dir":"in","frame":{"action":"ConfDynamicInfoNotify","msgID":"n2","msgMode":0,"confID":"778","state":"Destroyed"}}`,
	}
	srv := startServe(t, serveEnv(), "--scenario", writeFile(t, "tab.jsonl", strings.Join(lines, "\n")+"\n"), "--speed", "0")
	db := filepath.Join(t.TempDir(), "rec.db")
	mustRun(t, recordEnv(), "--db", db, "record", "--conf-id", "778", "--api-url", srv.URL)
	table := mustRun(t, nil, "--db", db, "meetings").stdout
	if n := strings.Count(table, "\n"); n != 2 || !strings.Contains(table, "Line one Line two") {
		t.Errorf("meetings table:\n%s", table)
	}
	if title := meetingTitle(t, db, "778"); title != "Line one\nLine\ttwo" {
		t.Errorf("JSON title %q, want it exact", title)
	}
}
