package cli

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/confrec/confrec/seal"
	"github.com/confrec/confrec/store"
	"github.com/urfave/cli/v2"
)

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
		if m, pub, err = readManifest(c, path, c.String(flgPubKey)); err != nil {
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
