package cli

import (
	"strings"
	"testing"
	"time"
)

// TestQueryUsageErrorFreesFlags: a query whose usage error is long (it
// quotes a 3 MiB argument) and whose client takes nothing does not hold
// the lock on flag parsing while the recorder waits on that client: the
// other readers' queries are answered meanwhile.
func TestQueryUsageErrorFreesFlags(t *testing.T) {
	defer func(old time.Duration) { queryTimeouts.stall = old }(queryTimeouts.stall)
	queryTimeouts.stall = 5 * time.Second
	db, qs := liveDB(t, buildVersion())
	liveFrames(t, db, "111", 5, 100)
	conn, _ := rawQuery(t, db.Path(), "QUERY "+queryProto+" "+buildVersion(),
		"replay", "print", "111", "--speed", strings.Repeat("x", 3<<20))
	// Until the first query is being answered, then a while more: its
	// answer fills the socket.
	for qs.active.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)

	start := time.Now()
	r := runHere(t, "--db", db.Path(), "meetings")
	if took := time.Since(start); r.code != 0 || took > 2*time.Second {
		t.Errorf("meetings beside a stalled query: exit %d after %v, want an answer within 2s\n%s", r.code, took, r.stderr)
	}
	conn.Close()
	waitQueriesDone(t, qs, 10*time.Second)
}
