package seal

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/confrec/confrec/interchange"
	"github.com/confrec/confrec/store"
)

// VerifyDB proves that db still holds exactly the meeting m describes. It
// checks m's signature (Manifest.Verify with pub), recomputes the meeting's
// hash chain (store.DB.Verify, whose *store.ChainError it returns), compares
// the meeting with m (a *MismatchError for the first field that differs) and
// recomputes the canonical export's SHA-256.
func VerifyDB(db *store.DB, m *Manifest, pub ed25519.PublicKey) error {
	if err := m.Verify(pub); err != nil {
		return fmt.Errorf("verify meeting %s: %w", m.ConfID, err)
	}
	if err := db.Verify(m.ConfID); err != nil {
		return fmt.Errorf("verify meeting %s: %w", m.ConfID, err)
	}
	mt, err := db.Meeting(m.ConfID)
	if err != nil {
		return fmt.Errorf("verify meeting %s: %w", m.ConfID, err)
	}
	if err := compare(m, mt.Frames, mt.ChainHead, mt.FirstTime, mt.LastTime); err != nil {
		return fmt.Errorf("verify meeting %s: %w", m.ConfID, err)
	}
	if mt.SessionCount != m.Sessions {
		return fmt.Errorf("verify meeting %s: %w", m.ConfID, mismatch("sessions", m.Sessions, mt.SessionCount))
	}
	if title := mt.Labels["title"]; title != m.Title {
		return fmt.Errorf("verify meeting %s: %w", m.ConfID, mismatch("title", strconv.Quote(m.Title), strconv.Quote(title)))
	}
	sum, err := exportSHA256(db, m.ConfID)
	if err != nil {
		return fmt.Errorf("verify meeting %s: %w", m.ConfID, err)
	}
	if sum != m.ExportSHA256 {
		return fmt.Errorf("verify meeting %s: %w", m.ConfID, mismatch("export_sha256", m.ExportSHA256, sum))
	}
	return nil
}

// VerifyExport proves, without a database, that r holds the canonical
// export of the meeting m describes. It checks m's signature, recomputes
// the hash chain from the exported records (seq, time, session, dir, opcode
// and payload), compares frame count, chain head and first and last time
// with m, and compares the SHA-256 of the bytes read with m.ExportSHA256.
// The session count is not checked: an export does not list sessions.
func VerifyExport(r io.Reader, m *Manifest, pub ed25519.PublicKey) error {
	if err := m.Verify(pub); err != nil {
		return fmt.Errorf("verify export of %s: %w", m.ConfID, err)
	}
	sum := sha256.New()
	br := bufio.NewReaderSize(io.TeeReader(r, sum), 64<<10)
	head := store.ChainStart(m.ConfID)
	var first, last time.Time
	var n uint64
	for line := 1; ; line++ {
		b, err := br.ReadBytes('\n')
		if len(b) > 0 {
			f, ferr := decodeRecord(b)
			if ferr != nil {
				return fmt.Errorf("verify export of %s: line %d: %w", m.ConfID, line, ferr)
			}
			if f.Seq != n+1 {
				return fmt.Errorf("verify export of %s: line %d: %w: frame %d where %d was expected", m.ConfID, line, ErrExportFormat, f.Seq, n+1)
			}
			n = f.Seq
			head = store.ChainNext(head, &f)
			if n == 1 {
				first = f.Time
			}
			last = f.Time
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("verify export of %s: %w", m.ConfID, err)
		}
	}
	if err := compare(m, n, head, first, last); err != nil {
		return fmt.Errorf("verify export of %s: %w", m.ConfID, err)
	}
	if got := hex.EncodeToString(sum.Sum(nil)); got != m.ExportSHA256 {
		return fmt.Errorf("verify export of %s: %w", m.ConfID, mismatch("export_sha256", m.ExportSHA256, got))
	}
	return nil
}

// compare checks what the chain covers against m.
func compare(m *Manifest, frames uint64, head store.Hash, first, last time.Time) error {
	switch {
	case frames != m.Frames:
		return mismatch("frames", m.Frames, frames)
	case head != m.ChainHead:
		return mismatch("chain_head", m.ChainHead, head)
	case !first.Equal(m.FirstTime):
		return mismatch("first_time", fmtTime(m.FirstTime), fmtTime(first))
	case !last.Equal(m.LastTime):
		return mismatch("last_time", fmtTime(m.LastTime), fmtTime(last))
	}
	return nil
}

func mismatch(field string, manifest, found any) *MismatchError {
	return &MismatchError{Field: field, Manifest: fmt.Sprint(manifest), Found: fmt.Sprint(found)}
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "none"
	}
	return t.UTC().Format(interchange.TimeLayout)
}

// decodeRecord turns one exported line back into the frame the chain covers.
func decodeRecord(line []byte) (store.Frame, error) {
	line = bytes.TrimSuffix(line, []byte("\n"))
	var r interchange.FrameRecord
	if err := json.Unmarshal(line, &r); err != nil {
		return store.Frame{}, fmt.Errorf("%w: %v", ErrExportFormat, err)
	}
	f, err := r.Frame()
	if err != nil {
		return f, fmt.Errorf("%w: %v", ErrExportFormat, err)
	}
	return f, nil
}
