package cli

import (
	"strings"

	"github.com/urfave/cli/v2"
)

// normalizeArgs reorders a command line so that urfave/cli v2, which stops
// reading flags at the first positional argument, sees every flag:
//
//	confrec export frames 123 --format csv --db x.db
//
// becomes
//
//	confrec --db x.db export frames --format csv 123
//
// Global flags move before the command, the command's own flags (with their
// values) before its positional arguments. Unknown flags stay where they are,
// so cli still reports them, and everything after "--" is left alone.
func normalizeArgs(app *cli.App, args []string) []string {
	if len(args) < 2 {
		return args
	}
	var global, path, own, positional []string
	cmds := app.Commands
	var leaf *cli.Command
	rest := args[1:]
	for i := 0; i < len(rest); i++ {
		tok := rest[i]
		if tok == "--" {
			positional = append(positional, rest[i:]...)
			break
		}
		if isFlagToken(tok) {
			if n := flagTokens(app.Flags, rest[i:]); n > 0 {
				global = append(global, rest[i:i+n]...)
				i += n - 1
				continue
			}
			if leaf != nil {
				if n := flagTokens(leaf.Flags, rest[i:]); n > 0 {
					own = append(own, rest[i:i+n]...)
					i += n - 1
					continue
				}
			}
			own = append(own, tok) // unknown: cli reports it
			continue
		}
		if len(positional) == 0 {
			if c := findCommand(cmds, tok); c != nil {
				path = append(path, tok)
				leaf, cmds = c, c.Subcommands
				continue
			}
		}
		positional = append(positional, tok)
	}
	out := make([]string, 0, len(args))
	out = append(out, args[0])
	out = append(out, global...)
	out = append(out, path...)
	out = append(out, own...)
	return append(out, positional...)
}

func isFlagToken(tok string) bool { return len(tok) > 1 && tok[0] == '-' }

// flagTokens returns how many tokens of toks the flag at toks[0] takes (1 or
// 2) when it is one of flags, or 0 when it is not.
func flagTokens(flags []cli.Flag, toks []string) int {
	name, _, hasValue := strings.Cut(strings.TrimLeft(toks[0], "-"), "=")
	for _, f := range flags {
		for _, n := range f.Names() {
			if n != name {
				continue
			}
			if !takesValue(f) || hasValue || len(toks) < 2 {
				return 1
			}
			return 2
		}
	}
	return 0
}

// takesValue says whether flag f takes a value (--conf-id 1), unlike a
// boolean (--insecure), whatever type wraps it (altsrc's BoolFlag for a
// command with a config file).
func takesValue(f cli.Flag) bool {
	v, ok := f.(interface{ TakesValue() bool })
	return !ok || v.TakesValue()
}

func findCommand(cmds []*cli.Command, name string) *cli.Command {
	for _, c := range cmds {
		if c.HasName(name) {
			return c
		}
	}
	return nil
}
