package main

import (
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/confrec/confrec/seal"
	"github.com/confrec/confrec/store"
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
		if priv, err = seal.ReadPrivateKey(path); err != nil {
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

func keygenCommand() *cli.Command {
	return &cli.Command{
		Name:  "keygen",
		Usage: "make an Ed25519 key pair for signing manifests",
		Description: `Writes the private key to NAME (PEM PKCS #8) and the public key to NAME.pub (PEM PKIX), both
created 0600; an existing file is never overwritten. Sign with 'confrec seal --sign-key NAME'; give
NAME.pub to whoever verifies ('confrec verify --manifest M --pub-key NAME.pub').`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: flgOutput, Aliases: []string{"o"}, Value: "confrec-seal",
				Usage: "write the private key to `NAME` and the public key to NAME.pub"},
		},
		OnUsageError: onUsageError,
		Action:       runKeygen,
	}
}

func runKeygen(c *cli.Context) error {
	if c.NArg() > 0 {
		return usagef("%s takes no arguments (see '%s --help')", commandPath(c), commandPath(c))
	}
	path := c.String(flgOutput)
	for _, p := range []string{path, path + ".pub"} {
		if err := checkOutput(c, p); err != nil {
			return err
		}
	}
	pub, priv, err := seal.GenerateKey()
	if err != nil {
		return err
	}
	if err := seal.WriteKeyPair(path, priv); err != nil {
		return err
	}
	fmt.Fprintf(c.App.Writer, "private key %s (keep it secret), public key %s.pub, key ID %s\n", path, path, seal.KeyID(pub))
	return nil
}

func verifyCommand() *cli.Command {
	return &cli.Command{
		Name:      "verify",
		Usage:     "prove that stored meetings were not changed",
		ArgsUsage: "[CONFID ...]",
		Description: `Recomputes each meeting's hash chain from the stored frames (every meeting when no CONFID is
given) and compares it with the stored head: OK, or the first frame (seq, time) where it breaks.
With --manifest, proves that the database holds exactly what 'confrec seal' sealed: chain, frame
count, times, sessions, title and the SHA-256 of the canonical export; a meeting replaced whole,
with a recomputed chain, is caught only this way. A signed manifest is checked against --pub-key;
without it only against the key the manifest carries, which the output says.
Exit status 1 when anything does not match.`,
		Flags:        []cli.Flag{formatFlag("table", "table", "json"), manifestFlag, pubKeyFlag},
		OnUsageError: onUsageError,
		Action:       runVerify,
	}
}

// verifyRow is one meeting's line of `confrec verify`.
type verifyRow struct {
	ConfID string `json:"conf_id"`
	// Status is OK, BROKEN (the chain), MISMATCH (the manifest) or ERROR.
	Status    string     `json:"status"`
	Frames    uint64     `json:"frames"`
	ChainHead *string    `json:"chain_head,omitempty"`
	Seq       uint64     `json:"seq,omitempty"`  // the first frame found wrong
	Time      *time.Time `json:"time,omitempty"` // its time, when known
	Error     string     `json:"error,omitempty"`
	Signature string     `json:"signature,omitempty"` // with --manifest
}

func runVerify(c *cli.Context) error {
	format, err := tableOrJSON(c)
	if err != nil {
		return err
	}
	var m *seal.Manifest
	var pub ed25519.PublicKey
	if path := c.String(flgManifest); path != "" {
		if m, pub, err = readManifest(path, c.String(flgPubKey)); err != nil {
			return err
		}
		for _, id := range c.Args().Slice() {
			if id != m.ConfID {
				return usagef("the manifest seals meeting %s, not %s", m.ConfID, id)
			}
		}
	} else if c.String(flgPubKey) != "" {
		return usagef("--%s checks a manifest's signature: give --%s too", flgPubKey, flgManifest)
	}
	db, err := openRead(c)
	if err != nil {
		return err
	}
	defer db.Close()
	var rows []verifyRow
	switch {
	case m != nil:
		rows = append(rows, verifyManifest(db, m, pub))
	case c.NArg() > 0:
		for _, id := range c.Args().Slice() {
			rows = append(rows, verifyChain(db, id))
		}
	default:
		ms, err := db.Meetings()
		if err != nil {
			return err
		}
		for _, mt := range ms {
			rows = append(rows, verifyChain(db, mt.ID))
		}
	}
	if err := c.Context.Err(); err != nil {
		// Interrupted: the rows are not results.
		return fmt.Errorf("verify: %w", err)
	}
	if format == "json" {
		err = writeJSON(c.App.Writer, rows)
	} else {
		err = writeVerifyTable(c.App.Writer, rows)
	}
	if err != nil {
		return err
	}
	bad := 0
	for _, r := range rows {
		if r.Status != "OK" {
			bad++
		}
	}
	if bad > 0 {
		return fmt.Errorf("verify: %d of %d meetings failed", bad, len(rows))
	}
	return nil
}

