package cli

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/confrec/confrec/importer"
	"github.com/confrec/confrec/recorder"
	"github.com/confrec/confrec/store"
)

// TestHint: the packages' errors name no flag, and the command line adds
// its advice once, at the end, keeping the error matchable.
func TestHint(t *testing.T) {
	for _, h := range hints {
		if strings.Contains(h.err.Error(), "--") {
			t.Errorf("library error %q names a flag", h.err)
		}
	}
	locked := fmt.Errorf("open store x.db: %w", store.ErrLocked)
	for _, tc := range []struct {
		name  string
		err   error
		added string // what hint appends
	}{
		{"locked", locked, " (a running `confrec record`?); stop it or use another --db"},
		{"password", fmt.Errorf("get control token: %w: HTTP 401", recorder.ErrPasswordRefused), ": check --password-file or $CONFREC_HOST_PASSWORD"},
		{"downgrade", fmt.Errorf("wsURL ws://h: %w", recorder.ErrDowngrade), " (--insecure allows it)"},
		{"cannot reconnect", recorder.ErrCannotReconnect, " (record with --password-file instead of --ws-url)"},
		{"tmpToken", recorder.ErrTmpTokenRefused, " (a fresh --ws-url, or --password-file)"},
		{"long line", fmt.Errorf("line 2: %w: %w", importer.ErrLineTooLong, importer.ErrFormat), " (raise --max-frame for larger frames)"},
		{"joined, hinted each", errors.Join(hint(locked), hint(recorder.ErrDowngrade)), ""},
		{"hinted already", hint(locked), ""},
		{"no match", errors.New("other"), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := hint(tc.err)
			if want := tc.err.Error() + tc.added; got.Error() != want {
				t.Errorf("hint(%q) = %q, want %q", tc.err, got, want)
			}
			if !errors.Is(got, tc.err) {
				t.Errorf("hint(%q) no longer matches the error", tc.err)
			}
		})
	}
	if hint(nil) != nil {
		t.Error("hint(nil) != nil")
	}
}
