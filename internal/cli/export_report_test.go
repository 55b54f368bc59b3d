package cli

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/confrec/confrec/internal/chromiumtest"
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

// sealShort seals meeting 555000111 of db and returns the manifest's path,
// its bytes and their SHA-256 in hex.
func sealShort(t *testing.T, db string) (path string, raw []byte, sum string) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "manifest.json")
	mustRun(t, nil, "--db", db, "seal", "555000111", "-o", path)
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(raw)
	return path, raw, hex.EncodeToString(h[:])
}

// TestExportReportIntegrity: the report's integrity block, through the CLI,
// of a recorded meeting without and with the manifest `confrec seal`
// wrote, and of a manifest that does not match.
func TestExportReportIntegrity(t *testing.T) {
	t.Parallel()
	db := shortDB(t)
	head := chainHead(t, db, "555000111")
	manifest, raw, sum := sealShort(t, db)
	var m struct {
		ExportSHA256 string `json:"export_sha256"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	tampered := filepath.Join(t.TempDir(), "tampered.json")
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
				`<dd id="seal-manifest">` + sum + `</dd>`,
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

// reportProbe is what TestExportReportInChromium reads from the laid-out
// report: the right edges of the plot, the meeting's end, the last tick
// and the last presence bar, and the attendance and integrity blocks'
// text.
const reportProbe = `(() => {
  const right = sel => Math.max(...[...document.querySelectorAll(sel)].map(e => e.getBoundingClientRect().right));
  const text = id => document.getElementById(id).textContent;
  return {
    width: document.documentElement.clientWidth,
    plotRight: right(".lanes .plot"),
    endRight: right(".lanes .plot line.v-meeting"),
    tickRight: right(".tick"),
    presRight: right(".lanes .plot path.pres"),
    attendance: [...document.querySelectorAll(".attendance tr[data-pid]")].map(tr => [tr.dataset.pid, ...[...tr.cells].map(td => td.textContent)]),
    chainHead: text("chain-head"), chainVerify: text("chain-verify"),
    sealManifest: text("seal-manifest"), sealVerify: text("seal-verify"),
    version: text("version")
  };
})()`

// TestExportReportInChromium opens the report `export report --manifest`
// wrote of a recorded meeting in chromium at 1400 and 1920 px: the
// timeline fits, the meeting's end is drawn at the plot's right edge in
// the window, the attendance table has the rows `export attendance
// --summary` exports, the integrity block shows confrec info's chain head
// verified and the manifest's hash, the footer the version, and the page
// logs nothing.
func TestExportReportInChromium(t *testing.T) {
	t.Parallel()
	db := shortDB(t)
	manifest, _, sum := sealShort(t, db)
	report := filepath.Join(t.TempDir(), "report.html")
	mustRun(t, nil, "--db", db, "export", "report", "555000111", "--manifest", manifest, "-o", report)
	var summary []struct {
		PID         string `json:"pid"`
		Name        string `json:"name"`
		FirstJoined string `json:"first_joined"`
		LastLeft    string `json:"last_left"`
		Rejoins     int    `json:"rejoins"`
		TimesMuted  int    `json:"times_muted"`
	}
	out := mustRun(t, nil, "--db", db, "export", "attendance", "555000111", "--summary", "--format", "json").stdout
	if err := json.Unmarshal([]byte(out), &summary); err != nil {
		t.Fatal(err)
	}
	if len(summary) != 3 {
		t.Fatalf("attendance summary has %d people, want the fixture's 3", len(summary))
	}
	var want [][]string
	for _, s := range summary {
		want = append(want, []string{s.PID, s.Name, s.FirstJoined, s.LastLeft, strconv.Itoa(s.Rejoins), strconv.Itoa(s.TimesMuted)})
	}
	head := chainHead(t, db, "555000111")

	for _, width := range []int{1400, 1920} {
		stderr := chromiumtest.Fits(t, report, width, 1000, ".timeline")
		if errs := chromiumtest.PageErrors(stderr); len(errs) > 0 {
			t.Errorf("window %d: the page logged errors:\n%s", width, strings.Join(errs, "\n"))
		}
		raw, stderr := chromiumtest.Eval(t, report, width, 1000, reportProbe)
		if errs := chromiumtest.PageErrors(stderr); len(errs) > 0 {
			t.Errorf("window %d: the page logged errors:\n%s", width, strings.Join(errs, "\n"))
		}
		var got struct {
			Width                                     int
			PlotRight, EndRight, TickRight, PresRight float64
			Attendance                                [][]string
			ChainHead, ChainVerify                    string
			SealManifest, SealVerify, Version         string
		}
		if err := json.Unmarshal(raw, &got); err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		// The plot fills the window but for the page's margins (16 px
		// each side) and the room for the last tick label (30 px).
		if got.PlotRight < float64(width-16-30-1) || got.PlotRight > float64(width-16-30+1) {
			t.Errorf("window %d: the plot ends at %.1f px, want %d: it does not stretch to the window", width, got.PlotRight, width-16-30)
		}
		for what, x := range map[string]float64{"the meeting's end": got.EndRight, "the last tick label": got.TickRight, "the last presence bar": got.PresRight} {
			if x > float64(width) {
				t.Errorf("window %d: %s ends at %.1f px, past the window", width, what, x)
			}
		}
		// The meeting ends where everyone leaves: at the plot's right edge,
		// within 0.5% of the plot (the close frame comes a moment after
		// the last leave, and a recording's timing varies from run to run).
		slack := max(2, got.PlotRight/200)
		if got.EndRight < got.PlotRight-slack || got.PresRight < got.PlotRight-slack {
			t.Errorf("window %d: the meeting's end (%.1f) and the last presence bar (%.1f) are not at the plot's right edge (%.1f)",
				width, got.EndRight, got.PresRight, got.PlotRight)
		}
		var rows [][]string
		for _, r := range got.Attendance {
			if len(r) != 8 {
				t.Fatalf("window %d: attendance row %q, want pid and 7 cells", width, r)
			}
			// pid, name, first joined, last left, rejoins, times muted
			rows = append(rows, []string{r[0], r[1], r[2], r[3], r[5], r[6]})
		}
		if !slices.EqualFunc(rows, want, slices.Equal) {
			t.Errorf("window %d: attendance table\n got %q\nwant %q (export attendance --summary)", width, rows, want)
		}
		if got.ChainHead != head || !strings.HasPrefix(got.ChainVerify, "ok:") {
			t.Errorf("window %d: integrity shows chain head %s, %q; want %s (confrec info), ok", width, got.ChainHead, got.ChainVerify, head)
		}
		if got.SealManifest != sum || !strings.HasPrefix(got.SealVerify, "ok:") {
			t.Errorf("window %d: integrity shows manifest %s, %q; want %s, ok", width, got.SealManifest, got.SealVerify, sum)
		}
		if got.Version != buildVersion() {
			t.Errorf("window %d: the footer shows version %q, want %q", width, got.Version, buildVersion())
		}
	}
}
