package cli

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// chainHead is the chain head `confrec info` shows of a meeting.
func chainHead(t *testing.T, db, id string) string {
	t.Helper()
	var info struct {
		Chain string `json:"chain_head"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, nil, "--db", db, "info", id, "--format", "json").stdout), &info); err != nil {
		t.Fatal(err)
	}
	if len(info.Chain) != 64 {
		t.Fatalf("info shows chain head %q", info.Chain)
	}
	return info.Chain
}

// TestExportReportIntegrity: the report's integrity block, through the CLI,
// of a recorded meeting without and with the manifest `confrec seal`
// wrote, and of a manifest that does not match.
func TestExportReportIntegrity(t *testing.T) {
	t.Parallel()
	db := shortDB(t)
	head := chainHead(t, db, "555000111")
	dir := t.TempDir()
	manifest := filepath.Join(dir, "manifest.json")
	mustRun(t, nil, "--db", db, "seal", "555000111", "-o", manifest)
	raw, err := os.ReadFile(manifest)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(raw)
	var m struct {
		ExportSHA256 string `json:"export_sha256"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	tampered := filepath.Join(dir, "tampered.json")
	bad := strings.Replace(string(raw), m.ExportSHA256, strings.Repeat("0", 64), 1)
	if err := os.WriteFile(tampered, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	badSum := sha256.Sum256([]byte(bad))

	chainOK := `<dd id="chain-head">` + head + `</dd>`
	verified := `<dd id="chain-verify" class="ok">ok: the chain recomputed from the `
	tests := []struct {
		name   string
		args   []string
		want   []string
		absent []string
	}{
		{"no manifest", nil,
			[]string{chainOK, verified, `<dd id="seal">no manifest given`},
			[]string{`id="seal-manifest"`}},
		{"the seal's manifest", []string{"--manifest", manifest},
			[]string{chainOK, verified,
				`<dd id="seal-manifest">` + hex.EncodeToString(sum[:]) + `</dd>`,
				`<dd id="seal-export">` + m.ExportSHA256 + `</dd>`,
				`<dd id="seal-signature">unsigned</dd>`,
				`<dd id="seal-verify" class="ok">ok: the database holds exactly what was sealed</dd>`},
			[]string{`class="bad"`}},
		{"a manifest that does not match", []string{"--manifest", tampered},
			[]string{chainOK, verified,
				`<dd id="seal-manifest">` + hex.EncodeToString(badSum[:]) + `</dd>`,
				`<dd id="seal-verify" class="bad">FAILED: verify meeting 555000111: export_sha256 does not match the manifest`},
			nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := mustRun(t, nil, append([]string{"--db", db, "export", "report", "555000111"}, tt.args...)...).stdout
			for _, s := range append(tt.want, `by confrec <span id="version">`+buildVersion()+`</span>.`) {
				if !strings.Contains(out, s) {
					t.Errorf("the report lacks %q", s)
				}
			}
			for _, s := range tt.absent {
				if strings.Contains(out, s) {
					t.Errorf("the report has %q", s)
				}
			}
		})
	}

	for _, args := range [][]string{
		{"--manifest", manifest, "555000999"}, // another meeting
		{"--pub-key", manifest, "555000111"},  // a key without a manifest
		{"--manifest", "/nonexistent/manifest", "555000111"},
	} {
		r := run(t, nil, append([]string{"--db", db, "export", "report"}, args...)...)
		if r.code == 0 || r.stdout != "" {
			t.Errorf("export report %s: exit %d, %d bytes out; want a refusal", strings.Join(args, " "), r.code, len(r.stdout))
		}
	}
}
