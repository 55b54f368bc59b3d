package cli

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/confrec/confrec/store"
	bolt "go.etcd.io/bbolt"
)

const demoConf = "986512347"

// verifyRows runs `confrec verify --format json` with args and returns its
// rows and exit code.
func verifyRows(t *testing.T, db string, args ...string) ([]verifyRow, result) {
	t.Helper()
	r := run(t, nil, append([]string{"--db", db, "verify", "--format", "json"}, args...)...)
	var rows []verifyRow
	if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil {
		t.Fatalf("verify output: %v\nstdout:\n%s\nstderr:\n%s", err, r.stdout, r.stderr)
	}
	return rows, r
}

// editFrames rewrites the meeting's frames in the closed database at path
// as type 1 records (one key per frame, the layout store wrote before it
// packed frames into blocks, and still reads), then opens it with bbolt
// directly and runs edit on the meeting's frames bucket, the way an
// attacker with the file would. Keys are time (ns) and seq, both
// big-endian u64.
func editFrames(t *testing.T, path, meeting string, edit func(frames *bolt.Bucket, bySeq func(uint64) ([]byte, []byte))) {
	t.Helper()
	asTypeOne(t, path, meeting)
	bdb, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	err = bdb.Update(func(tx *bolt.Tx) error {
		frames := tx.Bucket([]byte(meeting)).Bucket([]byte("frames"))
		edit(frames, func(seq uint64) ([]byte, []byte) {
			c := frames.Cursor()
			for k, v := c.First(); k != nil; k, v = c.Next() {
				if binary.BigEndian.Uint64(k[8:]) == seq {
					return append([]byte(nil), k...), append([]byte(nil), v...)
				}
			}
			t.Fatalf("no frame %d", seq)
			return nil, nil
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestSealCommands goes through keygen, seal, verify --manifest and
// verify-export, then breaks each piece in turn.
func TestSealCommands(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := demoDB(t)
	key := filepath.Join(dir, "auditor")
	r := mustRun(t, nil, "keygen", "-o", key)
	if !strings.Contains(r.stdout, "key ID") {
		t.Errorf("keygen: %s", r.stdout)
	}
	for _, p := range []string{key, key + ".pub", filepath.Join(dir, "m.json"), filepath.Join(dir, "e.jsonl")} {
		if p == filepath.Join(dir, "m.json") {
			r = mustRun(t, nil, "--db", db, "seal", demoConf, "-o", p, "--sign-key", key)
			if !strings.Contains(r.stderr, "sealed meeting "+demoConf+": 71 frames") {
				t.Errorf("seal: %s", r.stderr)
			}
		}
		if p == filepath.Join(dir, "e.jsonl") {
			mustRun(t, nil, "--db", db, "export", "frames", demoConf, "-o", p)
		}
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", p, fi.Mode().Perm())
		}
	}
	if r := run(t, nil, "keygen", "-o", key); r.code != 1 {
		t.Errorf("keygen over an existing key: exit %d", r.code)
	}
	manifest, export, pub := filepath.Join(dir, "m.json"), filepath.Join(dir, "e.jsonl"), key+".pub"

	rows, r := verifyRows(t, db, "--manifest", manifest, "--pub-key", pub)
	if r.code != 0 || len(rows) != 1 || rows[0].Status != "OK" || !strings.Contains(rows[0].Signature, "signed by the given key") {
		t.Fatalf("verify --manifest --pub-key: exit %d %+v\n%s", r.code, rows, r.stderr)
	}
	rows, r = verifyRows(t, db, "--manifest", manifest)
	if r.code != 0 || rows[0].Status != "OK" || !strings.Contains(rows[0].Signature, "not checked against a trusted key") {
		t.Fatalf("verify --manifest without a key: exit %d %+v", r.code, rows)
	}
	r = mustRun(t, nil, "verify-export", "--manifest", manifest, "--pub-key", pub, export)
	if !strings.HasPrefix(r.stdout, "OK: ") {
		t.Errorf("verify-export: %s", r.stdout)
	}

	exportBytes, err := os.ReadFile(export)
	if err != nil {
		t.Fatal(err)
	}
	manifestBytes, err := os.ReadFile(manifest)
	if err != nil {
		t.Fatal(err)
	}
	otherKey := filepath.Join(dir, "other")
	mustRun(t, nil, "keygen", "-o", otherKey)
	edited := func(name string, b []byte, old, new string) string {
		if !strings.Contains(string(b), old) {
			t.Fatalf("%s lacks %q", name, old)
		}
		return writeFile(t, name, strings.Replace(string(b), old, new, 1))
	}
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"one_byte_edit", []string{"--manifest", manifest, edited("e.jsonl", exportBytes, "Q1 Roadmap", "Q2 Roadmap")}, "chain_head"},
		{"wrong_manifest", []string{"--manifest", edited("m.json", manifestBytes, `"frames": 71`, `"frames": 70`), export}, "signature"},
		{"wrong_manifest_unsigned", []string{"--manifest", unsign(t, edited("m.json", manifestBytes, demoConf, "123456789")), export}, "chain_head"},
		{"bad_signature", []string{"--manifest", edited("m.json", manifestBytes, "Q1 Roadmap", "Q9 Roadmap"), "--pub-key", pub, export}, "signature"},
		{"other_key", []string{"--manifest", manifest, "--pub-key", otherKey + ".pub", export}, "not by the given key"},
	} {
		r := run(t, nil, append([]string{"verify-export"}, tt.args...)...)
		if r.code != 1 || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("%s: exit %d, stderr %q, want exit 1 naming %s", tt.name, r.code, r.stderr, tt.want)
		}
	}
	if r := run(t, nil, "verify-export", export); r.code != 2 {
		t.Errorf("verify-export without --manifest: exit %d", r.code)
	}
	if r := run(t, nil, "--db", db, "verify", "--manifest", manifest, "111"); r.code != 2 {
		t.Errorf("verify --manifest of another meeting: exit %d", r.code)
	}

	// The whole meeting replaced by another recording, chain recomputed:
	// verify alone is fooled, the manifest is not.
	if err := os.Remove(db); err != nil {
		t.Fatal(err)
	}
	recordSample(t, db)
	mustRun(t, nil, "--db", db, "verify")
	rows, r = verifyRows(t, db, "--manifest", manifest, "--pub-key", pub)
	if r.code != 1 || rows[0].Status != "MISMATCH" {
		t.Fatalf("verify --manifest of a replaced meeting: exit %d %+v", r.code, rows)
	}
}

// unsign strips the signature from the manifest at path, as someone making
// a manifest by hand would, and returns the path.
func unsign(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	delete(m, "signature")
	delete(m, "public_key")
	b, _ = json.Marshal(m)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestSealOpenMeeting: a meeting whose last session has not ended is not
// sealed unless --force.
func TestSealOpenMeeting(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "open.db")
	ctx := context.Background()
	sdb, err := store.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = sdb.BeginSession(ctx, "777", store.Session{Start: time.Now()})
	if err == nil {
		err = sdb.Append(ctx, "777", store.Frame{Time: time.Now(), Session: 1, Dir: store.In, Op: store.Text, Payload: []byte(`{}`)})
	}
	if cerr := sdb.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "m.json")
	r := run(t, nil, "--db", path, "seal", "777", "-o", out)
	if r.code != 1 || !strings.Contains(r.stderr, "has not ended") {
		t.Fatalf("seal of an open meeting: exit %d, %s", r.code, r.stderr)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("refused seal left %s: %v", out, err)
	}
	mustRun(t, nil, "--db", path, "seal", "777", "-o", out, "--force")
	mustRun(t, nil, "--db", path, "verify", "--manifest", out)
}

