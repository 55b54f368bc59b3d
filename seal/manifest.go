package seal

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/confrec/confrec/store"
)

// Format is the manifest format this package writes and reads.
const Format = "confrec-manifest/1"

// Manifest is what an auditor keeps of a sealed meeting. Its JSON form is
// the manifest file.
type Manifest struct {
	Format    string    `json:"format"` // always Format
	ConfID    string    `json:"conf_id"`
	Title     string    `json:"title,omitempty"`
	FirstTime time.Time `json:"first_time,omitzero"` // the first frame's time, UTC
	LastTime  time.Time `json:"last_time,omitzero"`  // the last frame's time, UTC
	Frames    uint64    `json:"frames"`
	Sessions  uint32    `json:"sessions"`
	// ChainHead is the hash chain link after the last frame, in hex.
	ChainHead store.Hash `json:"chain_head"`
	// ExportSHA256 is the SHA-256 of the canonical export (WriteCanonical),
	// in hex.
	ExportSHA256 string    `json:"export_sha256"`
	Created      time.Time `json:"created"`
	// PublicKey is the signer's Ed25519 public key in hex; empty when unsigned.
	PublicKey string `json:"public_key,omitempty"`
	// Signature is the base64 Ed25519 signature of SignedBytes; empty when
	// unsigned.
	Signature string `json:"signature,omitempty"`
}

// SignedBytes returns the bytes a signature covers: the manifest's JSON
// (fields in declared order, no indentation, times in RFC 3339 with the
// fraction digits they need) without the Signature field.
func (m *Manifest) SignedBytes() ([]byte, error) {
	c := *m
	c.Signature = ""
	c.FirstTime, c.LastTime, c.Created = c.FirstTime.UTC(), c.LastTime.UTC(), c.Created.UTC()
	b, err := json.Marshal(&c)
	if err != nil {
		return nil, fmt.Errorf("encode manifest: %w", err)
	}
	return b, nil
}

// Sign sets PublicKey and Signature from priv.
func (m *Manifest) Sign(priv ed25519.PrivateKey) error {
	m.PublicKey = hex.EncodeToString(priv.Public().(ed25519.PublicKey))
	b, err := m.SignedBytes()
	if err != nil {
		return err
	}
	m.Signature = base64.StdEncoding.EncodeToString(ed25519.Sign(priv, b))
	return nil
}

// Signed reports whether m carries a signature.
func (m *Manifest) Signed() bool { return m.Signature != "" }

// Verify checks m's signature. With pub nil, an unsigned manifest passes and
// a signed one is checked against its own PublicKey, which proves only that
// it was not changed since whoever holds that key signed it. With pub given,
// m must be signed by pub.
func (m *Manifest) Verify(pub ed25519.PublicKey) error {
	if !m.Signed() {
		if pub != nil {
			return ErrUnsigned
		}
		return nil
	}
	embedded, err := hex.DecodeString(m.PublicKey)
	if err != nil || len(embedded) != ed25519.PublicKeySize {
		return fmt.Errorf("%w: public_key is not a hex Ed25519 key", ErrBadSignature)
	}
	if pub != nil && !bytes.Equal(pub, embedded) {
		return fmt.Errorf("%w: signed by key %s, not by the given key %s", ErrBadSignature, KeyID(embedded), KeyID(pub))
	}
	sig, err := base64.StdEncoding.DecodeString(m.Signature)
	if err != nil {
		return fmt.Errorf("%w: signature is not base64", ErrBadSignature)
	}
	b, err := m.SignedBytes()
	if err != nil {
		return err
	}
	if !ed25519.Verify(embedded, b, sig) {
		return ErrBadSignature
	}
	return nil
}

// WriteTo writes m as indented JSON followed by a newline.
func (m *Manifest) WriteTo(w io.Writer) (int64, error) {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return 0, fmt.Errorf("encode manifest: %w", err)
	}
	n, err := w.Write(append(b, '\n'))
	if err != nil {
		return int64(n), fmt.Errorf("write manifest: %w", err)
	}
	return int64(n), nil
}

// ReadManifest reads a manifest written by WriteTo.
func ReadManifest(r io.Reader) (*Manifest, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("read manifest: %w: %v", ErrFormat, err)
	}
	if m.Format != Format {
		return nil, fmt.Errorf("read manifest: %w: format %q, want %q", ErrFormat, m.Format, Format)
	}
	return &m, nil
}
