package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
	"github.com/urfave/cli/v2/altsrc"
	"gopkg.in/yaml.v3"
)

// flgConfig names the YAML file a command wrapped by withConfigFile reads
// its flags from.
const flgConfig = "config"

// maxConfigSize bounds a config file: a page of flags, not a data file.
const maxConfigSize = 1 << 20

// withConfigFile lets every flag of cmd, and every global flag (--db,
// --log-level …), be set in a YAML file named by a --config flag it adds:
// one key per flag, named as on the command line, with the value it would
// take there (conf-id: [986512347], heartbeat: 30s, insecure: true,
// db: /var/lib/confrec/confrec.db). A value on the command line wins over
// one from the environment, which wins over the file, which wins over the
// default: urfave/cli's altsrc order. A list in the file is replaced, not
// extended, by the command line's; a single value stands for a list of one.
// Values are read as the command line would read them (`conf-id: 0123` is
// "0123"); relative paths are from the working directory, not the file's.
//
// Each flag of cmd is wrapped in its altsrc counterpart by type.
// withConfigFile panics on a flag of a type it does not know, or a Required
// one (urfave/cli checks those before the file is read), so that no flag
// added to cmd can silently be missing from the file. cmd's Before, if any,
// runs after the file is applied. It returns cmd.
//
// The file is refused, before any flag is set, when it is writable by group
// or others or belongs to another user than this one or root (it decides
// where secrets are read from), when it holds a key that is no flag (a
// typo would silently fall back to the default), or when a value does not
// fit its flag. For that the file is read here, once, and handed to altsrc
// as a map source (altsrc.NewYamlSourceFromFlagFunc would read it again,
// after the checks, and turn `conf-id: 0123` into 83).
func withConfigFile(cmd *cli.Command) *cli.Command {
	own := make([]cli.Flag, 0, len(cmd.Flags)+1)
	values := map[string]configValue{}
	for _, f := range cmd.Flags {
		wrapped, value := configurable(f)
		own = append(own, wrapped)
		for _, n := range f.Names() {
			values[n] = value
		}
	}
	cmd.Flags = append(own, &cli.StringFlag{Name: flgConfig, Category: catConfig,
		Usage: "read flags from the YAML `FILE`: a key per flag, named as here (conf-id: [ID, …], heartbeat: 30s, db: FILE); " +
			"the command line and the environment win over it"})
	before := cmd.Before
	cmd.Before = func(c *cli.Context) error {
		if path := c.String(flgConfig); path != "" {
			if err := applyConfig(c, path, own, values); err != nil {
				return err
			}
		}
		if before != nil {
			return before(c)
		}
		return nil
	}
	return cmd
}

// catConfig is the help category of --config.
const catConfig = "configuration"

// configValue turns the YAML value of a flag's key into what altsrc's map
// source hands that flag, or says why it cannot.
type configValue func(n *yaml.Node) (any, error)

// configurable returns f wrapped in its altsrc counterpart and how to read
// its value from YAML. It panics on a flag it cannot wrap (see
// withConfigFile).
func configurable(f cli.Flag) (cli.Flag, configValue) {
	if r, ok := f.(cli.RequiredFlag); ok && r.IsRequired() {
		panic(fmt.Sprintf("withConfigFile: --%s is Required, so it cannot come from a config file: check it in the action instead", f.Names()[0]))
	}
	switch f := f.(type) {
	case *cli.StringFlag:
		return altsrc.NewStringFlag(f), yamlText
	case *cli.PathFlag:
		return altsrc.NewPathFlag(f), yamlText
	case *cli.StringSliceFlag:
		return altsrc.NewStringSliceFlag(f), yamlTexts
	case *cli.BoolFlag:
		return altsrc.NewBoolFlag(f), yamlScalar[bool]("true or false")
	case *cli.DurationFlag:
		return altsrc.NewDurationFlag(f), yamlScalar[time.Duration]("a duration like 30s")
	case *cli.IntFlag:
		return altsrc.NewIntFlag(f), yamlScalar[int]("an integer")
	case *cli.Int64Flag:
		return altsrc.NewInt64Flag(f), yamlScalar[int64]("an integer")
	case *cli.UintFlag:
		return altsrc.NewUintFlag(f), yamlScalar[uint]("a non-negative integer")
	case *cli.Uint64Flag:
		return altsrc.NewUint64Flag(f), yamlScalar[uint64]("a non-negative integer")
	case *cli.Float64Flag:
		return altsrc.NewFloat64Flag(f), yamlScalar[float64]("a number")
	}
	panic(fmt.Sprintf("withConfigFile: --%s is a %T, which it cannot read from a config file: add the type to configurable", f.Names()[0], f))
}

