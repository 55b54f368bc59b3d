package cli

import (
	"crypto/ed25519"
	"fmt"
	"io"

	"github.com/confrec/confrec/seal"
	"github.com/urfave/cli/v2"
)

// Flag names of seal, keygen, verify and verify-export.
const (
	flgManifest = "manifest"
	flgPubKey   = "pub-key"
	flgSignKey  = "sign-key"
	flgForce    = "force"
)

var manifestFlag = &cli.StringFlag{Name: flgManifest, Usage: "the manifest `FILE` that `confrec seal` wrote"}

var pubKeyFlag = &cli.StringFlag{Name: flgPubKey,
	Usage: "check the manifest's signature against this public key `FILE` (NAME.pub of `confrec keygen`)"}

func sealCommand() *cli.Command {
	return &cli.Command{
		Name:      "seal",
		Usage:     "write a manifest that proves later what a meeting holds",
		ArgsUsage: "CONFID",
		Description: `The manifest holds the meeting's confID, title, first and last frame time, frame count,
session count, the head of its hash chain and the SHA-256 of its canonical export (what
'confrec export frames CONFID' writes). Keep it outside the database. With --sign-key it is signed
(Ed25519; 'confrec keygen' makes a key pair). 'confrec verify --manifest' and 'confrec verify-export'
check a database or an export against it. Seal after the meeting ends: a meeting whose last session
is still open is refused unless --force.`,
		Flags: []cli.Flag{
			outputFlag,
			&cli.StringFlag{Name: flgSignKey, Usage: "sign with the private key `FILE` of `confrec keygen`"},
			&cli.BoolFlag{Name: flgForce, Usage: "seal even though the meeting's last session is still open"},
		},
		OnUsageError: onUsageError,
		Action:       runSeal,
	}
}

func runSeal(c *cli.Context) error {
	id, err := oneArg(c, "CONFID")
	if err != nil {
		return err
	}
	var priv ed25519.PrivateKey
	if path := c.String(flgSignKey); path != "" {
		b, err := inputFile(c, path)
		if err != nil {
			return fmt.Errorf("read key: %w", err)
		}
		if priv, err = seal.ParsePrivateKey(path, b); err != nil {
			return err
		}
	}
	db, mt, err := openMeeting(c, id)
	if err != nil {
		return err
	}
	defer db.Close()
	if n := len(mt.Sessions); n > 0 && mt.Sessions[n-1].End.IsZero() && !c.Bool(flgForce) {
		return fmt.Errorf("seal meeting %s: its session %d has not ended (still recording, or the recorder stopped without ending it): seal after the meeting ends, or give --force",
			id, mt.Sessions[n-1].ID)
	}
	m, err := seal.Seal(db, id, priv)
	if err != nil {
		return err
	}
	if err := writeOutput(c, func(w io.Writer) error { _, err := m.WriteTo(w); return err }); err != nil {
		return err
	}
	signed := "unsigned"
	if priv != nil {
		signed = "signed by key " + seal.KeyID(priv.Public().(ed25519.PublicKey))
	}
	fmt.Fprintf(c.App.ErrWriter, "sealed meeting %s: %d frames, chain head %s, %s\n", id, m.Frames, m.ChainHead, signed)
	return nil
}
