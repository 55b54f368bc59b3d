package cli

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"

	"github.com/confrec/confrec/confctl"
	"github.com/confrec/confrec/replay/standin"
	"github.com/urfave/cli/v2"
)

// Flag names of replay.
const (
	flgScenario = "scenario"
	flgListen   = "listen"
	flgSpeed    = "speed"
	flgPassword = "password"
	flgNoPass   = "no-password"
)

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
SIGINT or SIGTERM.

Without a password it accepts any, so it listens on a loopback address only (127.0.0.0/8, ::1 or
localhost) unless --no-password says to serve anyone; any other --listen (":8080", "0.0.0.0:8080", a host
name, which is not resolved) needs --password-file, $CONFREC_REPLAY_PASSWORD or --password.`,
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: flgScenario, Usage: "play the JSON Lines scenario `FILE` instead of a recorded meeting (repeatable)"},
			&cli.StringFlag{Name: flgListen, Value: "127.0.0.1:0", Usage: "listen on `ADDR` (port 0: any free port)"},
			&cli.Float64Flag{Name: flgSpeed, Value: 1, Usage: "play `N` times faster than recorded (0: as fast as possible)"},
			&cli.StringFlag{Name: flgPasswordFile, Usage: "require the host password in `FILE` (else $CONFREC_REPLAY_PASSWORD; none: accept any)"},
			&cli.StringFlag{Name: flgPassword, Usage: "require the host password `PW` (a test stand-in's: a flag value shows in ps, prefer --password-file)"},
			&cli.BoolFlag{Name: flgNoPass, Usage: "accept any password also when --listen is not a loopback address"},
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
	opts := &standin.ServerOptions{Addr: c.String(flgListen), Speed: c.Float64(flgSpeed), Logger: logger,
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
	if err := checkListenPassword(opts.Addr, opts.Password != "", c.Bool(flgNoPass)); err != nil {
		return err
	}
	opts.Addr = pinLocalhost(opts.Addr)
	if !loopbackOnly(opts.Addr) && c.Bool(flgNoPass) {
		logger.Warn("serving without a password on an address other hosts may reach", "listen", opts.Addr)
	}
	scripts, err := replayScripts(c)
	if err != nil {
		return err
	}
	return standin.Serve(c.Context, scripts, opts, func(url string) {
		fmt.Fprintf(c.App.Writer, "listening on %s\n", url)
	})
}

// replayScripts loads what replay serve plays: the scenarios of --scenario,
// or the recorded meetings named by the arguments.
func replayScripts(c *cli.Context) ([]*standin.Script, error) {
	scenarios := c.StringSlice(flgScenario)
	switch {
	case len(scenarios) > 0 && c.NArg() > 0:
		return nil, usagef("give CONFIDs or --%s, not both", flgScenario)
	case len(scenarios) == 0 && c.NArg() == 0:
		return nil, usagef("%s needs a recorded CONFID or --%s FILE (see '%s --help')", commandPath(c), flgScenario, commandPath(c))
	}
	var scripts []*standin.Script
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
		s, err := standin.LoadMeeting(db, id)
		if err != nil {
			return nil, err
		}
		scripts = append(scripts, s)
	}
	return scripts, nil
}

func readScenarioFile(path string) (*standin.Script, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open scenario: %w", err)
	}
	defer f.Close()
	s, err := standin.ReadScenario(f)
	if err != nil {
		return nil, fmt.Errorf("read scenario %s: %w", path, err)
	}
	return s, nil
}

// checkListenPassword refuses, before anything listens, to serve without a
// password on an address that other hosts may reach, unless noPassword.
func checkListenPassword(addr string, hasPassword, noPassword bool) error {
	if hasPassword && noPassword {
		return usagef("give a password or --%s, not both", flgNoPass)
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return usagef("--%s %q: use HOST:PORT, such as 127.0.0.1:8080", flgListen, addr)
	}
	if hasPassword || noPassword || loopbackOnly(addr) {
		return nil
	}
	return usagef("--%s %s is not a loopback address, so other hosts may connect, and no password is set: set one with --%s FILE (or $CONFREC_REPLAY_PASSWORD, or --%s PW), or pass --%s to serve anyone",
		flgListen, addr, flgPasswordFile, flgPassword, flgNoPass)
}

// pinLocalhost returns addr with the host name localhost (any case, with
// or without a final dot) replaced by 127.0.0.1: loopbackOnly trusts that
// name without looking it up, so the listener must not look it up either
// (a resolver may answer another address, and "localhost." asks DNS).
func pinLocalhost(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || !strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") {
		return addr
	}
	return net.JoinHostPort("127.0.0.1", port)
}

// loopbackOnly says whether net.Listen("tcp", addr) listens on loopback
// only: the host is an address in 127.0.0.0/8 or ::1, or the name
// localhost. An empty host, 0.0.0.0 and :: are every interface; any other
// name counts as reachable, unresolved (what it resolves to may change).
func loopbackOnly(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}
