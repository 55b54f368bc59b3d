package cli

import (
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
)

// splitList splits "A,B" into its non-empty, trimmed parts.
func splitList(v string) []string {
	var out []string
	for p := range strings.SplitSeq(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Flag categories.
const (
	catStore   = "store"
	catLogging = "logging"
	catConnect = "connection"
	catOutput  = "output"
	catMetrics = "metrics"
	catLive    = "live page"
)

// Flag names shared by several commands.
const (
	flgDB        = "db"
	flgLogLevel  = "log-level"
	flgLogFormat = "log-format"
	flgFormat    = "format"
	flgOutput    = "output"

	// An enterprise's application: record --discover and replay serve.
	flgAppID      = "app-id"
	flgAppKeyFile = "app-key-file"
	envAppID      = "CONFREC_APP_ID"
	envAppKey     = "CONFREC_APP_KEY"
)

// globalFlags are given before the command: `confrec --db x.db meetings`.
var globalFlags = []cli.Flag{
	&cli.StringFlag{Name: flgDB, Value: "confrec.db", EnvVars: []string{"CONFREC_DB"}, Category: catStore,
		Usage: "the database `FILE` (created 0600 by record)"},
	&cli.StringFlag{Name: flgLogLevel, Value: "info", EnvVars: []string{"CONFREC_LOG_LEVEL"}, Category: catLogging,
		Usage: "log `LEVEL` on stderr: debug, info, warn or error"},
	&cli.StringFlag{Name: flgLogFormat, Value: "text", EnvVars: []string{"CONFREC_LOG_FORMAT"}, Category: catLogging,
		Usage: "log `FORMAT`: text or json"},
}

// newLogger builds the one slog handler of the process, on stderr.
func newLogger(c *cli.Context) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.String(flgLogLevel))); err != nil {
		return nil, usagef("--%s %q: use debug, info, warn or error", flgLogLevel, c.String(flgLogLevel))
	}
	hopts := &slog.HandlerOptions{Level: level}
	var w io.Writer = c.App.ErrWriter
	switch c.String(flgLogFormat) {
	case "text":
		return slog.New(slog.NewTextHandler(w, hopts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, hopts)), nil
	}
	return nil, usagef("--%s %q: use text or json", flgLogFormat, c.String(flgLogFormat))
}

// formatFlag is --format with the allowed values listed in its usage.
func formatFlag(def string, allowed ...string) *cli.StringFlag {
	return &cli.StringFlag{Name: flgFormat, Aliases: []string{"f"}, Value: def, Category: catOutput,
		Usage: "output `FORMAT`: " + strings.Join(allowed, ", ")}
}

// outputFlag is -o FILE.
var outputFlag = &cli.StringFlag{Name: flgOutput, Aliases: []string{"o"}, Category: catOutput,
	Usage:  "write to `FILE` (created 0600, replaced only when complete) instead of stdout",
	Action: checkOutput}

// parseTime reads an RFC 3339 time, or an offset like +12m30s from base.
func parseTime(flag, v string, base time.Time) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if strings.HasPrefix(v, "+") {
		d, err := time.ParseDuration(v[1:])
		if err != nil {
			return time.Time{}, usagef("--%s %q: an offset must be a Go duration like +12m30s", flag, v)
		}
		return base.Add(d), nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, usagef("--%s %q: use RFC 3339 (2025-03-18T02:00:00Z) or an offset like +12m30s", flag, v)
	}
	return t, nil
}

// oneArg returns the command's single positional argument, named what.
func oneArg(c *cli.Context, what string) (string, error) {
	if c.NArg() != 1 {
		return "", usagef("%s takes exactly one %s (see '%s --help')", commandPath(c), what, commandPath(c))
	}
	return c.Args().First(), nil
}
