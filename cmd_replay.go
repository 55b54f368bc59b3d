package main

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/confrec/confrec/confctl"
	"github.com/confrec/confrec/replay"
)

// Flag names of replay.
const (
	flgScenario = "scenario"
	flgListen   = "listen"
	flgSpeed    = "speed"
	flgPassword = "password"
)

func replayCommand() *cli.Command {
	return &cli.Command{
		Name:   "replay",
		Usage:  "replay a recorded meeting",
		Action: runGroup,
		Subcommands: []*cli.Command{
			replayServeCommand(), // cmd_replay.go
			replayStateCommand(), // cmd_state.go
			replayPrintCommand(), // cmd_state.go
		},
	}
}

func replayServeCommand() *cli.Command {
	return &cli.Command{
		Name:      "serve",
		Usage:     "stand in for the meeting service, playing a recorded meeting or a scenario",
		ArgsUsage: "(CONFID... | --scenario FILE.jsonl...)",
		Description: `Serves the two REST token endpoints (their wsURL points back here) and the WebSocket path, so
any client, confrec record included, connects as it would to the real service. It checks the tokens
it issued (the tmpToken is single use), answers Subscribe and HeartBeat live, and plays the recorded
server-to-client frames with their original spacing divided by --speed (0: as fast as possible), then
closes as the service does at meeting end. Each fresh token flow plays the meeting from the start; a
client that reconnects with its kept-alive control token resumes where it dropped.

Several meetings can be served at once: give several CONFIDs, or --scenario several times.

It prints "listening on http://HOST:PORT" on stdout once it accepts connections, and serves until
SIGINT or SIGTERM.`,
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: flgScenario, Usage: "play the JSON Lines scenario `FILE` instead of a recorded meeting (repeatable)"},
			&cli.StringFlag{Name: flgListen, Value: "127.0.0.1:0", Usage: "listen on `ADDR` (port 0: any free port)"},
			&cli.Float64Flag{Name: flgSpeed, Value: 1, Usage: "play `N` times faster than recorded (0: as fast as possible)"},
			&cli.StringFlag{Name: flgPasswordFile, Usage: "require the host password in `FILE` (else $CONFREC_REPLAY_PASSWORD; none: accept any)"},
			&cli.StringFlag{Name: flgPassword, Usage: "require the host password `PW` (a test stand-in's: a flag value shows in ps, prefer --password-file)"},
		},
		OnUsageError: onUsageError,
		Action:       runReplayServe,
	}
}

func runReplayServe(c *cli.Context) error {
	logger, err := newLogger(c)
	if err != nil {
		return err
	}
	if c.Float64(flgSpeed) < 0 {
		return usagef("--%s %v: use 0 (as fast as possible) or a positive factor", flgSpeed, c.Float64(flgSpeed))
	}
	scripts, err := replayScripts(c)
	if err != nil {
		return err
	}
	opts := &replay.ServerOptions{Addr: c.String(flgListen), Speed: c.Float64(flgSpeed), Logger: logger,
		Password: confctl.Secret(c.String(flgPassword))}
	if c.String(flgPassword) != "" && c.String(flgPasswordFile) != "" {
		return usagef("give --%s or --%s, not both", flgPassword, flgPasswordFile)
	}
	if opts.Password == "" && (c.String(flgPasswordFile) != "" || os.Getenv("CONFREC_REPLAY_PASSWORD") != "") {
		pw, err := readSecretFile(c.String(flgPasswordFile), "CONFREC_REPLAY_PASSWORD")
		if err != nil {
			return err
		}
		opts.Password = pw
	}
	return replay.Serve(c.Context, scripts, opts, func(url string) {
		fmt.Fprintf(c.App.Writer, "listening on %s\n", url)
	})
}

// replayScripts loads what replay serve plays: the scenarios of --scenario,
// or the recorded meetings named by the arguments.
func replayScripts(c *cli.Context) ([]*replay.Script, error) {
	scenarios := c.StringSlice(flgScenario)
	switch {
	case len(scenarios) > 0 && c.NArg() > 0:
		return nil, usagef("give CONFIDs or --%s, not both", flgScenario)
	case len(scenarios) == 0 && c.NArg() == 0:
		return nil, usagef("%s needs a recorded CONFID or --%s FILE (see '%s --help')", commandPath(c), flgScenario, commandPath(c))
	}
	var scripts []*replay.Script
	for _, path := range scenarios {
		s, err := readScenarioFile(path)
		if err != nil {
			return nil, err
		}
		scripts = append(scripts, s)
	}
	if len(scenarios) > 0 {
		return scripts, nil
	}
	db, err := openRead(c)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	for _, id := range c.Args().Slice() {
		s, err := replay.LoadMeeting(db, id)
		if err != nil {
			return nil, err
		}
		scripts = append(scripts, s)
	}
	return scripts, nil
}

func readScenarioFile(path string) (*replay.Script, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open scenario: %w", err)
	}
	defer f.Close()
	s, err := replay.ReadScenario(f)
	if err != nil {
		return nil, fmt.Errorf("read scenario %s: %w", path, err)
	}
	return s, nil
}
