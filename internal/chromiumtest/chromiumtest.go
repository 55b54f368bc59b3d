// Package chromiumtest opens pages in a real browser for tests: Debian's
// chromium, headless, with nothing from the network and a fresh profile.
//
// # Basics
//
// [Run] runs the browser with the given arguments after the common flags
// and returns what it wrote; [PageErrors] picks the page's console messages
// and uncaught exceptions out of its log. [Eval] loads a copy of a page in
// a window of a given size, evaluates a JavaScript expression there once
// the page is parsed, and returns the expression's value as JSON: how tests
// measure a laid-out page without a DevTools client. [Fits] fails a test
// whose page does not fit a window's width.
//
// # Caveats
//
// .ci/deps installs chromium. Without it the tests fail rather than skip:
// a page nobody opened is not proven to open. Scrollbars are hidden, so a
// page's viewport is the whole window width.
package chromiumtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Timeout bounds one run of the browser.
const Timeout = 2 * time.Minute

// Path returns the browser's path, failing the test when there is none.
func Path(t testing.TB) string {
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

// Run runs headless chromium with args after the common flags (no sandbox,
// for root in CI; nothing from the network; a fresh profile in a temporary
// directory) and returns its stdout and stderr. Console messages of the
// page go to stderr. A browser that fails or outlives Timeout fails the
// test.
func Run(t testing.TB, args ...string) (stdout, stderr []byte) {
	t.Helper()
	bin := Path(t)
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(t.Context(), Timeout)
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

// PageErrors returns the lines of chromium's log that come from the page:
// console messages and uncaught exceptions.
func PageErrors(stderr []byte) []string {
	var errs []string
	for line := range strings.Lines(string(stderr)) {
		if strings.Contains(line, ":CONSOLE") || strings.Contains(line, "Uncaught") {
			errs = append(errs, strings.TrimSpace(line))
		}
	}
	return errs
}

// FileURL is the file:// URL of an absolute path.
func FileURL(path string) string {
	return "file://" + filepath.ToSlash(path)
}

// evalAttr is the attribute of <html> that Eval's script writes its result
// to; the dumped DOM carries it out of the browser.
const evalAttr = "data-chromiumtest-result"

// evalRE finds the result in the dumped DOM.
var evalRE = regexp.MustCompile(evalAttr + `="([^"]*)"`)

// Eval loads a copy of the page at path (in a temporary directory: a
// relative link would not reach), with a script appended that
// evaluates expr, in a window width × height CSS pixels, and returns the
// value of expr as JSON, and chromium's log. expr runs when the page has
// been parsed; reading a size from the page lays it out first. expr must
// not log to the console: PageErrors would see it. A script that throws
// fails the test.
func Eval(t testing.TB, path string, width, height int, expr string) (result, stderr []byte) {
	t.Helper()
	page, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read page: %v", err)
	}
	probe := filepath.Join(t.TempDir(), "probe-"+filepath.Base(path))
	script := fmt.Sprintf(`<script>document.documentElement.setAttribute(%q, JSON.stringify((%s)));</script>`, evalAttr, expr)
	if err := os.WriteFile(probe, append(page, script...), 0o600); err != nil {
		t.Fatalf("write page: %v", err)
	}
	dom, stderr := Run(t, fmt.Sprintf("--window-size=%d,%d", width, height), "--dump-dom", FileURL(probe))
	m := evalRE.FindSubmatch(dom)
	if m == nil {
		t.Fatalf("the script evaluating %s left no result; page errors:\n%s", expr, strings.Join(PageErrors(stderr), "\n"))
	}
	return []byte(html.UnescapeString(string(m[1]))), stderr
}

// fitsExpr finds what passes the window's right edge: the elements matching
// a selector (%[1]s) or inside one whose right edge is past the viewport's.
const fitsExpr = `(() => {
  const w = document.documentElement.clientWidth, over = [];
  for (const el of document.querySelectorAll(%[1]s + ", " + %[1]s + " *")) {
    const r = el.getBoundingClientRect();
    if ((r.width > 0 || r.height > 0) && r.right > w + 0.5) {
      over.push(el.tagName + (el.getAttribute("class") ? "." + el.getAttribute("class") : "") + " right=" + r.right);
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, clientWidth: w, over: over.slice(0, 20), n: over.length};
})()`

// Fits loads the page at path in a window width × height CSS pixels and
// fails the test when the page scrolls sideways (its scrollWidth is more
// than the viewport's width) or an element matching selector, or inside
// one, has its right edge past the viewport's. It returns chromium's log.
func Fits(t testing.TB, path string, width, height int, selector string) (stderr []byte) {
	t.Helper()
	raw, stderr := Eval(t, path, width, height, fmt.Sprintf(fitsExpr, strconv.Quote(selector)))
	var fit struct {
		ScrollWidth, ClientWidth int
		Over                     []string
		N                        int
	}
	if err := json.Unmarshal(raw, &fit); err != nil {
		t.Fatalf("fits: %s: %v", raw, err)
	}
	if fit.ClientWidth != width {
		t.Errorf("window %d px: the viewport is %d px wide", width, fit.ClientWidth)
	}
	if fit.ScrollWidth > fit.ClientWidth {
		t.Errorf("window %d px: the page is %d px wide: it scrolls sideways", width, fit.ScrollWidth)
	}
	if fit.N > 0 {
		t.Errorf("window %d px: %d elements of %s pass its right edge, among them:\n%s", width, fit.N, selector, strings.Join(fit.Over, "\n"))
	}
	return stderr
}
