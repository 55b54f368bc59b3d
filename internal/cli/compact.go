package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/confrec/confrec/store"
	"github.com/urfave/cli/v2"
)

const flgCompress = "compress"

func compactCommand() *cli.Command {
	return &cli.Command{
		Name:  "compact",
		Usage: "rewrite the database without its free pages, optionally compressing the frames (--compress)",
		Description: `Writes the database anew to <db>.compact.tmp without the pages freed by deleted meetings,
checks every meeting's hash chain in it and renames it over the database, so a crash leaves
either the old file or the new one. With --compress it also regroups each meeting's frames into
blocks of 128 KiB and compresses them with zstd (on recorded notifications, about a quarter of
the payload bytes on disk); every frame keeps its number, time and checksum, and everything that
reads frames works as before. Frames recorded afterwards are stored uncompressed until the next
compact --compress; blocks already compressed are kept as they are. A running record keeps the
database locked: compact refuses it.`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: flgCompress, Usage: "also compress the frames with zstd"},
			formatFlag("table", "table", "json"),
		},
		OnUsageError: onUsageError,
		Action:       runCompact,
	}
}

// compactReport is the output of `confrec compact`.
type compactReport struct {
	Path       string `json:"db"`
	Compressed bool   `json:"compressed"`
	Before     int64  `json:"bytes_before"`
	After      int64  `json:"bytes_after"`
}

func runCompact(c *cli.Context) error {
	format, err := tableOrJSON(c)
	if err != nil {
		return err
	}
	if c.NArg() > 0 {
		return usagef("%s takes no arguments (see '%s --help')", commandPath(c), commandPath(c))
	}
	path := c.String(flgDB)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return noDatabase(path)
	}
	rep := compactReport{Path: path, Compressed: c.Bool(flgCompress)}
	// A recorder holds the lock for hours: do not wait for it.
	res, err := store.Compact(path, &store.CompactOptions{LockTimeout: -1, Compress: rep.Compressed, Context: c.Context})
	if err != nil {
		return fmt.Errorf("compact: %w", err)
	}
	rep.Before, rep.After = res.Before, res.After
	if format == "json" {
		return writeJSON(c.App.Writer, rep)
	}
	return writeCompactLine(c.App.Writer, &rep)
}

func writeCompactLine(w io.Writer, rep *compactReport) error {
	how := "compacted"
	if rep.Compressed {
		how = "compacted and compressed"
	}
	pct := 0.0
	if rep.Before > 0 {
		pct = 100 * float64(rep.After) / float64(rep.Before)
	}
	_, err := fmt.Fprintf(w, "%s %s: %d -> %d bytes (%.0f%%)\n", how, rep.Path, rep.Before, rep.After, pct)
	return err
}
