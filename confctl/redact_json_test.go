package confctl_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/confrec/confrec/confctl"
)

// passcodeMark is what a meeting passcode (pwds[].pwd) is replaced with.
const passcodeMark = "[redacted]"

func TestRedactFrame(t *testing.T) {
	const pw = "178030"                                         // a numeric host password
	const eqpw = "pass=word&1"                                  // one Gson escapes
	const tok = "stb7e1c09a4d2f3b8e6a5c0d9f1e2a3b4c5d6e7f8a9b0" // long: matches anywhere
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	allU := func(s string) string {
		var b strings.Builder
		for _, c := range []byte(s) {
			b.WriteString(`\u00`)
			b.WriteString("0123456789abcdef"[c>>4 : c>>4+1])
			b.WriteString("0123456789ABCDEF"[c&15 : c&15+1])
		}
		return b.String()
	}
	times := `{"action":"ConfDynamicInfoNotify","version":1780300740000,"createTime":1742263178030,` +
		`"startTime":"1780300740000","ADDTIME":"2025-03-18 17:80:30.178030123","msgID":"a178030b","n":1.178030e5}`
	tests := []struct {
		name    string
		secrets []string
		in      string
		want    string // "" means unchanged
	}{
		// Numbers and times that hold a short secret inside a longer run
		// of digits are left alone.
		{"inside_numbers_and_times", []string{pw}, times, ""},
		{"inside_word", []string{pw}, `{"a":"x178030","b":"178030y","c":"1780301"}`, ""},
		{"whole_string", []string{pw}, `{"a":"178030"}`, `{"a":"` + mark(pw) + `"}`},
		{"in_query", []string{pw}, `{"u":"https://h/j?pwd=178030&x=1"}`, `{"u":"https://h/j?pwd=` + mark(pw) + `&x=1"}`},
		{"gson_query_kept_around", []string{pw}, `{"u":"https://h/j?pwd\u003d178030\u0026x\u003d1"}`,
			`{"u":"https://h/j?pwd\u003d` + mark(pw) + `\u0026x\u003d1"}`},
		{"number_is_secret", []string{pw}, `{"n":178030,"m":1178030}`, `{"n":"` + mark(pw) + `","m":1178030}`},
		{"escaped_neighbour_is_a_boundary", []string{pw}, `{"a":"line\n178030\tend"}`, `{"a":"line\n` + mark(pw) + `\tend"}`},
		{"escaped_digit_neighbour", []string{pw}, `{"a":"\u0031178030"}`, ""},
		// JSON escapes of every kind.
		{"gson", []string{eqpw}, `{"pwd":"pass\u003dword\u00261"}`, `{"pwd":"` + mark(eqpw) + `"}`},
		{"all_u", []string{pw}, `{"p":"` + allU(pw) + `"}`, `{"p":"` + mark(pw) + `"}`},
		{"all_u_gson_secret", []string{eqpw}, `{"p":"x ` + allU(eqpw) + ` y"}`, `{"p":"x ` + mark(eqpw) + ` y"}`},
		{"slash", []string{"a/b/c/d1"}, `{"p":"a\/b\/c\/d1"}`, `{"p":"` + mark("a/b/c/d1") + `"}`},
		{"quote_backslash", []string{`pa"ss\wd`}, `{"p":"pa\"ss\\wd"}`, `{"p":"` + mark(`pa"ss\wd`) + `"}`},
		{"surrogates", []string{"pw😀pw"}, `{"p":"pw\ud83d\ude00pw"}`, `{"p":"` + mark("pw😀pw") + `"}`},
		// Encodings inside a decoded string.
		{"url_escaped", []string{eqpw}, `{"q":"a=pass%3Dword%261&b"}`, `{"q":"a=` + mark(eqpw) + `&b"}`},
		{"url_escaped_lower", []string{eqpw}, `{"q":"a=pass%3dword%261"}`, `{"q":"a=` + mark(eqpw) + `"}`},
		{"base64", []string{pw}, `{"a":"` + b64(pw) + `"}`, `{"a":"` + mark(pw) + `"}`},
		{"basic", []string{pw}, `{"a":"Basic ` + b64(pw) + `"}`, `{"a":"` + mark(pw) + `"}`},
		{"basic_query", []string{eqpw}, `{"a":"x=Basic+` + strings.ReplaceAll(b64(eqpw), "=", "%3D") + `"}`, `{"a":"x=` + mark(eqpw) + `"}`},
		{"base64_gson", []string{eqpw}, `{"a":"` + strings.ReplaceAll(b64(eqpw), "=", `\u003d`) + `"}`, `{"a":"` + mark(eqpw) + `"}`},
		// Long tokens match anywhere.
		{"long_token_in_word", []string{tok}, `{"a":"xx` + tok + `yy"}`, `{"a":"xx` + mark(tok) + `yy"}`},
		// Double-encoded data: the string is JSON itself.
		{"double_encoded", []string{tok}, `{"data":"{\"confToken\":\"Basic ` + b64(tok) + `\"}"}`,
			`{"data":"{\"confToken\":\"` + mark(tok) + `\"}"}`},
		{"double_encoded_gson", []string{eqpw}, `{"data":"{\"pwd\":\"pass\\u003dword\\u00261\"}"}`,
			`{"data":"{\"pwd\":\"` + mark(eqpw) + `\"}"}`},
		{"double_encoded_number", []string{pw}, `{"data":"{\"n\":178030}"}`, `{"data":"{\"n\":\"` + mark(pw) + `\"}"}`},
		{"key", []string{tok}, `{"` + tok + `":1}`, `{"` + mark(tok) + `":1}`},
		{"white_space_kept", []string{pw}, "{ \"a\" :\t\"178030\" ,\n \"b\": [ 1 , 178030 ] }\n",
			"{ \"a\" :\t\"" + mark(pw) + "\" ,\n \"b\": [ 1 , \"" + mark(pw) + "\" ] }\n"},
		{"top_level_string", []string{pw}, `"178030"`, `"` + mark(pw) + `"`},
		{"invalid_utf8_kept", []string{pw}, "{\"a\":\"\xff 178030 \xfe\"}", "{\"a\":\"\xff " + mark(pw) + " \xfe\"}"},
		// Frames that are not JSON: every encoded form, whole tokens.
		{"text", []string{pw}, "pw 178030 end", "pw " + mark(pw) + " end"},
		{"text_inside_number", []string{pw}, `{"createTime":1742263178030,"a":"x`, ""},
		{"text_gson", []string{eqpw}, `{"pwd":"pass\u003dword\u00261"`, `{"pwd":"` + mark(eqpw) + `"`},
		{"text_all_u", []string{pw}, `["` + allU(pw) + `"`, `["` + mark(pw) + `"`},
		{"text_url", []string{eqpw}, "GET /?p=pass%3Dword%261 HTTP", "GET /?p=" + mark(eqpw) + " HTTP"},
		{"text_basic", []string{pw}, "Authorization: Basic " + b64(pw) + "\r\n", "Authorization: " + mark(pw) + "\r\n"},
		{"text_escaped_neighbour", []string{pw}, `x\n178030`, `x\n` + mark(pw)},
		{"text_url_then_json_neighbour", []string{pw}, `{"u":"?pwd\u00253D178030\u0026`, `{"u":"?pwd\u00253D` + mark(pw) + `\u0026`},
		{"text_url_then_json", []string{eqpw}, `{"u":"?p=pass\u00253Dword\u0025261"`, `{"u":"?p=` + mark(eqpw) + `"`},
		{"text_escaped_backslash_neighbour", []string{pw}, `x\\n178030`, ""},
		// Meeting passcodes, whatever they are and whatever confrec knows.
		{"passcodes", nil, `{"action":"ConfBasicInfoNotify","pwds":[{"role":"chair","pwd":"804122"},{"role":"general","pwd":"31"},{"role":"audience","pwd":"x y"}]}`,
			`{"action":"ConfBasicInfoNotify","pwds":[{"role":"chair","pwd":"` + passcodeMark + `"},{"role":"general","pwd":"` + passcodeMark + `"},{"role":"audience","pwd":"` + passcodeMark + `"}]}`},
		{"passcode_escaped_key", nil, `{"pw\u0064s":[{"p\u0077d":"8\u00304122"}]}`, `{"pw\u0064s":[{"p\u0077d":"` + passcodeMark + `"}]}`},
		{"passcode_number", nil, `{"pwds":[{"pwd":804122}]}`, `{"pwds":[{"pwd":"` + passcodeMark + `"}]}`},
		{"passcode_object", nil, `{"pwds":{"pwd":"804122"}}`, `{"pwds":{"pwd":"` + passcodeMark + `"}}`},
		{"passcode_in_data", nil, `{"data":"{\"pwds\":[{\"pwd\":\"804122\"}]}"}`, `{"data":"{\"pwds\":[{\"pwd\":\"` + passcodeMark + `\"}]}"}`},
		{"passcode_already_redacted", nil, `{"pwds":[{"pwd":"[redacted]"},{"pwd":""}]}`, ""},
		{"pwd_elsewhere_kept", nil, `{"pwd":"804122","x":{"pwd":"1"},"pwds":"3"}`, ""},
		{"passcode_not_json", nil, `{"pwds":[{"role":"chair","pwd" : "804122"},{"pwd":"3175`, `{"pwds":[{"role":"chair","pwd" : "` + passcodeMark + `"},{"pwd":"` + passcodeMark},
		{"passcode_and_secret", []string{pw}, `{"pwds":[{"pwd":"178030"}],"u":"?p=178030"}`, `{"pwds":[{"pwd":"` + passcodeMark + `"}],"u":"?p=` + mark(pw) + `"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r confctl.Redactor
			for _, s := range tt.secrets {
				r.Add(s)
			}
			want := tt.want
			if want == "" {
				want = tt.in
			}
			in := []byte(tt.in)
			got := r.Redact(in)
			if string(got) != want {
				t.Errorf("Redact(%s)\n got %s\nwant %s", in, got, want)
			}
			if string(in) != tt.in {
				t.Errorf("Redact modified its input")
			}
			if tt.want == "" && &got[0] != &in[0] {
				t.Errorf("Redact copied a frame without a secret")
			}
			if json.Valid(in) && !json.Valid(got) {
				t.Errorf("Redact made invalid JSON of a JSON frame: %s", got)
			}
		})
	}
}

// TestRedactSample: in the service's ConfBasicInfoNotify, as printed (with
// its indentation), only the passcodes change.
func TestRedactSample(t *testing.T) {
	in, err := os.ReadFile(filepath.Join("testdata", "samples", "ConfBasicInfoNotify.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r confctl.Redactor
	r.Add("1742277") // inside version, createTime, startTime and more
	want := strings.NewReplacer(`"pwd": "804122"`, `"pwd": "`+passcodeMark+`"`, `"pwd": "317560"`, `"pwd": "`+passcodeMark+`"`).Replace(string(in))
	if want == string(in) {
		t.Fatal("the sample holds no passcodes")
	}
	if got := r.Redact(in); string(got) != want {
		t.Errorf("Redact(sample) =\n%s\nwant\n%s", got, want)
	}
	var nilR *confctl.Redactor
	if got := nilR.Redact(in); string(got) != want {
		t.Errorf("nil Redactor: Redact(sample) =\n%s\nwant\n%s", got, want)
	}
}

// TestRedactStringsUnchanged: strings and error texts keep the plain byte
// matching, which may blank more than a whole token.
func TestRedactStringsUnchanged(t *testing.T) {
	var r confctl.Redactor
	r.Add("178030")
	if got := r.RedactString("x178030x"); got != "x"+mark("178030")+"x" {
		t.Errorf("RedactString = %q", got)
	}
	if got := r.Redact([]byte("x178030x")); !bytes.Equal(got, []byte("x178030x")) {
		t.Errorf("Redact = %q", got)
	}
}
