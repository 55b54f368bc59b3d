package cli

import "testing"

// TestPrintable: what would drive or mislead a terminal becomes spaces;
// other text, non-ASCII included, stays.
func TestPrintable(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Weekly sync", "Weekly sync"},
		{"Réunion 週会 🎉", "Réunion 週会 🎉"},
		{"a\x1b]52;c;ZWNobyBoaQ==\x07b", "a ]52;c;ZWNobyBoaQ== b"},
		{"line\r\nfake", "line  fake"},
		{"tab\there\x00", "tab here "},
		{"\u202egnp.exe", " gnp.exe"},
		{"x\u2066y\u2069\u200fz", "x y  z"},
	}
	for _, tt := range tests {
		if got := printable(tt.in); got != tt.want {
			t.Errorf("printable(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
