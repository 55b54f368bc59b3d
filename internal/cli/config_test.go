package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/urfave/cli/v2"
	"github.com/urfave/cli/v2/altsrc"
)

// TestConfigRecord records the sample meeting with flags from a config
// file, and checks that the command line and the environment win over it.
func TestConfigRecord(t *testing.T) {
	t.Parallel()
	// Each token flow plays the meeting from the start: one stand-in serves
	// every case.
	srv := startServe(t, serveEnv(), "--scenario", testdata("scenario-basic.jsonl"), "--speed", "200")
	pw := writeFile(t, "host-password", testPassword+"\n")
	const unreachable = "http://127.0.0.1:1"
	tests := []struct {
		name   string
		config string   // {URL}, {PW} and {DIR} are replaced
		env    []string // {URL} and {DIR} are replaced
		args   []string // after "record --config FILE"; {URL}, {PW} and {DIR} are replaced
		global []string // before "record"
		want   string   // the database that must hold the meeting, in DIR
		absent string   // a database that must not exist, in DIR
	}{
		{
			name: "config sets every flag",
			config: "conf-id: [986512347]\napi-url: {URL}\npassword-file: {PW}\nheartbeat: 250ms\n" +
				"db: {DIR}/conf.db\n",
			want: "conf.db",
		},
		{
			name: "command line wins",
			config: "conf-id: [555000111]\napi-url: " + unreachable + "\npassword-file: {DIR}/none\nheartbeat: 1h\n" +
				"db: {DIR}/conf.db\n",
			args:   []string{"--conf-id", "986512347", "--api-url", "{URL}", "--password-file", "{PW}", "--heartbeat", "250ms"},
			global: []string{"--db", "{DIR}/cli.db"},
			want:   "cli.db", absent: "conf.db",
		},
		{
			name: "environment wins",
			// One meeting as a single value, a list of one.
			config: "conf-id: 986512347\napi-url: " + unreachable + "\npassword-file: {PW}\nheartbeat: 250ms\n" +
				"db: {DIR}/conf.db\n",
			env:  []string{"CONFREC_DB={DIR}/env.db", "CONFREC_API_URL={URL}"},
			want: "env.db", absent: "conf.db",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			fill := strings.NewReplacer("{URL}", srv.URL, "{PW}", pw, "{DIR}", dir).Replace
			fillAll := func(ss []string) []string {
				out := make([]string, len(ss))
				for i, s := range ss {
					out[i] = fill(s)
				}
				return out
			}
			config := writeFile(t, "record.yaml", fill(tt.config))
			args := append(fillAll(tt.global), "record", "--config", config)
			mustRun(t, fillAll(tt.env), append(args, fillAll(tt.args)...)...)

			db := filepath.Join(dir, tt.want)
			recs := exported(t, db, "986512347")
			samePayloads(t, notifications(t, recs), scenarioInFrames(t, testdata("scenario-basic.jsonl")))
			heartbeats := 0
			for _, r := range recs {
				if r.Dir == "out" && r.Action == "HeartBeat" {
					heartbeats++
				}
			}
			// The meeting lasts three seconds: at the default 60s there is none.
			if heartbeats < 3 {
				t.Errorf("%d heartbeats sent: --heartbeat 250ms did not apply", heartbeats)
			}
			if tt.absent != "" {
				if _, err := os.Stat(filepath.Join(dir, tt.absent)); err == nil {
					t.Errorf("%s was created: the config's db won", tt.absent)
				}
			}
		})
	}
}

