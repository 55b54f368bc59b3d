package cli

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/confrec/confrec/natsfeed"
)

// flgDurable names an archive's JetStream consumer.
const flgDurable = "durable"

func archiveCommand() *cli.Command {
	return &cli.Command{
		Name:  "archive",
		Usage: "store what recorders publish to NATS JetStream into the database",
		Description: `Consumes the stream CONFREC that 'record --nats' publishes to, with a durable consumer, into
--db: an ordinary confrec database on which every command works. A frame is acknowledged only once the
commit that holds it is durable, and stored once however often it is delivered; a frame that does
not follow its recorder's hash chain (altered in transit or in NATS, or forged), a truncated frame and
a message that is not confrec's are logged and not stored. Each recorder's session is a session of
the archive, named with its recorder. Runs until SIGINT/SIGTERM. While it runs, the read commands
work on --db as they do while record runs.

Several archives may consume the same stream, each into its own database and with its own consumer
(--durable; the default is named for the database's file).`,
		Flags: append(natsFlags(),
			&cli.StringFlag{Name: flgDurable, Category: catNATS, Usage: "the JetStream consumer's `NAME` (default: confrec-archive- and the database file's name)"},
		),
		OnUsageError: onUsageError,
		Action:       runArchive,
	}
}

func runArchive(c *cli.Context) error {
	if c.NArg() > 0 {
		return usagef("archive takes no arguments")
	}
	if c.String(flgNATS) == "" {
		return usagef("give --%s URLS: the NATS servers of the stream to archive", flgNATS)
	}
	logger, err := newLogger(c)
	if err != nil {
		return err
	}
	durable := c.String(flgDurable)
	if durable == "" {
		durable = "confrec-archive-" + strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
				return r
			}
			return '_'
		}, strings.TrimSuffix(filepath.Base(c.String(flgDB)), filepath.Ext(c.String(flgDB))))
	}
	nc, js, err := connectNATS(c, "confrec archive "+durable, "archiving waits", logger)
	if err != nil {
		return err
	}
	defer nc.Close()
	db, err := openWrite(c)
	if err != nil {
		return err
	}
	stopServing := serveSnapshots(c, db, logger)
	logger.Info("archiving", "db", c.String(flgDB), "consumer", durable, "servers", redactURL(c.String(flgNATS)))
	a := natsfeed.NewArchiver(db, js, natsfeed.ArchiverOptions{Durable: durable, Logger: logger, Replicas: natsReplicas(c)})
	err = a.Run(c.Context)
	stopServing()
	if cerr := db.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("close store: %w", cerr)
	}
	return err
}
