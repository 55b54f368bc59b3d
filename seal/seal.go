package seal

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"time"

	"github.com/confrec/confrec/export"
	"github.com/confrec/confrec/store"
)

// WriteCanonical writes meeting's canonical export to w: export.Frames with
// nil options, JSON Lines of every frame (see the package doc).
func WriteCanonical(w io.Writer, db *store.DB, meeting string) error {
	return export.Frames(w, db, meeting, nil)
}

// exportSHA256 returns the hex SHA-256 of meeting's canonical export.
func exportSHA256(db *store.DB, meeting string) (string, error) {
	h := sha256.New()
	if err := WriteCanonical(h, db, meeting); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Seal checks meeting's hash chain in db and returns its manifest, signed
// with priv unless priv is nil. Seal a meeting after it ends: Seal fails with
// ErrChanged when frames are recorded while it reads.
func Seal(db *store.DB, meeting string, priv ed25519.PrivateKey) (*Manifest, error) {
	if err := db.Verify(meeting); err != nil {
		return nil, fmt.Errorf("seal meeting %s: %w", meeting, err)
	}
	mt, err := db.Meeting(meeting)
	if err != nil {
		return nil, fmt.Errorf("seal meeting %s: %w", meeting, err)
	}
	sum, err := exportSHA256(db, meeting)
	if err != nil {
		return nil, fmt.Errorf("seal meeting %s: %w", meeting, err)
	}
	after, err := db.Meeting(meeting)
	if err != nil {
		return nil, fmt.Errorf("seal meeting %s: %w", meeting, err)
	}
	if after.Frames != mt.Frames || after.ChainHead != mt.ChainHead {
		return nil, fmt.Errorf("seal meeting %s: %w", meeting, ErrChanged)
	}
	m := &Manifest{
		Format:       Format,
		ConfID:       meeting,
		Title:        mt.Labels["title"],
		FirstTime:    mt.FirstTime.UTC(),
		LastTime:     mt.LastTime.UTC(),
		Frames:       mt.Frames,
		Sessions:     mt.SessionCount,
		ChainHead:    mt.ChainHead,
		ExportSHA256: sum,
		Created:      time.Now().UTC(),
	}
	if priv != nil {
		if err := m.Sign(priv); err != nil {
			return nil, fmt.Errorf("seal meeting %s: %w", meeting, err)
		}
	}
	return m, nil
}
