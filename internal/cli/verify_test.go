package cli

import (
	"encoding/binary"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// TestVerifyCommand damages a recorded meeting in each way and checks that
// `confrec verify` names the first frame found wrong and exits 1.
func TestVerifyCommand(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		edit    func(frames *bolt.Bucket, bySeq func(uint64) ([]byte, []byte))
		wantSeq uint64
	}{
		{"flip_one_byte", func(frames *bolt.Bucket, bySeq func(uint64) ([]byte, []byte)) {
			k, v := bySeq(30)
			v[len(v)-3] ^= 0x01
			frames.Put(k, v)
		}, 30},
		{"delete_frame", func(frames *bolt.Bucket, bySeq func(uint64) ([]byte, []byte)) {
			k, _ := bySeq(12)
			frames.Delete(k)
		}, 12},
		{"reorder_two_frames", func(frames *bolt.Bucket, bySeq func(uint64) ([]byte, []byte)) {
			k5, v5 := bySeq(5)
			k6, v6 := bySeq(6)
			frames.Put(k5, v6)
			frames.Put(k6, v5)
		}, 5},
		{"append_forged_frame", func(frames *bolt.Bucket, bySeq func(uint64) ([]byte, []byte)) {
			k, v := bySeq(71)
			k = binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(nil, binary.BigEndian.Uint64(k)+1), 72)
			frames.Put(k, v)
		}, 72},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db := demoDB(t)
			rows, _ := verifyRows(t, db)
			if len(rows) != 1 || rows[0].Status != "OK" || rows[0].ConfID != demoConf || rows[0].Frames != 71 || rows[0].ChainHead == nil {
				t.Fatalf("verify of an intact database: %+v", rows)
			}
			editFrames(t, db, demoConf, tt.edit)
			rows, r := verifyRows(t, db, demoConf)
			if r.code != 1 || len(rows) != 1 || rows[0].Status != "BROKEN" || rows[0].Seq != tt.wantSeq {
				t.Fatalf("verify after %s: exit %d, %+v, want BROKEN at frame %d\nstderr: %s", tt.name, r.code, rows, tt.wantSeq, r.stderr)
			}
			if tt.wantSeq != 12 && rows[0].Time == nil { // a deleted frame has no time
				t.Errorf("no time for the broken frame: %+v", rows[0])
			}
			if !strings.Contains(r.stderr, "1 of 1 meetings failed") {
				t.Errorf("stderr: %s", r.stderr)
			}
			table := run(t, nil, "--db", db, "verify")
			if table.code != 1 || !strings.Contains(table.stdout, "BROKEN") || !strings.Contains(table.stdout, "frame ") {
				t.Errorf("verify table: exit %d\n%s", table.code, table.stdout)
			}
		})
	}
	t.Run("unknown_meeting", func(t *testing.T) {
		t.Parallel()
		rows, r := verifyRows(t, demoDB(t), demoConf, "111")
		if r.code != 1 || len(rows) != 2 || rows[0].Status != "OK" || rows[1].Status != "ERROR" {
			t.Fatalf("exit %d, %+v", r.code, rows)
		}
	})
}
