package cli

import (
	"bufio"
	"context"
	"errors"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/confrec/confrec/store"
)

// TestPurgeShrinks: purging a large meeting gives its space back.
func TestPurgeShrinks(t *testing.T) {
	t.Parallel()
	db := bigDB(t)
	before := fileSize(t, db)
	p := purgeRun(t, db)
	after := fileSize(t, db)
	if p.Removed != 1 || p.Kept != 1 || p.Before != before || p.After != after || after*10 > before {
		t.Errorf("purge: %+v; file %d -> %d bytes, want it under a tenth", p, before, after)
	}
	if fi, err := os.Stat(db); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("after purge: %v, %v; want mode 0600", fi, err)
	}
	checkKeep(t, db, false)
	// What purge prints as a table: the removed and the kept meeting, sizes.
	table := mustRun(t, nil, "--db", db, "purge", "--older-than", "90d").stdout
	if !strings.Contains(table, "keep") || !strings.Contains(table, "removed 0 meetings") || !strings.Contains(table, "kept 1 held; database") {
		t.Errorf("purge table:\n%s", table)
	}
}

// TestPurgeKill9: purge killed (-9) after it wrote the compacted file and
// before it renamed it leaves the database intact, with its deletions
// committed; the next purge removes the leftover and compacts.
func TestPurgeKill9(t *testing.T) {
	t.Parallel()
	db := bigDB(t)
	before := fileSize(t, db)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := confrecCmd(ctx, t, []string{envPurgePause + "=1"}, "--db", db, "purge", "--older-than", "1ns")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stderr)
	paused := false
	for !paused && lines.Scan() {
		paused = strings.Contains(lines.Text(), "pausing before the rename")
	}
	if !paused {
		cmd.Wait()
		t.Fatal("purge never paused before the rename")
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, stderr)
	cmd.Wait()

	tmp := db + store.CompactSuffix
	if fi, err := os.Stat(tmp); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("compacted file after kill -9: %v, %v; want it left, mode 0600", fi, err)
	}
	if size := fileSize(t, db); size < before {
		t.Errorf("the database shrank from %d to %d bytes: the compacted file replaced it", before, size)
	}
	checkKeep(t, db, false) // the delete was committed before the compaction
	p := purgeRun(t, db)
	if p.Removed != 0 || p.Kept != 1 || p.After*10 > before {
		t.Errorf("purge after the kill: %+v", p)
	}
	if _, err := os.Stat(tmp); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("leftover after the next purge: %v", err)
	}
	checkKeep(t, db, false)
}

// TestPurgeKill9AnyMoment: purge killed (-9) at a random moment (seeded
// rounds) leaves a database that opens, holds the held meeting intact and
// either still holds the expired one or not, never a mix; the next purge
// finishes the job.
func TestPurgeKill9AnyMoment(t *testing.T) {
	t.Parallel()
	template, err := os.ReadFile(bigDB(t))
	if err != nil {
		t.Fatal(err)
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	killed := 0
	for round := range 8 {
		db := filepath.Join(t.TempDir(), "purge.db")
		if err := os.WriteFile(db, template, 0o600); err != nil {
			t.Fatal(err)
		}
		cmd := confrecCmd(t.Context(), t, nil, "--db", db, "purge", "--older-than", "1ns")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(rng.IntN(120_000)) * time.Microsecond) // the random moment is the point of the test
		cmd.Process.Kill()
		cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			killed++
		}
		// The database is whole: it opens and every meeting verifies.
		sdb, err := store.Open(db, &store.Options{ReadOnly: true})
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		ms, err := sdb.Meetings()
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		var ids []string
		for _, m := range ms {
			ids = append(ids, m.ID)
			if err := sdb.Verify(m.ID); err != nil {
				t.Errorf("round %d: %v", round, err)
			}
		}
		sdb.Close()
		if got := strings.Join(ids, ","); got != "big,keep" && got != "keep" {
			t.Fatalf("round %d: meetings %s after the kill", round, got)
		}
		purgeRun(t, db)
		if _, err := os.Stat(db + store.CompactSuffix); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("round %d: leftover after the next purge: %v", round, err)
		}
		checkKeep(t, db, false)
		if size := fileSize(t, db); size*10 > int64(len(template)) {
			t.Errorf("round %d: %d bytes after the next purge", round, size)
		}
	}
	t.Logf("%d of 8 purges killed before they ended", killed)
}
