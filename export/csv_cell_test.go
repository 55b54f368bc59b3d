package export

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestAppendCSVCell(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"", ""},
		{"plain", "plain"},
		{"Zoë 王芳", "Zoë 王芳"},
		{"a,b", `"a,b"`},
		{`say "hi"`, `"say ""hi"""`},
		{"a\nb", "\"a\nb\""},
		{"a\r\nb", "\"a\r\nb\""},
		{"a\rb", "\"a\rb\""},
		{"end\r", "\"end\r\""},
		{" lead", `" lead"`},
		{"bad \xff\xfe", "bad \uFFFD\uFFFD"},
		{"\xff=", "\uFFFD="},
		// Formula triggers get a ', inside the quotes when there are any.
		{`=HYPERLINK("http://x","y")`, `"'=HYPERLINK(""http://x"",""y"")"`},
		{"=1+1", "'=1+1"},
		{"+1-555-0100", "'+1-555-0100"},
		{"-2+3", "'-2+3"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\tx", "\"'\tx\""}, // quoted too: it starts with a space
		{"\rx", "\"'\rx\""},
		{"-", "'-"},
		{"+", "'+"},
		{"-1.", "'-1."},
		{"-.5", "'-.5"},
		{"-1e", "'-1e"},
		{"-0x1F", "'-0x1F"},
		{"-Infinity", "'-Infinity"},
		{"+3 ", "'+3 "},
		// So does a cell that starts with ' itself: one leading ' always
		// comes off.
		{"'", "''"},
		{"'quoted", "''quoted"},
		{"''", "'''"},
		{"'=1", "''=1"},
		// Plain decimal numbers stay as they are.
		{"-5", "-5"},
		{"+3", "+3"},
		{"-1.5", "-1.5"},
		{"-1.5e3", "-1.5e3"},
		{"+2E-7", "+2E-7"},
		{"+99111283400117402", "+99111283400117402"},
		{"0", "0"},
		// Other starts are left alone.
		{"1+1", "1+1"},
		{"%x", "%x"},
		{"|x", "|x"},
		{"\nx", "\"\nx\""},
	}
	for _, tt := range tests {
		if got := string(appendCSVCell(nil, tt.in)); got != tt.want {
			t.Errorf("appendCSVCell(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestAppendCSVRecord(t *testing.T) {
	got := string(appendCSVRecord([]byte("x"), []string{"a", "", "=b", "c\nd"}))
	if want := "xa,,'=b,\"c\nd\"\r\n"; got != want {
		t.Errorf("appendCSVRecord = %q, want %q", got, want)
	}
}

// readCSVCell reads one cell as RFC 4180 says (quoted or not) and applies
// the README's rule: one leading ' is not part of the value.
func readCSVCell(cell string) (string, error) {
	var v string
	if strings.HasPrefix(cell, `"`) {
		if len(cell) < 2 || !strings.HasSuffix(cell, `"`) {
			return "", errors.New("unterminated quotes")
		}
		inner := cell[1 : len(cell)-1]
		if strings.Contains(strings.ReplaceAll(inner, `""`, ""), `"`) {
			return "", errors.New("a lone quote inside quotes")
		}
		v = strings.ReplaceAll(inner, `""`, `"`)
	} else {
		if strings.ContainsAny(cell, ",\"\r\n") {
			return "", errors.New("an unquoted cell holds a comma, quote or line break")
		}
		v = cell
	}
	return strings.TrimPrefix(v, "'"), nil
}

// FuzzCSVCell: the cell read back (RFC 4180, then one leading ' removed)
// is the input as the JSON exports show it (invalid UTF-8 as U+FFFD), and
// the cell's value never starts with = + - @ TAB or CR unless it is a
// plain number.
func FuzzCSVCell(f *testing.F) {
	for _, s := range []string{"", "plain", "a,b", `"q"`, "a\r\nb\rc\n", "=1+1", "+1-555", "-5", "-1.5e3", "@x", "\tx", "\rx", "'", "''=", "\xff", " x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cell := string(appendCSVCell(nil, s))
		got, err := readCSVCell(cell)
		if err != nil {
			t.Fatalf("cell %q of %q: %v", cell, s, err)
		}
		want := s
		if !utf8.ValidString(s) {
			b, _ := json.Marshal(s)
			if err := json.Unmarshal(b, &want); err != nil {
				t.Fatal(err)
			}
		}
		if got != want {
			t.Fatalf("cell %q of %q reads back as %q, want %q", cell, s, got, want)
		}
		value := strings.TrimPrefix(cell, `"`)
		if value != "" && strings.ContainsRune("=+-@\t\r", rune(value[0])) && !isPlainNumber(value) {
			t.Fatalf("cell %q of %q starts with %q", cell, s, value[0])
		}
	})
}
