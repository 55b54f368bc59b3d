package cli

import (
	"fmt"
	"math"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/confrec/confrec/confctl"
	"github.com/confrec/confrec/replay/standin"
	"github.com/confrec/confrec/store"
	"github.com/urfave/cli/v2"
)

// Flag names of replay.
const (
	flgScenario = "scenario"
	flgListen   = "listen"
	flgSpeed    = "speed"
	flgPassword = "password"
	flgNoPass   = "no-password"

	// A stand-in enterprise.
	flgSchedule      = "schedule"
	flgWebhookURL    = "webhook-url"
	flgWebhookLoss   = "webhook-loss"
	flgWebhookRepeat = "webhook-repeat"
)

// Environment variables of replay serve's enterprise.
const (
	envReplayPW = "CONFREC_REPLAY_PASSWORD"
)

func replayServeCommand() *cli.Command {
	return &cli.Command{
		Name:      "serve",
		Usage:     "stand in for the meeting service, playing a recorded meeting or a scenario",
		ArgsUsage: "(CONFID... | --scenario FILE.jsonl... | --schedule FILE.jsonl)",
		Description: `Serves the two REST token endpoints (their wsURL points back here) and the WebSocket path, so
any client, confrec record included, connects as it would to the real service. It checks the tokens
it issued (the tmpToken is single use), answers Subscribe and HeartBeat live, and plays the recorded
server-to-client frames with their original spacing divided by --speed (0: as fast as possible), then
closes as the service does at meeting end. Each fresh token flow plays the meeting from the start; a
client that reconnects with its kept-alive control token resumes where it dropped.

Several meetings can be served at once: give several CONFIDs, or --scenario several times.

--schedule stands in for a whole enterprise instead: its meetings start and end by themselves. The
file holds one meeting a line in JSON Lines ('#' lines are comments):

  {"conf_id":"986512347","start":"1m30s","scenario":"scenario-basic.jsonl","password":"...",
   "subject":"...","organizer":"...","vmr_id":"...","password_listed":true}

"start" counts from the server's start, in wall-clock time; "scenario" is a path relative to the
schedule file, or "recorded":"CONFID" plays a meeting of --db instead. A meeting runs until its last
frame is due (at --speed, above 0 here); before and after, its token calls answer "meeting not
running". Whenever a
client's token flow begins, it plays the meeting from its start: the frames already due at once, the
rest on time. A meeting without "password" takes the global one (else any).

With --app-id and the App Key (--app-key-file, else $` + envAppKey + `; never a flag value) it also
serves App ID authentication, the online meetings and their details, each meeting's password shown
only where "password_listed" is true. --webhook-url receives signed meeting.verify, meeting.started
and meeting.end callbacks; --webhook-loss and --webhook-repeat lose and repeat a share of them.

It prints "listening on http://HOST:PORT" on stdout once it accepts connections, and serves until
SIGINT or SIGTERM.

Without a password it accepts any, so it listens on a loopback address only (127.0.0.0/8, ::1 or
localhost) unless --no-password says to serve anyone; any other --listen (":8080", "0.0.0.0:8080", a host
name, which is not resolved) needs --password-file, $CONFREC_REPLAY_PASSWORD or --password (with
--schedule, a "password" for every meeting does too).`,
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: flgScenario, Usage: "play the JSON Lines scenario `FILE` instead of a recorded meeting (repeatable)"},
			&cli.StringFlag{Name: flgListen, Value: "127.0.0.1:0", Usage: "listen on `ADDR` (port 0: any free port)"},
			&cli.Float64Flag{Name: flgSpeed, Value: 1, Usage: "play `N` times faster than recorded (0: as fast as possible)"},
			&cli.StringFlag{Name: flgPasswordFile, Usage: "require the host password in `FILE` (else $CONFREC_REPLAY_PASSWORD; none: accept any)"},
			&cli.StringFlag{Name: flgPassword, Usage: "require the host password `PW` (a test stand-in's: a flag value shows in ps, prefer --password-file)"},
			&cli.BoolFlag{Name: flgNoPass, Usage: "accept any password also when --listen is not a loopback address"},
			&cli.StringFlag{Name: flgSchedule, Usage: "stand in for an enterprise whose meetings are in the JSON Lines `FILE`"},
			&cli.StringFlag{Name: flgAppID, EnvVars: []string{envAppID}, Usage: "serve the management APIs to the App `ID` (with its App Key)"},
			&cli.StringFlag{Name: flgAppKeyFile, Usage: "read the App Key from `FILE` (else $" + envAppKey + ")"},
			&cli.StringFlag{Name: flgWebhookURL, Usage: "POST signed webhook callbacks to `URL` (http:// or https://)"},
			&cli.Float64Flag{Name: flgWebhookLoss, Usage: "leave out this `SHARE` of the webhook callbacks, 0 to 1"},
			&cli.Float64Flag{Name: flgWebhookRepeat, Usage: "send this `SHARE` of the webhook callbacks twice, 0 to 1"},
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
	if opts.Password == "" && (c.String(flgPasswordFile) != "" || os.Getenv(envReplayPW) != "") {
		pw, err := readSecretFile(c.String(flgPasswordFile), envReplayPW)
		if err != nil {
			return err
		}
		opts.Password = pw
	}
	if err := enterpriseOptions(c, opts); err != nil {
		return err
	}
	if c.String(flgSchedule) != "" {
		return serveSchedule(c, opts)
	}
	if err := checkListenPassword(opts.Addr, opts.Password != "", c.Bool(flgNoPass), false); err != nil {
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

// serveSchedule is replay serve --schedule.
func serveSchedule(c *cli.Context, opts *standin.ServerOptions) error {
	if c.NArg() > 0 || len(c.StringSlice(flgScenario)) > 0 {
		return usagef("give --%s alone, without CONFIDs or --%s", flgSchedule, flgScenario)
	}
	if opts.Speed == 0 {
		return usagef("--%s 0 would end every meeting of --%s as it starts: give a positive factor", flgSpeed, flgSchedule)
	}
	meetings, err := readScheduleFile(c, c.String(flgSchedule))
	if err != nil {
		return err
	}
	// The meetings' own passwords count as set only if every meeting has
	// one; with --no-password they are not "a password" given with it.
	every := true
	for _, m := range meetings {
		every = every && m.Password != ""
	}
	hasPassword := opts.Password != "" || (every && !c.Bool(flgNoPass))
	if err := checkListenPassword(opts.Addr, hasPassword, c.Bool(flgNoPass), true); err != nil {
		return err
	}
	opts.Addr = pinLocalhost(opts.Addr)
	if !loopbackOnly(opts.Addr) && !hasPassword {
		opts.Logger.Warn("serving meetings without a password on an address other hosts may reach", "listen", opts.Addr)
	}
	return standin.ServeSchedule(c.Context, meetings, opts, func(url string) {
		fmt.Fprintf(c.App.Writer, "listening on %s\n", url)
	})
}

// enterpriseOptions sets the App ID, App Key and webhook options of replay
// serve.
func enterpriseOptions(c *cli.Context, opts *standin.ServerOptions) error {
	opts.AppID = c.String(flgAppID)
	if opts.AppID != "" || c.String(flgAppKeyFile) != "" {
		key, err := readSecretFile(c.String(flgAppKeyFile), envAppKey)
		if err != nil {
			return err
		}
		switch {
		case opts.AppID == "":
			return usagef("--%s needs --%s (or $%s)", flgAppKeyFile, flgAppID, envAppID)
		case key == "":
			return usagef("--%s needs the App Key: give --%s FILE or set $%s", flgAppID, flgAppKeyFile, envAppKey)
		}
		opts.AppKey = key
	}
	for _, name := range []string{flgWebhookLoss, flgWebhookRepeat} {
		if v := c.Float64(name); math.IsNaN(v) || v < 0 || v > 1 {
			return usagef("--%s %v: give a share from 0 to 1", name, v)
		}
	}
	opts.WebhookLoss, opts.WebhookRepeat = c.Float64(flgWebhookLoss), c.Float64(flgWebhookRepeat)
	opts.WebhookURL = c.String(flgWebhookURL)
	switch {
	case opts.WebhookURL == "" && (c.IsSet(flgWebhookLoss) || c.IsSet(flgWebhookRepeat)):
		return usagef("--%s and --%s need --%s", flgWebhookLoss, flgWebhookRepeat, flgWebhookURL)
	case opts.WebhookURL == "":
		return nil
	case opts.AppKey == "":
		return usagef("--%s needs --%s and the App Key, which sign the callbacks", flgWebhookURL, flgAppID)
	}
	// The URL is not quoted: it may carry a credential.
	if u, err := url.Parse(opts.WebhookURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usagef("--%s: give an http:// or https:// URL", flgWebhookURL)
	}
	return nil
}

// readScheduleFile reads the schedule at path. Scenario paths in it are
// relative to its directory; recorded meetings come from --db, opened once
// and only if needed.
func readScheduleFile(c *cli.Context, path string) ([]standin.Scheduled, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open schedule: %w", err)
	}
	defer f.Close()
	dir := filepath.Dir(path)
	var db *store.DB
	defer func() {
		if db != nil {
			db.Close()
		}
	}()
	load := func(source string) (*standin.Script, error) {
		if p, ok := strings.CutPrefix(source, standin.SourceScenario); ok {
			if !filepath.IsAbs(p) {
				p = filepath.Join(dir, p)
			}
			return readScenarioFile(p)
		}
		id, ok := strings.CutPrefix(source, standin.SourceRecorded)
		if !ok {
			return nil, fmt.Errorf("unknown source %q", source)
		}
		if db == nil {
			opened, err := openRead(c)
			if err != nil {
				return nil, err
			}
			db = opened
		}
		return standin.LoadMeeting(db, id)
	}
	meetings, err := standin.ReadSchedule(f, load)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(meetings) == 0 {
		return nil, fmt.Errorf("read %s: no meeting in the schedule", path)
	}
	return meetings, nil
}

// replayScripts loads what replay serve plays: the scenarios of --scenario,
// or the recorded meetings named by the arguments.
func replayScripts(c *cli.Context) ([]*standin.Script, error) {
	scenarios := c.StringSlice(flgScenario)
	switch {
	case len(scenarios) > 0 && c.NArg() > 0:
		return nil, usagef("give CONFIDs or --%s, not both", flgScenario)
	case len(scenarios) == 0 && c.NArg() == 0:
		return nil, usagef("%s needs a recorded CONFID, --%s FILE or --%s FILE (see '%s --help')", commandPath(c), flgScenario, flgSchedule, commandPath(c))
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
// schedule adds the schedule's passwords to the advice.
func checkListenPassword(addr string, hasPassword, noPassword, schedule bool) error {
	if hasPassword && noPassword {
		return usagef("give a password or --%s, not both", flgNoPass)
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return usagef("--%s %q: use HOST:PORT, such as 127.0.0.1:8080", flgListen, addr)
	}
	if hasPassword || noPassword || loopbackOnly(addr) {
		return nil
	}
	also := ""
	if schedule {
		also = `, give every meeting of --` + flgSchedule + ` a "password"`
	}
	return usagef("--%s %s is not a loopback address, so other hosts may connect, and no password is set: set one with --%s FILE (or $%s, or --%s PW)%s, or pass --%s to serve anyone",
		flgListen, addr, flgPasswordFile, envReplayPW, flgPassword, also, flgNoPass)
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
