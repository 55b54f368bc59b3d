// Command confrec records the meeting-control WebSocket of Huawei Cloud
// Meeting into an embedded database, replays it and exports it.
//
// Run `confrec demo` for a first look, and `confrec help` for the commands.
// The commands live in internal/cli.
package main

import (
	_ "embed"
	"os"

	"github.com/confrec/confrec/internal/cli"
)

// demoScenario is the sample meeting `confrec demo` records: a ten-minute
// synthetic session.
//
//go:embed testdata/scenario-basic.jsonl
var demoScenario []byte

func main() {
	ctx, stop := cli.SignalContext()
	code := cli.Run(ctx, os.Args, os.Stdout, os.Stderr, demoScenario)
	stop()
	os.Exit(code)
}