// TestREADMEProving runs the commands of the README's "Proving what is
// stored" section as printed, on the demo's meeting.
func TestREADMEProving(t *testing.T) {
	t.Parallel()
	section := readmeSection(t, "Proving what is stored")
	dir := t.TempDir()
	env := []string{"CONFREC_DB=" + demoDB(t)}
	ran := 0
	for line := range strings.Lines(section) {
		cmd, ok := strings.CutPrefix(strings.TrimSpace(line), "$ confrec ")
		if !ok {
			continue
		}
		cmd, _, _ = strings.Cut(cmd, "#")
		if r := runIn(t, dir, env, strings.Fields(cmd)...); r.code != 0 {
			t.Fatalf("confrec %s: exit %d\n%s%s", cmd, r.code, r.stdout, r.stderr)
		}
		ran++
	}
	if ran < 6 {
		t.Fatalf("ran %d commands of the section, want 6", ran)
	}
}

// TestSealedMeetingSurvivesHoldAndBackup: a legal hold does not change what
// was sealed, and a backup copy proves the same manifest.
func TestSealedMeetingSurvivesHoldAndBackup(t *testing.T) {
	t.Parallel()
	db := demoDB(t)
	dir := t.TempDir()
	manifest, backup := filepath.Join(dir, "m.json"), filepath.Join(dir, "backup.db")
	mustRun(t, nil, "--db", db, "seal", demoConf, "-o", manifest)
	mustRun(t, nil, "--db", db, "hold", demoConf, "--reason", "audit 2025-17")
	mustRun(t, nil, "--db", db, "verify", "--manifest", manifest)
	mustRun(t, nil, "--db", db, "backup", "-o", backup)
	rows, r := verifyRows(t, backup)
	if r.code != 0 || len(rows) != 1 || rows[0].Status != "OK" {
		t.Fatalf("verify of the backup: exit %d %+v", r.code, rows)
	}
	rows, r = verifyRows(t, backup, "--manifest", manifest)
	if r.code != 0 || len(rows) != 1 || rows[0].Status != "OK" || rows[0].Signature != "unsigned" {
		t.Fatalf("verify --manifest of the backup: exit %d %+v", r.code, rows)
	}
}

