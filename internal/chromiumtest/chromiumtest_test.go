package chromiumtest_test

import (
	"encoding/json"
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
