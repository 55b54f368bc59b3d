package cli

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// echoPassword is a host password whose every encoding differs from the
// others: it holds a space, characters JSON, Gson and URLs escape, and its
// base64 holds '+' and '/', so the URL-safe base64 is another text.
const echoPassword = "pa ss=w&rd~~~?1"

// pctEvery returns s with every byte URL-escaped, hex digits in upper or
// lower case.
func pctEvery(s string, lower bool) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if lower {
			fmt.Fprintf(&b, "%%%02x", c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// pctLower is url.PathEscape with lower-case hex digits.
func pctLower(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if isASCIIAlnum(c) {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02x", c)
	}
	return b.String()
}

func isASCIIAlnum(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// echoSpellings returns the encodings a hostile server may echo s in, by
// name: those of secretSpellings and the URL escapes in lower case or of
// every byte, and URL-safe and unpadded base64.
func echoSpellings(s string) map[string]string {
	b := []byte(s)
	m := map[string]string{
		"URL-escaped in lower case":            pctLower(s),
		"every byte URL-escaped":               pctEvery(s, false),
		"every byte URL-escaped in lower case": pctEvery(s, true),
		"URL-safe base64":                      base64.URLEncoding.EncodeToString(b),
		"unpadded URL-safe base64":             base64.RawURLEncoding.EncodeToString(b),
		"unpadded base64":                      base64.RawStdEncoding.EncodeToString(b),
		"Basic and base64":                     "Basic " + base64.StdEncoding.EncodeToString(b),
		"every character as \\u in mixed case": mixedU(s),
		"with Gson's escapes and \\/":          gsonEscape(s),
		"as it is":                             s,
		"URL-escaped with + for a space":       strings.ReplaceAll(pctLower(s), "%20", "+"),
		"URL-escaped inside \\u escapes":       strings.ReplaceAll(pctLower(s), "%", `\u0025`),
		"standard base64":                      base64.StdEncoding.EncodeToString(b),
		"every character as \\u":               upperU(s),
		"every character as \\u escaped again": strings.ReplaceAll(upperU(s), `\`, `\\`),
	}
	return m
}

func upperU(s string) string {
	var b strings.Builder
	for _, r := range s {
		fmt.Fprintf(&b, `\u%04X`, r)
	}
	return b.String()
}

func mixedU(s string) string {
	var b strings.Builder
	for i, r := range s {
		if i%2 == 0 {
			fmt.Fprintf(&b, `\u%04X`, r)
		} else {
			fmt.Fprintf(&b, `\u%04x`, r)
		}
	}
	return b.String()
}

func gsonEscape(s string) string {
	return strings.NewReplacer("=", `\u003d`, "&", `\u0026`, "<", `\u003c`, ">", `\u003e`, "'", `\u0027`, "/", `\/`).Replace(s)
}

// checkNoEcho fails if a place holds s in a spelling of echoSpellings or
// secretSpellings.
func checkNoEcho(t *testing.T, places map[string][]byte, s string) {
	t.Helper()
	spell := echoSpellings(s)
	for _, f := range secretSpellings(s) {
		spell[f] = f
	}
	for where, b := range places {
		for name, f := range spell {
			if bytes.Contains(b, []byte(f)) {
				t.Errorf("%s holds the password %s: %q", where, name, f)
			}
		}
	}
}

// TestRecordCloseReasonEchoingPassword: a server that closes the
// WebSocket with the host password in its close reason, in an encoding
// the frames are searched for, gets it stored in no form: not in the
// database file, not in an export, not in record's log.
func TestRecordCloseReasonEchoingPassword(t *testing.T) {
	t.Parallel()
	spell := echoSpellings(echoPassword)
	for _, name := range []string{
		"every character as \\u", "with Gson's escapes and \\/", "URL-escaped in lower case",
		"every byte URL-escaped", "unpadded URL-safe base64", "unpadded base64",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			reason, _ := json.Marshal("bye " + spell[name])
			scenario := writeFile(t, "close.jsonl", strings.Join([]string{
				`{"offset_ms":0,"dir":"out","frame":{"_control":"ws_open","url":"wss://x.invalid/cms/open/websocket/confctl/increment/conn?confID=777&tmpToken=x"}}`,
				`{"offset_ms":1,"dir":"in","frame":{"action":"ConfDynamicInfoNotify","version":2,"createTime":2,"msgID":"m4","msgMode":0,"confID":"777","state":"Destroyed"}}`,
				`{"offset_ms":2,"dir":"in","frame":{"_control":"ws_close","code":1000,"reason":` + string(reason) + `}}`,
			}, "\n")+"\n")
			srv := startServe(t, []string{"CONFREC_REPLAY_PASSWORD=" + echoPassword}, "--scenario", scenario, "--speed", "0")
			db := filepath.Join(t.TempDir(), "rec.db")
			rec := mustRun(t, []string{"CONFREC_HOST_PASSWORD=" + echoPassword}, "--db", db, "--log-level", "debug", "record", "--conf-id", "777", "--api-url", srv.URL)
			raw, err := os.ReadFile(db)
			if err != nil {
				t.Fatal(err)
			}
			places := map[string][]byte{
				"the database file": raw,
				"record's log":      []byte(rec.stderr),
				"export frames":     []byte(mustRun(t, nil, "--db", db, "export", "frames", "777").stdout),
				"info":              []byte(mustRun(t, nil, "--db", db, "info", "777", "--format", "json").stdout),
			}
			if !bytes.Contains(places["export frames"], []byte("bye ")) {
				t.Fatalf("no close reason recorded:\n%s", places["export frames"])
			}
			checkNoEcho(t, places, echoPassword)
		})
	}
}

// TestRecordAPIErrorEchoingPassword: a token API that refuses the host
// password and quotes it back in its error body, in any encoding, does not
// get it printed in record's error.
func TestRecordAPIErrorEchoingPassword(t *testing.T) {
	t.Parallel()
	for name, spelling := range echoSpellings(echoPassword) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusUnauthorized)
				// The spelling as it is in the JSON text: a \u escape is
				// decoded by the client, the rest is text.
				msg := spelling
				if !strings.Contains(msg, `\`) {
					b, _ := json.Marshal(msg)
					msg = string(b[1 : len(b)-1])
				}
				fmt.Fprintf(w, `{"error_code":"MMC.111070001","error_msg":"password %s is wrong"}`, msg)
			}))
			t.Cleanup(api.Close)
			db := filepath.Join(t.TempDir(), "rec.db")
			r := run(t, []string{"CONFREC_HOST_PASSWORD=" + echoPassword}, "--db", db, "--log-level", "debug", "record", "--conf-id", "777", "--api-url", api.URL)
			if r.code != 1 || !strings.Contains(r.stderr, "is wrong") {
				t.Fatalf("exit %d, want 1 with the service's message:\n%s", r.code, r.stderr)
			}
			checkNoEcho(t, map[string][]byte{"record's log": []byte(r.stderr + r.stdout)}, echoPassword)
		})
	}
}

// TestRecordWSURLHoldingPassword: a token API whose wsURL holds the host
// password (URL-escaped in lower case, in the user information) does not
// get it stored with the connect URL, exported in a HAR or logged.
func TestRecordWSURLHoldingPassword(t *testing.T) {
	t.Parallel()
	srv := startServe(t, []string{"CONFREC_REPLAY_PASSWORD=" + echoPassword}, "--scenario", testdata("scenario-short.jsonl"), "--speed", "0")
	for _, name := range []string{"URL-escaped in lower case", "every byte URL-escaped", "unpadded URL-safe base64"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			user := echoSpellings(echoPassword)[name]
			ws := "ws://u:" + user + "@" + strings.TrimPrefix(srv.URL, "http://")
			api := httptest.NewServer(newProxy(t, srv.URL, func(b []byte) []byte {
				return wsURLField.ReplaceAll(b, []byte(`"wsURL":"`+ws+`"`))
			}))
			t.Cleanup(api.Close)
			db := filepath.Join(t.TempDir(), "rec.db")
			rec := mustRun(t, []string{"CONFREC_HOST_PASSWORD=" + echoPassword}, "--db", db, "--log-level", "debug", "record", "--conf-id", "555000111", "--api-url", api.URL)
			raw, err := os.ReadFile(db)
			if err != nil {
				t.Fatal(err)
			}
			har := filepath.Join(t.TempDir(), "out.har")
			mustRun(t, nil, "--db", db, "export", "har", "555000111", "-o", har)
			harBytes, err := os.ReadFile(har)
			if err != nil {
				t.Fatal(err)
			}
			places := map[string][]byte{
				"the database file": raw,
				"record's log":      []byte(rec.stderr),
				"export har":        harBytes,
				"info":              []byte(mustRun(t, nil, "--db", db, "info", "555000111", "--format", "json").stdout),
			}
			checkNoEcho(t, places, echoPassword)
		})
	}
}
