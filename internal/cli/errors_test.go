package cli

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
)

// TestErrorLineNoTerminalEscapes: confrec's last line, the error, quotes
// what a token API said; control characters in it (ESC sequences, a CR
// that overwrites the line, a line break that fakes another) are written
// as spaces, so a hostile service cannot drive the terminal.
func TestErrorLineNoTerminalEscapes(t *testing.T) {
	t.Parallel()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"error_code":"E\u001b[2J","error_msg":"bad \u001b]52;c;ZXZpbA==\u0007 pw\r\nconfrec: FAKE\u009b1m"}`)
	}))
	t.Cleanup(api.Close)
	r := run(t, recordEnv(), "--db", filepath.Join(t.TempDir(), "rec.db"), "record", "--conf-id", "777", "--api-url", api.URL)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, "confrec: record meeting 777") || !strings.Contains(last, "bad") || !strings.Contains(last, "FAKE") {
		t.Fatalf("last line %q: want the error with the service's message", last)
	}
	for _, c := range last {
		if unicode.IsControl(c) {
			t.Fatalf("the error line holds the control character %U: %q", c, last)
		}
	}
}
