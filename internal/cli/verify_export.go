package cli

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"

	"github.com/confrec/confrec/seal"
	"github.com/urfave/cli/v2"
)

func verifyExportCommand() *cli.Command {
	return &cli.Command{
		Name:      "verify-export",
		Usage:     "prove that an exported file holds what a manifest sealed, without a database",
		ArgsUsage: "FILE",
		Description: `FILE ("-" for stdin) is JSON Lines as 'confrec export frames CONFID' writes them with no
options. Recomputes the hash chain from the exported frames and the file's SHA-256, and compares
both, the frame count and the first and last frame time with the manifest.
Exit status 1 when anything does not match.`,
		Flags:        []cli.Flag{manifestFlag, pubKeyFlag},
		OnUsageError: onUsageError,
		Action:       runVerifyExport,
	}
}

func runVerifyExport(c *cli.Context) error {
	path, err := oneArg(c, "FILE")
	if err != nil {
		return err
	}
	if c.String(flgManifest) == "" {
		return usagef("%s needs --%s", commandPath(c), flgManifest)
	}
	m, pub, err := readManifest(c, c.String(flgManifest), c.String(flgPubKey))
	if err != nil {
		return err
	}
	var r io.Reader = os.Stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("verify export: %w", err)
		}
		defer f.Close()
		r = f
	}
	if err := seal.VerifyExport(r, m, pub); err != nil {
		return err
	}
	fmt.Fprintf(c.App.Writer, "OK: %s holds meeting %s as sealed: %d frames, chain head %s; %s\n",
		path, m.ConfID, m.Frames, m.ChainHead, signatureNote(m, pub))
	return nil
}

// readManifest reads the manifest at path and, unless pubPath is empty, the
// public key at pubPath.
func readManifest(c *cli.Context, path, pubPath string) (*seal.Manifest, ed25519.PublicKey, error) {
	m, pub, _, err := readManifestSum(c, path, pubPath)
	return m, pub, err
}

// readManifestSum is readManifest that also returns the SHA-256 of the
// manifest file's bytes, in hex.
func readManifestSum(c *cli.Context, path, pubPath string) (*seal.Manifest, ed25519.PublicKey, string, error) {
	b, err := inputFile(c, path)
	if err != nil {
		return nil, nil, "", fmt.Errorf("read manifest: %w", err)
	}
	m, err := seal.ReadManifest(bytes.NewReader(b))
	if err != nil {
		return nil, nil, "", fmt.Errorf("%s: %w", path, err)
	}
	var pub ed25519.PublicKey
	if pubPath != "" {
		kb, err := inputFile(c, pubPath)
		if err != nil {
			return nil, nil, "", fmt.Errorf("read key: %w", err)
		}
		if pub, err = seal.ParsePublicKey(pubPath, kb); err != nil {
			return nil, nil, "", err
		}
	}
	sum := sha256.Sum256(b)
	return m, pub, hex.EncodeToString(sum[:]), nil
}

// hexKey decodes a manifest's public_key.
func hexKey(s string) (ed25519.PublicKey, error) {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, seal.ErrBadSignature
	}
	return b, nil
}
