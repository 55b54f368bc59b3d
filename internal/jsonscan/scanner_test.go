package jsonscan

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestSkip(t *testing.T) {
	tests := []struct {
		in string
		ok bool // false also where json.Valid is true but Skip refuses
	}{
		{`{}`, true},
		{` [1, -2.5e+3, "a\u00e9\n", true, false, null, {"k\"": []}] `, true},
		{`"\ud800"`, true},
		{`01`, false},
		{`1.`, false},
		{`-`, false},
		{`1e`, false},
		{`"\x"`, false},
		{`"\u12"`, false},
		{"\"a\tb\"", false},
		{`{"a" 1}`, false},
		{`{"a":1,}`, false},
		{`[1,]`, false},
		{`[1 2]`, false},
		{`tru`, false},
		{`nul`, false},
		{`{1:2}`, false},
		{strings.Repeat("[", 3) + strings.Repeat("]", 3), true},
		{strings.Repeat("[", DefaultMaxDepth) + strings.Repeat("]", DefaultMaxDepth), false},
	}
	for _, tt := range tests {
		s := Scanner{B: []byte(tt.in)}
		ok := s.Skip(1) && s.Next() == 0 && s.I == len(s.B)
		if ok != tt.ok {
			t.Errorf("Skip(%q) = %v, want %v", tt.in, ok, tt.ok)
		}
		if ok && !json.Valid([]byte(tt.in)) {
			t.Errorf("Skip(%q) accepted invalid JSON", tt.in)
		}
	}
}

func TestMaxDepth(t *testing.T) {
	in := []byte(strings.Repeat("[", 4) + strings.Repeat("]", 4))
	for _, tt := range []struct {
		max int
		ok  bool
	}{{4, false}, {5, true}, {0, true}} {
		s := Scanner{B: in, MaxDepth: tt.max}
		if ok := s.Skip(1); ok != tt.ok {
			t.Errorf("MaxDepth %d: Skip = %v, want %v", tt.max, ok, tt.ok)
		}
	}
}

func TestStrings(t *testing.T) {
	tests := []struct {
		in           string
		key, str     string
		keyOK, strOK bool
	}{
		{` "action"`, "action", "action", true, true},
		{`""`, "", "", true, true},
		{`"é"`, "", "é", false, true},
		{"\"\xff\"", "", "", false, false},
		{`"a\"b"`, "", "", false, false},
		{"\"a\nb\"", "", "", false, false},
		{`"abc`, "", "", false, false},
		{`1`, "", "", false, false},
	}
	for _, tt := range tests {
		s := Scanner{B: []byte(tt.in)}
		k, ok := s.Key()
		if ok != tt.keyOK || ok && string(k) != tt.key {
			t.Errorf("Key(%q) = %q, %v; want %q, %v", tt.in, k, ok, tt.key, tt.keyOK)
		}
		s = Scanner{B: []byte(tt.in)}
		v, ok := s.String()
		if ok != tt.strOK || ok && string(v) != tt.str {
			t.Errorf("String(%q) = %q, %v; want %q, %v", tt.in, v, ok, tt.str, tt.strOK)
		}
	}
}

func TestInteger(t *testing.T) {
	tests := []struct {
		in string
		n  int64
		ok bool
	}{
		{" 0", 0, true},
		{"-12", -12, true},
		{"9223372036854775807", 9223372036854775807, true},
		{"-9223372036854775808", -9223372036854775808, true},
		{"9223372036854775808", 0, false},
		{"1.0", 0, false},
		{"1e2", 0, false},
		{"-", 0, false},
		{"007", 0, false},
	}
	for _, tt := range tests {
		s := Scanner{B: []byte(tt.in)}
		n, ok := s.Integer()
		if ok != tt.ok || ok && n != tt.n {
			t.Errorf("Integer(%q) = %d, %v; want %d, %v", tt.in, n, ok, tt.n, tt.ok)
		}
	}
}

func TestNoAllocs(t *testing.T) {
	b := []byte(`{"action":"x","data":[1,{"a":"\u00e9"},null,true]}`)
	if n := testing.AllocsPerRun(100, func() {
		s := Scanner{B: b}
		if !s.Skip(1) {
			t.Fatal("Skip failed")
		}
	}); n != 0 {
		t.Errorf("Skip allocates %v times", n)
	}
}