// verifyChain checks one meeting's hash chain.
func verifyChain(db *store.DB, id string) verifyRow {
	r := verifyRow{ConfID: id, Status: "OK"}
	err := db.Verify(id)
	if mt, merr := db.Meeting(id); merr == nil {
		r.Frames = mt.Frames
		if err == nil {
			h := mt.ChainHead.String()
			r.ChainHead = &h
		}
	}
	r.fail(err)
	return r
}

// verifyManifest checks the meeting m seals against m.
func verifyManifest(db *store.DB, m *seal.Manifest, pub ed25519.PublicKey) verifyRow {
	r := verifyRow{ConfID: m.ConfID, Status: "OK", Signature: signatureNote(m, pub)}
	err := seal.VerifyDB(db, m, pub)
	if mt, merr := db.Meeting(m.ConfID); merr == nil {
		r.Frames = mt.Frames
		if err == nil {
			h := mt.ChainHead.String()
			r.ChainHead = &h
		}
	}
	r.fail(err)
	return r
}

// fail records err, if any, in r.
func (r *verifyRow) fail(err error) {
	if err == nil {
		return
	}
	r.Error = err.Error()
	var ce *store.ChainError
	switch {
	case errors.As(err, &ce):
		r.Status, r.Seq = "BROKEN", ce.Seq
		if !ce.Time.IsZero() {
			t := ce.Time.UTC()
			r.Time = &t
		}
	case errors.Is(err, seal.ErrManifestMismatch), errors.Is(err, seal.ErrBadSignature), errors.Is(err, seal.ErrUnsigned):
		r.Status = "MISMATCH"
	default:
		r.Status = "ERROR"
	}
}

// signatureNote says what the signature check of m with pub proves.
func signatureNote(m *seal.Manifest, pub ed25519.PublicKey) string {
	switch {
	case !m.Signed():
		return "unsigned"
	case pub != nil:
		return "signed by the given key " + seal.KeyID(pub)
	}
	var id string
	if k, err := hexKey(m.PublicKey); err == nil {
		id = " " + seal.KeyID(k)
	}
	return "signed by the key the manifest carries" + id + ", not checked against a trusted key (give --pub-key)"
}

func writeVerifyTable(w io.Writer, rows []verifyRow) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CONFID\tSTATUS\tFRAMES\tDETAIL")
	for _, r := range rows {
		detail := r.Error
		if detail == "" && r.ChainHead != nil {
			detail = "chain head " + *r.ChainHead
		}
		if r.Signature != "" {
			detail += "; " + r.Signature
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", orDash(r.ConfID), r.Status, r.Frames, orDash(detail))
	}
	return tw.Flush()
}

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
	m, pub, err := readManifest(c.String(flgManifest), c.String(flgPubKey))
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
func readManifest(path, pubPath string) (*seal.Manifest, ed25519.PublicKey, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read manifest: %w", err)
	}
	defer f.Close()
	m, err := seal.ReadManifest(f)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	var pub ed25519.PublicKey
	if pubPath != "" {
		if pub, err = seal.ReadPublicKey(pubPath); err != nil {
			return nil, nil, err
		}
	}
	return m, pub, nil
}

// hexKey decodes a manifest's public_key.
func hexKey(s string) (ed25519.PublicKey, error) {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, seal.ErrBadSignature
	}
	return b, nil
}
