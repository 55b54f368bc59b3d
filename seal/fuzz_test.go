package seal_test

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/confrec/confrec/seal"
)

// FuzzVerifyExport feeds VerifyExport arbitrary files: it never panics, and
// only the sealed export itself passes.
func FuzzVerifyExport(f *testing.F) {
	path := filepath.Join(f.TempDir(), "confrec.db")
	writeMeeting(f, path, "real")
	db := openRO(f, path)
	m, err := seal.Seal(db, meeting, nil)
	must(f, err)
	var buf bytes.Buffer
	must(f, seal.WriteCanonical(&buf, db, meeting))
	export := buf.Bytes()
	f.Add(export)
	f.Add(bytes.Replace(export, []byte("real-8"), []byte("real-9"), 1))
	f.Add([]byte(`{"seq":1,"time":"2025-03-18T09:20:00.123456789Z","session":1,"dir":"dir(7)","opcode":"opcode(9)","size":0,"payload_base64":""}` + "\n"))
	f.Add([]byte("\n\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := seal.VerifyExport(bytes.NewReader(b), m, nil); err == nil && !bytes.Equal(b, export) {
			t.Fatalf("VerifyExport accepted %q", b)
		}
	})
}
