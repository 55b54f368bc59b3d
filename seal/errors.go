package seal

import (
	"errors"
	"fmt"
)

// Errors found when reading a manifest or a key.
var (
	// ErrFormat is returned when a manifest is not JSON or names a format
	// other than [Format].
	ErrFormat = errors.New("not a confrec manifest")
	// ErrKeyFormat is returned when a key file is not a PEM Ed25519 key of
	// the expected kind.
	ErrKeyFormat = errors.New("not an Ed25519 key file")
)

// Errors found when verifying.
var (
	// ErrManifestMismatch is returned, inside a [*MismatchError], when what
	// is stored or exported differs from the manifest.
	ErrManifestMismatch = errors.New("does not match the manifest")
	// ErrBadSignature is returned when a manifest's signature does not verify,
	// or was made with another key than the one given.
	ErrBadSignature = errors.New("manifest signature is not valid")
	// ErrUnsigned is returned when a public key is given but the manifest is
	// not signed.
	ErrUnsigned = errors.New("manifest is not signed")
	// ErrExportFormat is returned by VerifyExport when a line of the export
	// is not a frame record, or frames are missing or out of order.
	ErrExportFormat = errors.New("not a frame export")
)

// Errors found when sealing.
var (
	// ErrChanged is returned by Seal when frames were recorded while it read
	// the meeting: seal a meeting after it ends.
	ErrChanged = errors.New("meeting changed while it was sealed")
)

// MismatchError reports the first field found different from the manifest.
type MismatchError struct {
	Field    string // the manifest's JSON field name, such as "chain_head"
	Manifest string // the value the manifest holds
	Found    string // the value found
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("%s %s: manifest has %s, found %s", e.Field, ErrManifestMismatch, e.Manifest, e.Found)
}

// Unwrap returns ErrManifestMismatch.
func (e *MismatchError) Unwrap() error { return ErrManifestMismatch }