// applyConfig reads the config file at path and sets from it every flag of
// own (altsrc wrapped, values says how to read each name's YAML) and of the
// application that neither the command line nor the environment set.
func applyConfig(c *cli.Context, path string, own []cli.Flag, values map[string]configValue) error {
	b, err := readConfig(path)
	if err != nil {
		return err
	}
	global := map[string]bool{}
	keys := slices.Clone(own) // for a suggestion
	for _, f := range c.App.Flags {
		if f == cli.HelpFlag || f == cli.VersionFlag {
			continue
		}
		keys = append(keys, f)
		for _, n := range f.Names() {
			if values[n] == nil {
				global[n] = true
			}
		}
	}
	settings, err := parseConfig(b, values, global)
	var uk unknownKeyError
	if errors.As(err, &uk) && cli.SuggestFlag != nil {
		if s := strings.TrimLeft(cli.SuggestFlag(keys, uk.key, true), "-"); s != "" {
			err = fmt.Errorf("%w: did you mean %s?", err, s)
		}
	}
	if err != nil {
		return usagef("config %s: %v (see '%s --help')", path, err, commandPath(c))
	}
	// The global flags were parsed by the application, before the command:
	// set them where they live, through the context's lineage.
	for key, v := range settings {
		name := key.(string)
		if !global[name] {
			continue
		}
		delete(settings, key)
		if c.IsSet(name) {
			continue
		}
		if err := c.Set(name, v.(string)); err != nil {
			return usagef("config %s: %s: %v", path, name, err)
		}
	}
	src := altsrc.NewMapInputSource(path, settings)
	if err := altsrc.ApplyInputSourceValues(c, src, own); err != nil {
		return usagef("config %s: %v", path, err)
	}
	return nil
}

// readConfig reads the config file at path, refusing one that another user
// could have written.
func readConfig(path string) ([]byte, error) {
	// Non-blocking: a FIFO would wait for a writer, past any Ctrl-C; opened
	// so, it is refused as not a regular file.
	f, err := os.OpenFile(path, os.O_RDONLY|openNonblock, 0)
	if err != nil {
		return nil, fmt.Errorf("read --%s: %w", flgConfig, err)
	}
	defer f.Close()
	// The checks are on the file opened, not on whatever the path names next.
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read --%s: %w", flgConfig, err)
	}
	if err := checkConfigFile(path, fi); err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(f, maxConfigSize+1))
	if err != nil {
		return nil, fmt.Errorf("read --%s %s: %w", flgConfig, path, err)
	}
	if len(b) > maxConfigSize {
		return nil, usagef("config %s is larger than %d bytes: a config file holds flags only", path, maxConfigSize)
	}
	return b, nil
}

// checkConfigFile refuses a config file that is not a regular file, that
// group or others may write, or that belongs to someone else than this
// user or root: whoever can write it chooses which files record reads its
// secrets from, and where it sends them.
func checkConfigFile(path string, fi fs.FileInfo) error {
	if !fi.Mode().IsRegular() {
		return usagef("config %s is not a regular file", path)
	}
	if perm := fi.Mode().Perm(); fileModes && perm&0o022 != 0 {
		return usagef("config %s is writable by group or others (mode %04o): run chmod go-w %s", path, perm, path)
	}
	if uid, ok := fileOwner(fi); ok && uid != 0 && uid != os.Geteuid() {
		return usagef("config %s belongs to uid %d, neither this user (%d) nor root: chown it", path, uid, os.Geteuid())
	}
	return nil
}

