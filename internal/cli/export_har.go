package cli

import (
	"io"
	"runtime/debug"

	"github.com/confrec/confrec/export"
	"github.com/urfave/cli/v2"
)

func exportHARCommand() *cli.Command {
	return &cli.Command{
		Name:      "har",
		Usage:     "export a meeting's sessions as a HAR 1.2 file (Chrome DevTools' WebSocket format)",
		ArgsUsage: "CONFID",
		Description: `One entry per session: the WebSocket upgrade (GET of the session's URL, tokens redacted,
answered 101) with the session's frames in _webSocketMessages as DevTools writes them: type send or
receive, time in seconds since the epoch, opcode 1 with the text or 2 with base64 data (close frames:
opcode 8, base64). Open it in DevTools' network panel (import HAR) or any HAR viewer.`,
		Flags:        []cli.Flag{outputFlag},
		OnUsageError: onUsageError,
		Action:       runExportHAR,
	}
}

func runExportHAR(c *cli.Context) error {
	id, err := oneArg(c, "CONFID")
	if err != nil {
		return err
	}
	db, _, err := openMeeting(c, id)
	if err != nil {
		return err
	}
	defer db.Close()
	opts := &export.HAROptions{CreatorVersion: buildVersion()}
	return writeOutput(c, func(w io.Writer) error { return export.WriteHAR(w, db, id, opts) })
}

// buildVersion is confrec's module version, "devel" for a build from a
// working tree.
//
// A development build (go build in a checkout) is "devel", followed by
// "+" and the first 12 digits of its VCS revision when the build recorded
// one, so that two such builds of different code differ.
func buildVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	v := "devel"
	if ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += "+" + s.Value[:12]
			}
		}
	}
	return v
}
