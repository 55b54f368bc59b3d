package chromiumtest_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/confrec/confrec/internal/chromiumtest"
)

// TestPageErrors checks that PageErrors sees what a broken page logs, so
// that a test finding no page errors cannot pass by seeing nothing.
func TestPageErrors(t *testing.T) {
	page := filepath.Join(t.TempDir(), "broken.html")
	html := `<!DOCTYPE html><html><head><title>broken</title></head><body><script>throw new Error("kaboom")</script></body></html>`
	if err := os.WriteFile(page, []byte(html), 0o600); err != nil {
		t.Fatal(err)
	}
	_, stderr := chromiumtest.Run(t, "--dump-dom", chromiumtest.FileURL(page))
	errs := chromiumtest.PageErrors(stderr)
	if !slices.ContainsFunc(errs, func(s string) bool { return strings.Contains(s, "kaboom") }) {
		t.Errorf("the uncaught error was not seen; page errors: %q", errs)
	}
}

// TestEval checks that Eval lays the page out in the window asked for and
// brings back what the expression found there, quotes and markup included.
func TestEval(t *testing.T) {
	page := filepath.Join(t.TempDir(), "page.html")
	html := `<!DOCTYPE html><html><head><title>a "quoted" &amp; &lt;b&gt; title</title></head><body><div id="box" style="width:100%;height:10px"></div></body></html>`
	if err := os.WriteFile(page, []byte(html), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, width := range []int{1400, 1920} {
		raw, stderr := chromiumtest.Eval(t, page, width, 900,
			`{inner: innerWidth, box: document.getElementById("box").getBoundingClientRect().width, title: document.title}`)
		if errs := chromiumtest.PageErrors(stderr); len(errs) > 0 {
			t.Errorf("page errors: %q", errs)
		}
		var got struct {
			Inner int     `json:"inner"`
			Box   float64 `json:"box"`
			Title string  `json:"title"`
		}
		if err := json.Unmarshal(raw, &got); err != nil {
			t.Fatalf("result %s: %v", raw, err)
		}
		if got.Inner != width || got.Box != float64(width-16) || got.Title != `a "quoted" & <b> title` {
			t.Errorf("window %d: got %+v, want the window %d wide, a box 16 px narrower (body margins), the title", width, got, width)
		}
	}
}

// errorsTB records what a test would report, to check that Fits fails.
type errorsTB struct {
	testing.TB
	errs []string
}

func (e *errorsTB) Errorf(format string, args ...any) {
	e.errs = append(e.errs, fmt.Sprintf(format, args...))
}

// TestFits checks that Fits passes a page that fits the window and fails
// one with an element past its right edge.
func TestFits(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		wants []string // in what Fits reports; none: it passes
	}{
		{"fits", `<div class="tl"><svg viewBox="0 0 1320 20" preserveAspectRatio="none" width="100%" height="20"><rect width="1320" height="20"/></svg></div>`, nil},
		{"fixed width", `<div class="tl"><svg width="1560" height="20"><rect class="bar" width="1560" height="20"/></svg></div>`,
			[]string{"the page is 1568 px wide", "rect.bar right=1568"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page := filepath.Join(t.TempDir(), "page.html")
			if err := os.WriteFile(page, []byte(`<!DOCTYPE html><html><body>`+tt.body+`</body></html>`), 0o600); err != nil {
				t.Fatal(err)
			}
			e := &errorsTB{TB: t}
			chromiumtest.Fits(e, page, 1400, 900, ".tl")
			got := strings.Join(e.errs, "\n")
			if len(tt.wants) == 0 && got != "" {
				t.Errorf("Fits failed a page that fits:\n%s", got)
			}
			for _, w := range tt.wants {
				if !strings.Contains(got, w) {
					t.Errorf("Fits reported\n%s\nwithout %q", got, w)
				}
			}
		})
	}
}
