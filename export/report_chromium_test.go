package export_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/confrec/confrec/export"
)

// The report is checked in a real browser: Debian's chromium, headless.
// .ci/deps installs it; without it these tests fail rather than skip, since a
// report nobody opened is not proven to open.

// chromiumTimeout bounds one run of the browser.
const chromiumTimeout = 2 * time.Minute

// shotWidth and shotHeight are the window of the screenshots.
const shotWidth, shotHeight = 1600, 1200

// maxKeptShot is the largest screenshot kept in testdata/ by -update.
const maxKeptShot = 150 << 10

// chromium returns the browser's path, failing the test when there is none.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("install chromium: apt-get install -y chromium")
	}
	t.Fatal("chromium not found; this test does not skip: install it (apt-get install -y chromium)")
	return ""
}

// runChromium runs headless chromium with args after the common flags
// (no sandbox, for root in CI; nothing from the network; a fresh profile)
// and returns its stdout and stderr. Console messages of the page go to
// stderr.
func runChromium(t *testing.T, args ...string) (stdout, stderr []byte) {
	t.Helper()
	bin := chromium(t)
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(t.Context(), chromiumTimeout)
	defer cancel()
	args = append([]string{
		"--headless",
		"--no-sandbox",
		"--disable-gpu",
		"--disable-dev-shm-usage",
		"--disable-quic",
		"--no-first-run",
		"--disable-background-networking",
		"--disable-component-update",
		"--disable-sync",
		"--disable-extensions",
		"--hide-scrollbars",
		"--user-data-dir=" + filepath.Join(dir, "profile"),
		"--enable-logging=stderr",
		"--v=0",
	}, args...)
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_CONFIG_HOME="+dir, "XDG_CACHE_HOME="+dir)
	cmd.WaitDelay = 10 * time.Second
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\nstderr:\n%s", bin, strings.Join(args, " "), err, errb.Bytes())
	}
	return out.Bytes(), errb.Bytes()
}

// pageErrors returns the lines of chromium's log that come from the page:
// console messages and uncaught exceptions. The report runs no script, so
// any is an error.
func pageErrors(stderr []byte) []string {
	var errs []string
	for line := range strings.Lines(string(stderr)) {
		if strings.Contains(line, ":CONSOLE") || strings.Contains(line, "Uncaught") {
			errs = append(errs, strings.TrimSpace(line))
		}
	}
	return errs
}

// fileURL is the file:// URL of an absolute path.
func fileURL(path string) string {
	return "file://" + filepath.ToSlash(path)
}

func TestReportInChromium(t *testing.T) {
	tests := []struct {
		name  string
		input func() *export.ReportInput
		title string
		keep  string // where -update keeps the screenshot, if small
	}{
		{"small", smallReport, "Weekly sync", filepath.Join("testdata", "report-small.png")},
		{"500 people 10 hours", bigInput, "All-day workshop", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.input()
			var want []string
			for _, s := range in.Summary {
				want = append(want, s.PID)
			}
			dir := t.TempDir()
			page := filepath.Join(dir, "report.html")
			if err := os.WriteFile(page, renderReport(t, in), 0o600); err != nil {
				t.Fatal(err)
			}

			dom, stderr := runChromium(t, "--dump-dom", fileURL(page))
			if errs := pageErrors(stderr); len(errs) > 0 {
				t.Errorf("the page logged errors:\n%s", strings.Join(errs, "\n"))
			}
			if !bytes.Contains(dom, []byte("<title>"+tt.title+"</title>")) || !bytes.Contains(dom, []byte("<h1>"+tt.title+"</h1>")) {
				t.Errorf("the loaded page lacks the title %q", tt.title)
			}
			if got := lanePIDs(dom); !slices.Equal(got, want) {
				t.Errorf("the loaded page has %d lanes, want one per participant (%d) in order of first join", len(got), len(want))
			}

			shot := filepath.Join(dir, "shot.png")
			_, stderr = runChromium(t, "--screenshot="+shot, fmt.Sprintf("--window-size=%d,%d", shotWidth, shotHeight), fileURL(page))
			if errs := pageErrors(stderr); len(errs) > 0 {
				t.Errorf("the page logged errors:\n%s", strings.Join(errs, "\n"))
			}
			raw, err := os.ReadFile(shot)
			if err != nil {
				t.Fatalf("no screenshot: %v", err)
			}
			img, err := png.Decode(bytes.NewReader(raw))
			if err != nil {
				t.Fatalf("screenshot: %v", err)
			}
			if b := img.Bounds(); b.Dx() != shotWidth || b.Dy() != shotHeight {
				t.Errorf("screenshot is %v, want %dx%d", b, shotWidth, shotHeight)
			}
			// The presence bars' colour is on screen: the SVG was drawn.
			if n := countColour(img, color.RGBA{0xb7, 0xd2, 0xef, 0xff}); n < 1000 {
				t.Errorf("screenshot has %d pixels of presence bars, want the timeline drawn", n)
			}
			if *update && tt.keep != "" && len(raw) <= maxKeptShot {
				if err := os.WriteFile(tt.keep, raw, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			t.Logf("%d bytes of HTML, %d lanes, screenshot %d bytes", fileSize(t, page), len(want), len(raw))
		})
	}
}

// TestChromiumReportsPageErrors checks that pageErrors sees what a broken
// page logs, so that TestReportInChromium cannot pass by seeing nothing.
func TestChromiumReportsPageErrors(t *testing.T) {
	page := filepath.Join(t.TempDir(), "broken.html")
	html := `<!DOCTYPE html><html><head><title>broken</title></head><body><script>throw new Error("kaboom")</script></body></html>`
	if err := os.WriteFile(page, []byte(html), 0o600); err != nil {
		t.Fatal(err)
	}
	_, stderr := runChromium(t, "--dump-dom", fileURL(page))
	errs := pageErrors(stderr)
	if !slices.ContainsFunc(errs, func(s string) bool { return strings.Contains(s, "kaboom") }) {
		t.Errorf("the uncaught error was not seen; page errors: %q", errs)
	}
}

// countColour counts the pixels of img that are exactly c (opaque).
func countColour(img image.Image, c color.RGBA) int {
	var pix []byte
	switch m := img.(type) {
	case *image.NRGBA:
		pix = m.Pix
	case *image.RGBA:
		pix = m.Pix
	default: // not what chromium writes; the slow way
		n := 0
		b := img.Bounds()
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				if color.RGBAModel.Convert(img.At(x, y)) == c {
					n++
				}
			}
		}
		return n
	}
	n := 0
	for i := 0; i+3 < len(pix); i += 4 {
		if pix[i] == c.R && pix[i+1] == c.G && pix[i+2] == c.B && pix[i+3] == c.A {
			n++
		}
	}
	return n
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}
