package export_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/confrec/confrec/export"
	"github.com/confrec/confrec/internal/chromiumtest"
)

// The report is checked in a real browser: Debian's chromium, headless
// (package chromiumtest). .ci/deps installs it; without it these tests fail
// rather than skip, since a report nobody opened is not proven to open.

// shotWidth and shotHeight are the window of the screenshots: an analyst's
// laptop.
const shotWidth, shotHeight = 1400, 1200

// fitWidths are the windows the timeline must fit without cutting off the
// meeting's end: a laptop's and a desktop's.
var fitWidths = []int{1400, 1920}

// maxKeptShot is the largest screenshot kept in testdata/ by -update.
const maxKeptShot = 192 << 10

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

			dom, stderr := chromiumtest.Run(t, "--dump-dom", chromiumtest.FileURL(page))
			if errs := chromiumtest.PageErrors(stderr); len(errs) > 0 {
				t.Errorf("the page logged errors:\n%s", strings.Join(errs, "\n"))
			}
			if !bytes.Contains(dom, []byte("<title>"+tt.title+"</title>")) || !bytes.Contains(dom, []byte("<h1>"+tt.title+"</h1>")) {
				t.Errorf("the loaded page lacks the title %q", tt.title)
			}
			if got := lanePIDs(dom); !slices.Equal(got, want) {
				t.Errorf("the loaded page has %d lanes, want one per participant (%d) in order of first join", len(got), len(want))
			}
			for _, w := range fitWidths {
				stderr := chromiumtest.Fits(t, page, w, shotHeight, ".timeline")
				if errs := chromiumtest.PageErrors(stderr); len(errs) > 0 {
					t.Errorf("the page logged errors:\n%s", strings.Join(errs, "\n"))
				}
			}

			shot := filepath.Join(dir, "shot.png")
			_, stderr = chromiumtest.Run(t, "--screenshot="+shot, fmt.Sprintf("--window-size=%d,%d", shotWidth, shotHeight), chromiumtest.FileURL(page))
			if errs := chromiumtest.PageErrors(stderr); len(errs) > 0 {
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

// TestReportHostileTextInChromium writes a report whose title, owner,
// names and session error are markup and script, and checks in the browser
// that they are shown as text: no element or script came from them, and
// nothing ran.
func TestReportHostileTextInChromium(t *testing.T) {
	const (
		title = `</title><script>console.error("xss title")</script>Weekly`
		name  = `<img src=x onerror=f()>Mallory` // short enough for a lane label
	)
	in := smallReport()
	in.Meeting.Title, in.Meeting.Owner = title, `<svg onload="console.error('xss owner')">`
	in.Summary[0].Name, in.Presences[0].Name = name, name
	in.Sessions[0].Err = `<script>console.error("xss session")</script>`
	page := filepath.Join(t.TempDir(), "report.html")
	if err := os.WriteFile(page, renderReport(t, in), 0o600); err != nil {
		t.Fatal(err)
	}
	raw, stderr := chromiumtest.Eval(t, page, 1400, 900, `{
		title: document.title,
		h1: document.querySelector("h1").textContent,
		name: document.querySelector(".attendance tr[data-pid=p1] td").textContent,
		label: document.querySelector(".labels .label[data-pid=p1] text").firstChild.textContent,
		scripts: document.scripts.length,
		imgs: document.querySelectorAll("img").length,
		svgs: document.querySelectorAll("svg[onload]").length
	}`)
	if errs := chromiumtest.PageErrors(stderr); len(errs) > 0 {
		t.Errorf("the page logged errors (a script from the meeting ran?):\n%s", strings.Join(errs, "\n"))
	}
	var got struct {
		Title, H1, Name, Label string
		Scripts, Imgs, Svgs    int
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	want := struct {
		Title, H1, Name, Label string
		Scripts, Imgs, Svgs    int
	}{title, title, name, name, 1, 0, 0} // the one script is Eval's
	if got != want {
		t.Errorf("in the browser\n got %+v\nwant %+v", got, want)
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
