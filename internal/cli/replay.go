package cli

import (
	"github.com/urfave/cli/v2"
)

func replayCommand() *cli.Command {
	return &cli.Command{
		Name:   "replay",
		Usage:  "replay a recorded meeting",
		Action: runGroup,
		Subcommands: []*cli.Command{
			replayServeCommand(), // replay_serve.go
			replayStateCommand(), // replay_state.go
			replayPrintCommand(), // replay_print.go
		},
	}
}
