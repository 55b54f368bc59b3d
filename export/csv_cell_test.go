package export

import (
	"testing"
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
		// Other starts are left alone.
		{"1+1", "1+1"},
		{"=1+1", "=1+1"},
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
	got := string(appendCSVRecord([]byte("x"), []string{"a", "", "b", "c\nd"}))
	if want := "xa,,b,\"c\nd\"\r\n"; got != want {
		t.Errorf("appendCSVRecord = %q, want %q", got, want)
	}
}