// asTypeOne rewrites meeting's frames in the closed database at path as
// type 1 records, keyed as the store keys them: the frame's time, held from
// going back, and seq. A type 1 record is: type 1, time (ns) i64, session
// u32, dir, opcode, CRC-32C of key and the record so far, payload.
func asTypeOne(t *testing.T, path, meeting string) {
	t.Helper()
	db, err := store.Open(path, &store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	c, err := db.Frames(meeting, nil)
	if err != nil {
		t.Fatal(err)
	}
	var frames []store.Frame
	for c.Next() {
		frames = append(frames, c.Frame())
	}
	if err := errors.Join(c.Err(), db.Close()); err != nil {
		t.Fatal(err)
	}
	bdb, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	tab := crc32.MakeTable(crc32.Castagnoli)
	err = bdb.Update(func(tx *bolt.Tx) error {
		mb := tx.Bucket([]byte(meeting))
		if err := mb.DeleteBucket([]byte("frames")); err != nil {
			return err
		}
		fb, err := mb.CreateBucket([]byte("frames"))
		if err != nil {
			return err
		}
		var keyTime int64
		for _, f := range frames {
			keyTime = max(keyTime, f.Time.UnixNano())
			key := binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(nil, uint64(keyTime)), f.Seq)
			rec := []byte{1}
			rec = binary.BigEndian.AppendUint64(rec, uint64(f.Time.UnixNano()))
			rec = binary.BigEndian.AppendUint32(rec, f.Session)
			rec = append(rec, byte(f.Dir), byte(f.Op))
			crc := crc32.Update(crc32.Checksum(key, tab), tab, rec)
			rec = binary.BigEndian.AppendUint32(rec, crc32.Update(crc, tab, f.Payload))
			if err := fb.Put(key, append(rec, f.Payload...)); err != nil {
				return err
			}
		}
		return nil
	})
	if err := errors.Join(err, bdb.Close()); err != nil {
		t.Fatal(err)
	}
}