// TestConfigRefused: a config file that cannot be read, that others may
// write, that is not YAML or holds a key or value no flag takes is refused
// with one line that names it, before anything is recorded.
func TestConfigRefused(t *testing.T) {
	t.Parallel()
	// Were the file taken, record would stop at once without a password
	// (and without dialling the real service).
	const good = "conf-id: [1]\napi-url: http://127.0.0.1:1\n"
	tests := []struct {
		name   string
		config string
		mode   os.FileMode
		code   int
		want   string
	}{
		{"unknown key", good + "hearbeat: 30s\n", 0o600, 2, `line 3: "hearbeat" is not a flag of this command: did you mean heartbeat?`},
		{"config names a config", "config: other.yaml\n", 0o600, 2, `"config" is not a flag`},
		{"bad yaml", "conf-id: [1\n", 0o600, 2, "fix its YAML"},
		{"not a mapping", "- conf-id\n", 0o600, 2, "want one `flag-name: value` per line, not a list"},
		{"world writable", good, 0o666, 2, "is writable by group or others (mode 0666): run chmod go-w"},
		{"group writable", good, 0o620, 2, "is writable by group or others (mode 0620)"},
		{"bad duration", "heartbeat: soon\n", 0o600, 2, `line 1: heartbeat: "soon" is not a duration like 30s`},
		{"duration without unit", "heartbeat: 30\n", 0o600, 2, `heartbeat: "30" is not a duration like 30s`},
		{"bad integer", "max-frame: lots\n", 0o600, 2, `max-frame: "lots" is not an integer`},
		{"bad bool", "insecure: maybe\n", 0o600, 2, `insecure: "maybe" is not true or false`},
		{"list for a single value", "api-url: [a, b]\n", 0o600, 2, "api-url: want a single value, not a list"},
		{"no value", "password-file:\n", 0o600, 2, "password-file: no value"},
		{"key twice", "heartbeat: 1s\nheartbeat: 2s\n", 0o600, 2, "line 2: heartbeat is given again (first on line 1)"},
		{"bad global value", good + "log-level: loud\n", 0o600, 2, `--log-level "loud"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			config := filepath.Join(dir, "record.yaml")
			if err := os.WriteFile(config, []byte(tt.config), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(config, tt.mode); err != nil {
				t.Fatal(err)
			}
			db := filepath.Join(dir, "rec.db")
			r := run(t, nil, "--db", db, "record", "--config", config)
			checkRefused(t, r, tt.code, tt.want)
			if !strings.Contains(r.stderr, config) && !strings.Contains(tt.want, "--log-level") {
				t.Errorf("stderr %q does not name the file", r.stderr)
			}
			if _, err := os.Stat(db); err == nil {
				t.Error("a refused config created the database")
			}
		})
	}
}

// TestConfigRefusedFile: a config file that is missing, a directory or
// another user's is refused.
func TestConfigRefusedFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.yaml")
	r := run(t, nil, "record", "--config", missing)
	checkRefused(t, r, 1, "read --config: open "+missing+": no such file or directory")

	r = run(t, nil, "record", "--config", dir)
	checkRefused(t, r, 2, "config "+dir+" is not a regular file")

	if os.Geteuid() != 0 {
		t.Skip("needs root, to give a file to another user")
	}
	other := writeFile(t, "record.yaml", "conf-id: [1]\napi-url: http://127.0.0.1:1\n")
	if err := os.Chown(other, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	r = run(t, nil, "record", "--config", other)
	checkRefused(t, r, 2, "config "+other+" belongs to uid 65534, neither this user (0) nor root: chown it")
}

// TestConfigFIFO: a FIFO given as the config file is refused at once, not
// waited on for a writer (which no Ctrl-C would end).
func TestConfigFIFO(t *testing.T) {
	t.Parallel()
	fifo := filepath.Join(t.TempDir(), "record.yaml")
	if err := mkfifo(fifo); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	r := runCmd(t, confrecCmd(ctx, t, nil, "record", "--config", fifo))
	if ctx.Err() != nil {
		t.Fatal("record --config FIFO still waits after 20s")
	}
	checkRefused(t, r, 2, "config "+fifo+" is not a regular file")
}

// checkRefused fails unless r exited with code and one line on stderr
// saying want.
func checkRefused(t *testing.T, r result, code int, want string) {
	t.Helper()
	if r.code != code {
		t.Errorf("exit %d, want %d\nstderr: %s", r.code, code, r.stderr)
	}
	if !strings.Contains(r.stderr, want) {
		t.Errorf("stderr %q does not say %q", r.stderr, want)
	}
	if n := strings.Count(strings.TrimSpace(r.stderr), "\n"); n > 0 {
		t.Errorf("error takes %d lines, want one:\n%s", n+1, r.stderr)
	}
}

// TestConfigWrapsEveryRecordFlag: the application's record command reads
// every flag of record from its config file, and each flag, whatever its
// type, and the global --db get the value the file gives them.
func TestConfigWrapsEveryRecordFlag(t *testing.T) {
	var record *cli.Command
	for _, c := range newApp(io.Discard, io.Discard, nil, &seams{}).Commands {
		if c.Name == "record" {
			record = c
		}
	}
	if record == nil {
		t.Fatal("the application has no record command")
	}
	wrapped := map[string]bool{}
	for _, f := range record.Flags {
		if _, ok := f.(altsrc.FlagInputSourceExtension); ok {
			wrapped[f.Names()[0]] = true
		}
	}
	if !slices.ContainsFunc(record.Flags, func(f cli.Flag) bool { return f.Names()[0] == flgConfig }) {
		t.Errorf("record has no --%s", flgConfig)
	}
	for _, f := range recordCommand().Flags {
		if !wrapped[f.Names()[0]] {
			t.Errorf("--%s (%T) of record is not read from --%s", f.Names()[0], f, flgConfig)
		}
	}

	checkEveryFlagFromConfig(t, recordCommand())
}

// TestConfigFlagTypes: a flag of every type withConfigFile takes gets its
// value from the file.
func TestConfigFlagTypes(t *testing.T) {
	checkEveryFlagFromConfig(t, &cli.Command{Name: "types", Flags: []cli.Flag{
		&cli.StringFlag{Name: "string", Value: "default"},
		&cli.PathFlag{Name: "path"},
		&cli.StringSliceFlag{Name: "strings", Value: cli.NewStringSlice("default")},
		&cli.BoolFlag{Name: "off"},
		&cli.BoolFlag{Name: "on", Value: true},
		&cli.DurationFlag{Name: "duration", Value: time.Minute},
		&cli.IntFlag{Name: "int", Value: 3},
		&cli.Int64Flag{Name: "int64", Value: 3},
		&cli.UintFlag{Name: "uint", Value: 3},
		&cli.Uint64Flag{Name: "uint64", Value: 3},
		&cli.Float64Flag{Name: "float64", Value: 0.5},
		&cli.StringFlag{Name: "aliased", Aliases: []string{"a"}},
	}})
}

// checkEveryFlagFromConfig runs cmd, wrapped by withConfigFile, in an
// application with a global --db, with a config file that gives every flag
// a value other than its default, and fails unless each flag has that
// value in cmd's action.
func checkEveryFlagFromConfig(t *testing.T, cmd *cli.Command) {
	t.Helper()
	yaml := "db: /from/config.db\n"
	checks := []func(*cli.Context) error{func(c *cli.Context) error {
		return wantValue(flgDB, c.String(flgDB), "/from/config.db")
	}}
	for _, f := range cmd.Flags {
		names := f.Names()
		text, check := sampleSetting(t, f)
		yaml += names[len(names)-1] + ": " + text + "\n" // an alias if it has one
		checks = append(checks, check)
	}
	ran := false
	cmd.Action = func(c *cli.Context) error {
		ran = true
		for _, check := range checks {
			if err := check(c); err != nil {
				t.Error(err)
			}
		}
		return nil
	}
	app := &cli.App{
		Name:           "confrec",
		Flags:          []cli.Flag{&cli.StringFlag{Name: flgDB, Value: "confrec.db"}},
		Commands:       []*cli.Command{withConfigFile(cmd)},
		Writer:         io.Discard,
		ErrWriter:      io.Discard,
		ExitErrHandler: func(*cli.Context, error) {},
	}
	config := writeFile(t, "config.yaml", yaml)
	if err := app.RunContext(context.Background(), []string{"confrec", cmd.Name, "--" + flgConfig, config}); err != nil {
		t.Fatalf("%v\nconfig:\n%s", err, yaml)
	}
	if !ran {
		t.Fatal("the command did not run")
	}
}

// sampleSetting returns a YAML value for flag f other than its default,
// and a check that a context holds it. It fails the test for a flag type
// it does not know: add it here and to configurable.
func sampleSetting(t *testing.T, f cli.Flag) (string, func(*cli.Context) error) {
	t.Helper()
	name := f.Names()[0]
	switch f := f.(type) {
	case *cli.StringFlag:
		return "from-config-" + name, func(c *cli.Context) error {
			return wantValue(name, c.String(name), "from-config-"+name)
		}
	case *cli.PathFlag:
		return "/from/config/" + name, func(c *cli.Context) error {
			return wantValue(name, c.Path(name), "/from/config/"+name)
		}
	case *cli.StringSliceFlag:
		// 0123 is the text written, not a number.
		return "[0123, from-config]", func(c *cli.Context) error {
			return wantValue(name, strings.Join(c.StringSlice(name), ","), "0123,from-config")
		}
	case *cli.BoolFlag:
		return fmt.Sprint(!f.Value), func(c *cli.Context) error {
			return wantValue(name, c.Bool(name), !f.Value)
		}
	case *cli.DurationFlag:
		return "7m7s", func(c *cli.Context) error {
			return wantValue(name, c.Duration(name), 7*time.Minute+7*time.Second)
		}
	case *cli.IntFlag:
		return "7777", func(c *cli.Context) error { return wantValue(name, c.Int(name), 7777) }
	case *cli.Int64Flag:
		return "7777", func(c *cli.Context) error { return wantValue(name, c.Int64(name), 7777) }
	case *cli.UintFlag:
		return "7777", func(c *cli.Context) error { return wantValue(name, c.Uint(name), 7777) }
	case *cli.Uint64Flag:
		return "7777", func(c *cli.Context) error { return wantValue(name, c.Uint64(name), 7777) }
	case *cli.Float64Flag:
		return "7.25", func(c *cli.Context) error { return wantValue(name, c.Float64(name), 7.25) }
	}
	t.Fatalf("--%s is a %T: give sampleSetting a value for it", name, f)
	return "", nil
}

// wantValue returns an error unless flag name's value got is want.
func wantValue[T comparable](name string, got, want T) error {
	if got != want {
		return fmt.Errorf("--%s is %v, want %v from the config file", name, got, want)
	}
	return nil
}

// TestConfigUnsupportedFlag: withConfigFile refuses, at once, a flag it
// cannot read from a file.
func TestConfigUnsupportedFlag(t *testing.T) {
	tests := []struct {
		name string
		flag cli.Flag
	}{
		{"timestamp", &cli.TimestampFlag{Name: "at", Layout: time.RFC3339}},
		{"generic", &cli.GenericFlag{Name: "generic"}},
		{"int slice", &cli.IntSliceFlag{Name: "ints"}},
		{"required", &cli.StringFlag{Name: "must", Required: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				msg := fmt.Sprint(recover())
				if !strings.Contains(msg, "--"+tt.flag.Names()[0]) {
					t.Errorf("panic %q does not name the flag", msg)
				}
			}()
			withConfigFile(&cli.Command{Name: "x", Flags: []cli.Flag{tt.flag}})
			t.Error("withConfigFile took it")
		})
	}
}
