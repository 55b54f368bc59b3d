package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// configValues returns what parseConfig needs to read a config file of
// record: how to read each of its flags, and the global flags' names.
func configValues() (map[string]configValue, map[string]bool) {
	values := map[string]configValue{}
	for _, f := range recordCommand().Flags {
		_, v := configurable(f)
		for _, n := range f.Names() {
			values[n] = v
		}
	}
	global := map[string]bool{}
	for _, f := range globalFlags {
		for _, n := range f.Names() {
			global[n] = true
		}
	}
	return values, global
}

// TestConfigExamples: the example config of contrib/systemd and the
// README's, in its "Running as a service", set only flags of record, with
// values they take.
func TestConfigExamples(t *testing.T) {
	values, global := configValues()
	check := func(t *testing.T, yaml string) {
		t.Helper()
		if _, err := parseConfig([]byte(yaml), values, global); err != nil {
			t.Error(err)
		}
	}
	t.Run("contrib", func(t *testing.T) {
		b, err := os.ReadFile(filepath.Join(repoRoot, "contrib", "systemd", "record.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		check(t, string(b))
	})
	t.Run("README", func(t *testing.T) {
		blocks := readmeBlocks(t, "### Running as a service", "yaml")
		if len(blocks) == 0 {
			t.Fatal("README's \"Running as a service\" shows no yaml")
		}
		for _, b := range blocks {
			check(t, b)
		}
	})
}

// TestConfigUnit: the example unit starts record with the example config's
// path and gives it no secret in its environment, which `systemctl show`
// prints to any user.
func TestConfigUnit(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot, "contrib", "systemd", "confrec.service"))
	if err != nil {
		t.Fatal(err)
	}
	unit := string(b)
	for _, want := range []string{
		"\nExecStart=/usr/local/bin/confrec record --config /etc/confrec/record.yaml\n",
		"\nType=simple\n",
		"\nEnvironment=CONFREC_DB=/var/lib/confrec/confrec.db\n",
		"\nLoadCredential=app-key:",
	} {
		if !strings.Contains(unit, want) {
			t.Errorf("the unit has no %q", strings.TrimSpace(want))
		}
	}
	for _, secret := range []string{envPassword, envConfToken, "CONFREC_APP_KEY"} {
		if strings.Contains(unit, secret+"=") {
			t.Errorf("the unit sets $%s", secret)
		}
	}
}

// readmeBlocks returns the code blocks of language lang in the README's
// section under heading (a full line, such as "### Title"), up to the next
// heading of the same or a higher level.
func readmeBlocks(t *testing.T, heading, lang string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	level, _, _ := strings.Cut(heading, " ")
	_, section, ok := strings.Cut(string(b), "\n"+heading+"\n")
	if !ok {
		t.Fatalf("README has no %q", heading)
	}
	for l := len(level); l > 0; l-- {
		if i := strings.Index(section, "\n"+strings.Repeat("#", l)+" "); i >= 0 {
			section = section[:i]
		}
	}
	var blocks []string
	var cur *strings.Builder
	for line := range strings.Lines(section) {
		switch {
		case cur == nil && strings.TrimSpace(line) == "```"+lang:
			cur = &strings.Builder{}
		case cur != nil && strings.TrimSpace(line) == "```":
			blocks = append(blocks, cur.String())
			cur = nil
		case cur != nil:
			cur.WriteString(line)
		}
	}
	return blocks
}
