package confctl_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/confrec/confrec/confctl"
)

// mark is the marker the Redactor should write for secret s.
var mark = confctl.Marker

func TestSecretNeverPrints(t *testing.T) {
	const value = "hunter2-password"
	s := confctl.Secret(value)
	type holder struct {
		Name  string
		Pass  confctl.Secret
		Token *confctl.Secret
	}
	h := holder{"n", s, &s}

	var jsonLog, textLog bytes.Buffer
	slog.New(slog.NewJSONHandler(&jsonLog, nil)).Info("m", "secret", s, "holder", h)
	slog.New(slog.NewTextHandler(&textLog, nil)).Info("m", "secret", s)
	js, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	txt, err := s.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	outputs := map[string]string{
		"%v":        fmt.Sprintf("%v", s),
		"%s":        fmt.Sprintf("<%s>", s),
		"%q":        fmt.Sprintf("%q", s),
		"%x":        fmt.Sprintf("%x", s),
		"%#v":       fmt.Sprintf("%#v", s),
		"struct %v": fmt.Sprintf("%v", h),
		"struct+v":  fmt.Sprintf("%+v", h),
		"struct#v":  fmt.Sprintf("%#v", h),
		"Sprint":    fmt.Sprint(s, h),
		"json":      string(js),
		"text":      string(txt),
		"slog json": jsonLog.String(),
		"slog text": textLog.String(),
	}
	for name, out := range outputs {
		if strings.Contains(out, value) || strings.Contains(out, hex.EncodeToString([]byte(value))) {
			t.Errorf("%s leaks the secret: %s", name, out)
		}
		if !strings.Contains(out, "[redacted]") && !strings.Contains(out, hex.EncodeToString([]byte("[redacted]"))) {
			t.Errorf("%s has no [redacted]: %s", name, out)
		}
	}
	if s.Reveal() != value {
		t.Errorf("Reveal() = %q", s.Reveal())
	}
}

func TestRedactor(t *testing.T) {
	const tok = "stb7e1c09a4d2f3b8e6a5c0d9f1e2a3b4c5d6e7f8a9b0c1d2e3"
	const pw = "804122"
	b64 := base64.StdEncoding.EncodeToString([]byte(tok))
	plus := "a+b/c=d?" // changes under base64 and query escaping
	plusB64 := base64.StdEncoding.EncodeToString([]byte(plus))
	tests := []struct {
		name    string
		secrets []string
		in      string
		want    string
	}{
		{"no_secrets", nil, "plain " + tok, "plain " + tok},
		{"nothing_matches", []string{tok}, "nothing here", "nothing here"},
		{"plain", []string{tok}, "a " + tok + " b", "a " + mark(tok) + " b"},
		{"twice", []string{tok}, tok + tok, mark(tok) + mark(tok)},
		{"base64", []string{tok}, `x=` + b64, `x=` + mark(tok)},
		{"basic", []string{tok}, `{"confToken":"Basic ` + b64 + `"}`, `{"confToken":"` + mark(tok) + `"}`},
		{"two_secrets", []string{tok, pw}, pw + ":" + tok, mark(pw) + ":" + mark(tok)},
		{"query_escaped", []string{plus}, "v=" + url.QueryEscape(plus), "v=" + mark(plus)},
		{"query_escaped_base64", []string{plus}, "v=" + url.QueryEscape(plusB64), "v=" + mark(plus)},
		{"short_ignored", []string{"abc", ""}, "abc abc", "abc abc"},
		{"four_bytes", []string{"abcd"}, "xabcdx", "x" + mark("abcd") + "x"},
		{"marker_text_not_rematched", []string{"dact", "edac"}, "redacted", "r" + mark("edac") + "ted"},
		{"added_twice", []string{tok, tok}, tok, mark(tok)},
		{"empty_input", []string{tok}, "", ""},
		{"invalid_utf8", []string{tok}, "\xff" + tok + "\xfe", "\xff" + mark(tok) + "\xfe"},
	}
	// What Redact gives where it differs: a short secret counts only as a
	// whole token in a frame.
	frameWant := map[string]string{"four_bytes": "xabcdx", "marker_text_not_rematched": "redacted"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r confctl.Redactor
			for _, s := range tt.secrets {
				r.Add(s)
			}
			if got := r.RedactString(tt.in); got != tt.want {
				t.Errorf("RedactString = %q, want %q", got, tt.want)
			}
			in := []byte(tt.in)
			got := r.Redact(in)
			want := tt.want
			if w, ok := frameWant[tt.name]; ok {
				want = w
			}
			if string(got) != want {
				t.Errorf("Redact = %q, want %q", got, want)
			}
			if string(in) != tt.in {
				t.Errorf("Redact modified its input")
			}
			if tt.in == want && len(in) > 0 && &got[0] != &in[0] {
				t.Errorf("Redact copied although nothing matched")
			}
		})
	}
}