// parseConfig reads a config file's YAML: a mapping of flag names to
// values. values says how to read the value of each of the command's flag
// names (aliases included), global names the application's flags, whose
// values are kept as their text. It returns the values by flag name, as
// altsrc's map source takes them, and refuses any other key, a name given
// twice, and a value its flag cannot take, naming the line.
func parseConfig(b []byte, values map[string]configValue, global map[string]bool) (map[any]any, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%v: fix its YAML", err)
	}
	settings := map[any]any{}
	if doc.Kind == 0 {
		return settings, nil // empty: nothing set
	}
	top := resolve(doc.Content[0])
	if top.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: want one `flag-name: value` per line, not a %s", top.Line, kindName(top))
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(top.Content); i += 2 {
		k, v := resolve(top.Content[i]), resolve(top.Content[i+1])
		name := k.Value
		if k.Kind != yaml.ScalarNode || (values[name] == nil && !global[name]) {
			return nil, unknownKeyError{key: name, line: k.Line}
		}
		if line, dup := seen[name]; dup {
			return nil, fmt.Errorf("line %d: %s is given again (first on line %d)", k.Line, name, line)
		}
		seen[name] = k.Line
		read := values[name]
		if global[name] {
			read = yamlText
		}
		val, err := read(v)
		if err != nil {
			return nil, fmt.Errorf("line %d: %s: %w", v.Line, name, err)
		}
		settings[name] = val
	}
	return settings, nil
}

// unknownKeyError is returned for a key of a config file that names no
// flag.
type unknownKeyError struct {
	key  string
	line int
}

func (e unknownKeyError) Error() string {
	return fmt.Sprintf("line %d: %q is not a flag of this command", e.line, e.key)
}

// errNoValue is returned for a key without a value (`heartbeat:`).
var errNoValue = errors.New("no value: give one, or remove the key for the default")

// resolve follows YAML aliases (*anchor) to the node they name.
func resolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// kindName names a YAML node's kind for an error message.
func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "list"
	case yaml.MappingNode:
		return "mapping"
	}
	return "single value"
}

// isNull says whether n is YAML's null (`key:`, `key: ~`).
func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

// yamlText reads a single value as the text written, as the command line
// would take it: `conf-id: 0123` is "0123", not the number 83.
func yamlText(n *yaml.Node) (any, error) {
	if isNull(n) {
		return nil, errNoValue
	}
	if n.Kind != yaml.ScalarNode {
		return nil, fmt.Errorf("want a single value, not a %s", kindName(n))
	}
	return n.Value, nil
}

// yamlTexts reads a list of values, or a single one, as their text (see
// yamlText), as altsrc takes a string slice.
func yamlTexts(n *yaml.Node) (any, error) {
	if n.Kind != yaml.SequenceNode {
		v, err := yamlText(n)
		if err != nil {
			return nil, err
		}
		return []any{v}, nil
	}
	out := make([]any, 0, len(n.Content))
	for _, item := range n.Content {
		v, err := yamlText(resolve(item))
		if err != nil {
			return nil, fmt.Errorf("item %d: %w", len(out)+1, err)
		}
		out = append(out, v)
	}
	return out, nil
}

// yamlScalar returns a configValue that decodes a single value into a T,
// described as what for an error.
func yamlScalar[T any](what string) configValue {
	return func(n *yaml.Node) (any, error) {
		if isNull(n) {
			return nil, errNoValue
		}
		if n.Kind != yaml.ScalarNode {
			return nil, fmt.Errorf("want %s, not a %s", what, kindName(n))
		}
		var v T
		if err := n.Decode(&v); err != nil {
			return nil, fmt.Errorf("%q is not %s", n.Value, what)
		}
		return v, nil
	}
}
