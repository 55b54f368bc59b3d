package seal

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"os"
)

// GenerateKey returns a new Ed25519 key pair for signing manifests.
func GenerateKey() (ed25519.PublicKey, ed25519.PrivateKey, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generate key: %w", err)
	}
	return pub, priv, nil
}

// KeyID names a public key in messages: the first 16 hex digits of its
// SHA-256.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

// WriteKeyPair writes priv to path as a PEM "PRIVATE KEY" (PKCS #8) and its
// public key to path+".pub" as a PEM "PUBLIC KEY" (PKIX), both mode 0600. It
// never overwrites a file: it fails if either exists.
func WriteKeyPair(path string, priv ed25519.PrivateKey) error {
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return fmt.Errorf("write key %s: %w", path, err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(priv.Public())
	if err != nil {
		return fmt.Errorf("write key %s: %w", path, err)
	}
	pubPath := path + ".pub"
	if _, err := os.Lstat(pubPath); err == nil {
		return fmt.Errorf("write key %s: %w", pubPath, os.ErrExist)
	}
	if err := writeNew(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})); err != nil {
		return err
	}
	if err := writeNew(pubPath, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})); err != nil {
		os.Remove(path)
		return err
	}
	return nil
}

// writeNew creates path 0600, failing if it exists, and writes b durably.
func writeNew(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("write key: %w", err)
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("write key %s: %w", path, err)
	}
	return nil
}

// ReadPrivateKey reads a private key written by WriteKeyPair.
func ReadPrivateKey(path string) (ed25519.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read key: %w", err)
	}
	return ParsePrivateKey(path, b)
}

// ParsePrivateKey parses the contents b of a private key file written by
// WriteKeyPair; name names the file in errors.
func ParsePrivateKey(name string, b []byte) (ed25519.PrivateKey, error) {
	der, err := decodePEM(name, b, "PRIVATE KEY")
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("read key %s: %w: %v", name, ErrKeyFormat, err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("read key %s: %w: a %T", name, ErrKeyFormat, k)
	}
	return priv, nil
}

// ReadPublicKey reads a public key written by WriteKeyPair.
func ReadPublicKey(path string) (ed25519.PublicKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read key: %w", err)
	}
	return ParsePublicKey(path, b)
}

// ParsePublicKey parses the contents b of a public key file written by
// WriteKeyPair; name names the file in errors.
func ParsePublicKey(name string, b []byte) (ed25519.PublicKey, error) {
	der, err := decodePEM(name, b, "PUBLIC KEY")
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("read key %s: %w: %v", name, ErrKeyFormat, err)
	}
	pub, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("read key %s: %w: a %T", name, ErrKeyFormat, k)
	}
	return pub, nil
}

// decodePEM returns the DER bytes of the PEM block of type kind in b.
func decodePEM(name string, b []byte, kind string) ([]byte, error) {
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, fmt.Errorf("read key %s: %w: no PEM block", name, ErrKeyFormat)
	}
	if block.Type != kind {
		return nil, fmt.Errorf("read key %s: %w: a PEM %q, want %q", name, ErrKeyFormat, block.Type, kind)
	}
	return block.Bytes, nil
}