func TestRedactURL(t *testing.T) {
	const tok = "wsT0ken+/=value"
	connect := confctl.ConnectURL("wss://192.0.2.1:443/", "986512347", confctl.Secret(tok))
	tests := []struct {
		name    string
		secrets []string
		in      string
		want    string
	}{
		{"connect_url_unregistered", nil, connect,
			"wss://192.0.2.1:443" + confctl.ConnectPath + "?confID=986512347&tmpToken=" + mark(tok)},
		{"connect_url_registered", []string{tok}, connect,
			"wss://192.0.2.1:443" + confctl.ConnectPath + "?confID=986512347&tmpToken=" + mark(tok)},
		{"all_params", nil, "https://h/p?token=a&confToken=b&webSocketToken=c&x=1#frag",
			"https://h/p?token=" + mark("a") + "&confToken=" + mark("b") + "&webSocketToken=" + mark("c") + "&x=1#frag"},
		{"case_insensitive", nil, "https://h/p?TMPTOKEN=abc", "https://h/p?TMPTOKEN=" + mark("abc")},
		{"similar_names_kept", nil, "https://h/p?mytoken=a&token2=b&tokens=c", "https://h/p?mytoken=a&token2=b&tokens=c"},
		{"empty_value", nil, "https://h/p?token=&a=b", "https://h/p?token=&a=b"},
		{"no_query", nil, "https://h/p", "https://h/p"},
		{"in_error_text", nil, `Get "wss://h/conn?confID=1&tmpToken=secretvalue": dial tcp: refused`,
			`Get "wss://h/conn?confID=1&tmpToken=` + mark("secretvalue") + `": dial tcp: refused`},
		{"secret_in_path", []string{"pathsecret"}, "https://h/pathsecret/x", "https://h/" + mark("pathsecret") + "/x"},
		{"not_a_url", nil, "%%%?token=x y", "%%%?token=" + mark("x") + " y"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r confctl.Redactor
			for _, s := range tt.secrets {
				r.Add(s)
			}
			if got := r.RedactURL(tt.in); got != tt.want {
				t.Errorf("RedactURL(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestRedactorErr(t *testing.T) {
	const secret = "s3cr3t-token"
	var r confctl.Redactor
	r.Add(secret)
	if r.Err(nil) != nil {
		t.Fatal("Err(nil) != nil")
	}
	inner := &url.Error{Op: "Get", URL: "https://h/x?tmpToken=other&a=" + secret, Err: fs.ErrNotExist}
	err := fmt.Errorf("dial: %w", r.Err(inner))
	msg := err.Error()
	if strings.Contains(msg, secret) || strings.Contains(msg, "other") {
		t.Errorf("Error() leaks: %s", msg)
	}
	if !strings.Contains(msg, mark(secret)) || !strings.Contains(msg, mark("other")) {
		t.Errorf("Error() lacks markers: %s", msg)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Error("errors.Is does not see through Err")
	}
	var ue *url.Error
	if !errors.As(err, &ue) || ue != inner {
		t.Error("errors.As does not see through Err")
	}
}

func TestRedactorConcurrent(t *testing.T) {
	var r confctl.Redactor
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := fmt.Sprintf("secret-%d", i)
			r.Add(s)
			for range 100 {
				if got := r.RedactString("x " + s); got != "x "+mark(s) {
					t.Errorf("RedactString = %q", got)
					return
				}
				r.Redact([]byte(s))
				r.RedactURL("https://h/?token=" + s)
			}
		}()
	}
	wg.Wait()
}

func BenchmarkRedactNoMatch(b *testing.B) {
	var r confctl.Redactor
	r.Add("stb7e1c09a4d2f3b8e6a5c0d9f1e2a3b4c5d6e7f8a9b0c1d2e3")
	r.Add("804122")
	frame := readSample(b, "ParticipantsNotify.full.json")
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		r.Redact(frame)
	}
}

// TestMarkerIsKeyed: a marker cannot be reversed by hashing guesses. For a
// six-digit password, trying all million candidates against the plain
// SHA-256 prefix finds none (the key is not the hash's), and the same
// secret gets the same marker from every Redactor of the process.
func TestMarkerIsKeyed(t *testing.T) {
	const password = "178030"
	var a, b confctl.Redactor
	a.Add(password)
	b.Add(password)
	got := a.RedactString("pwd=" + password)
	if got != b.RedactString("pwd="+password) || got != "pwd="+mark(password) {
		t.Fatalf("markers differ within a process: %q, %q", got, b.RedactString("pwd="+password))
	}
	for n := range 1_000_000 {
		guess := fmt.Sprintf("%06d", n)
		sum := sha256.Sum256([]byte(guess))
		if "[redacted:"+hex.EncodeToString(sum[:4])+"]" == mark(password) {
			t.Fatalf("the marker of %s is the plain SHA-256 of %s: reversible by brute force", password, guess)
		}
	}
}
