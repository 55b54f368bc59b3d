package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/confrec/confrec/confctl"
	"github.com/confrec/confrec/recorder"
	"github.com/confrec/confrec/replay/standin"
	"github.com/confrec/confrec/store"
	"github.com/urfave/cli/v2"
)

// demoPassword is the host password of the demo's stand-in service; it is
// no secret, but it is handled as one all the same.
const demoPassword confctl.Secret = "demo-host-password"

// demoCommand is `confrec demo`, which records scenario, a sample meeting
// in JSON Lines (the bundled one: main embeds it).
// flgCluster makes demo show a fleet on one host (demo_cluster.go).
const flgCluster = "cluster"

func demoCommand(scenario []byte) *cli.Command {
	return &cli.Command{
		Name:  "demo",
		Usage: "record the bundled sample meeting from a local stand-in service, then discover a stand-in enterprise's meetings",
		Description: `Serves the sample meeting bundled with confrec on loopback (replay serve at full speed),
records it through the full token flow into --db (a new temporary file unless --db or CONFREC_DB is
given), and prints the meeting and its frames per action. Then a stand-in enterprise starts four
meetings one after another, and a discoverer (record --discover) finds and records each without
being told its ID. Last come the commands to explore the database further.`,
		Flags: []cli.Flag{&cli.BoolFlag{Name: flgCluster,
			Usage: "instead, show a fleet on one host: an embedded NATS server, two recorders publishing to it (one stops abruptly and starts again) and an archiver"}},
		OnUsageError: onUsageError,
		Action:       func(c *cli.Context) error { return runDemo(c, scenario) },
	}
}

func runDemo(c *cli.Context, scenario []byte) error {
	if !c.IsSet(flgLogLevel) {
		// The demo's own output tells the story: only problems are logged.
		if err := c.Set(flgLogLevel, "warn"); err != nil {
			return err
		}
	}
	logger, err := newLogger(c)
	if err != nil {
		return err
	}
	script, err := standin.ReadScenario(bytes.NewReader(scenario))
	if err != nil {
		return fmt.Errorf("read the bundled scenario: %w", err)
	}
	path := c.String(flgDB)
	if !c.IsSet(flgDB) {
		dir, err := os.MkdirTemp("", "confrec-demo-")
		if err != nil {
			return fmt.Errorf("make a directory for the demo database: %w", err)
		}
		path = filepath.Join(dir, "demo.db")
	}
	if c.Bool(flgCluster) {
		dir := filepath.Dir(path)
		if c.IsSet(flgDB) {
			if dir, err = os.MkdirTemp("", "confrec-demo-cluster-"); err != nil {
				return fmt.Errorf("make a directory for the demo: %w", err)
			}
		}
		if err := demoCluster(c, script, dir, logger); err != nil {
			return err
		}
		fmt.Fprintf(c.App.Writer, "\nExplore the archive:\n  confrec --db %[1]s meetings\n  confrec --db %[1]s info %[2]s\n",
			filepath.Join(dir, "archive.db"), demoClusterMeetings[2].id)
		return nil
	}
	srv, err := standin.NewServer([]*standin.Script{script}, &standin.ServerOptions{Speed: 0, Password: demoPassword, Logger: logger})
	if err != nil {
		return fmt.Errorf("start the stand-in service: %w", err)
	}
	defer srv.Close()
	db, err := store.Open(path, &store.Options{Logger: logger})
	if err != nil {
		return err
	}
	w := c.App.Writer
	fmt.Fprintf(w, "Recording sample meeting %s from a stand-in service at %s into %s\n\n", script.ConfID, srv.URL, path)
	start := time.Now()
	res, err := recorder.Record(c.Context, db, recorder.Options{
		ConfID:   script.ConfID,
		APIURL:   srv.URL,
		Password: demoPassword,
		Logger:   logger,
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("record the sample meeting: %w", err)
	}
	fmt.Fprintf(w, "Recorded %d frames in %d session(s) in %v; the recording ended: %v.\n\n",
		res.Frames.In+res.Frames.Out, res.Sessions, time.Since(start).Round(time.Millisecond), res.Ended)
	if db, err = store.Open(path, &store.Options{ReadOnly: true}); err != nil {
		return err
	}
	defer db.Close()
	m, err := db.Meeting(script.ConfID)
	if err != nil {
		return err
	}
	if err := writeMeetingsTable(w, []meetingRow{newMeetingRow(&m)}); err != nil {
		return err
	}
	counts, err := countActions(db, script.ConfID)
	if err != nil {
		return err
	}
	fmt.Fprintln(w)
	if err := writeActionsTable(w, counts); err != nil {
		return err
	}
	db.Close()
	if err := demoDiscovery(c, script, path, logger); err != nil {
		return err
	}
	fmt.Fprintf(w, `
Explore it further:
  confrec --db %[1]s meetings
  confrec --db %[1]s info %[2]s
  confrec --db %[1]s export frames %[2]s --format csv -o frames.csv
  confrec --db %[1]s replay serve %[2]s --speed 10
`, path, script.ConfID)
	return nil
}
