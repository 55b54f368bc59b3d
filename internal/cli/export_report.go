package cli

import (
	"crypto/ed25519"
	"io"

	"github.com/confrec/confrec/export"
	"github.com/confrec/confrec/replay"
	"github.com/confrec/confrec/seal"
	"github.com/confrec/confrec/store"
	"github.com/urfave/cli/v2"
)

func exportReportCommand() *cli.Command {
	return &cli.Command{
		Name:      "report",
		Usage:     "write a visual HTML report of a meeting",
		ArgsUsage: "CONFID",
		Description: `One self-contained HTML file (no network needed) that fits the browser's window: the meeting's
header, a presence timeline with one lane per person (presence, speaking, mute, hands, sharing, role
changes), the attendance table (as 'export attendance --summary'), the speaking-time ranking, the
gaps and reconnects, and the integrity block: the hash chain's head and its check (as 'verify').
A seal's manifest is kept outside the database: with --manifest the block shows the manifest file's
SHA-256 and checks the database against it (as 'verify --manifest', the signature against --pub-key
when given). Every time of the meeting is on the service's clock, in UTC.`,
		Flags:        []cli.Flag{outputFlag, manifestFlag, pubKeyFlag},
		OnUsageError: onUsageError,
		Action:       runExportReport,
	}
}

func runExportReport(c *cli.Context) error {
	id, err := oneArg(c, "CONFID")
	if err != nil {
		return err
	}
	var m *seal.Manifest
	var pub ed25519.PublicKey
	var manifestSum string
	if path := c.String(flgManifest); path != "" {
		if m, pub, manifestSum, err = readManifestSum(c, path, c.String(flgPubKey)); err != nil {
			return err
		}
		if m.ConfID != id {
			return usagef("the manifest seals meeting %s, not %s", m.ConfID, id)
		}
	} else if c.String(flgPubKey) != "" {
		return usagef("--%s checks a manifest's signature: give --%s too", flgPubKey, flgManifest)
	}
	db, mt, err := openMeeting(c, id)
	if err != nil {
		return err
	}
	defer db.Close()
	in, err := reportInput(c, db, &mt)
	if err != nil {
		return err
	}
	if m != nil {
		in.Integrity.Seal = reportSeal(db, m, pub, manifestSum)
	}
	return writeOutput(c, func(w io.Writer) error { return export.Report(w, in) })
}

// reportInput folds meeting m of db into what its report shows, with a
// progress bar unless c is nil (the live page's reports), and checks its
// hash chain.
func reportInput(c *cli.Context, db *store.DB, m *store.Meeting) (*export.ReportInput, error) {
	var events []replay.Event
	att, folder, err := attendance(c, db, m, "export report", func(ev *replay.Event) { events = append(events, *ev) })
	if err != nil {
		return nil, err
	}
	return &export.ReportInput{
		Meeting:   folder.State().Meeting,
		Sessions:  m.Sessions,
		Events:    events,
		Presences: att.Presences(),
		Summary:   att.Summary(),
		Start:     m.FirstTime,
		End:       folder.End(),
		Integrity: &export.ReportIntegrity{ChainHead: m.ChainHead, Frames: m.Frames, Verify: db.Verify(m.ID)},
		Version:   buildVersion(), // export_har.go
		// No Generated: every time the report shows is on the service's
		// clock, and the same meeting gives the same bytes.
	}, nil
}

// reportSeal checks the database against the manifest m, whose file has
// the SHA-256 sum.
func reportSeal(db *store.DB, m *seal.Manifest, pub ed25519.PublicKey, sum string) *export.ReportSeal {
	return &export.ReportSeal{
		SHA256:       sum,
		ExportSHA256: m.ExportSHA256,
		Signature:    signatureNote(m, pub),
		Verify:       seal.VerifyDB(db, m, pub),
	}
}
