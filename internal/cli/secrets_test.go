package cli

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// newProxy is a reverse proxy to target that passes every REST response
// body through rewrite, and WebSocket upgrades through untouched.
func newProxy(t *testing.T, target string, rewrite func([]byte) []byte) *httputil.ReverseProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	proxy.ModifyResponse = func(resp *http.Response) error {
		if resp.StatusCode == http.StatusSwitchingProtocols {
			return nil // the WebSocket: its body is the connection
		}
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		b = rewrite(b)
		resp.Body = io.NopCloser(bytes.NewReader(b))
		resp.ContentLength = int64(len(b))
		resp.Header.Del("Content-Length")
		return nil
	}
	return proxy
}

// TestNoSecretsInDatabase: after a recording with a reconnect, neither the
// password nor any token the service issued is in the database file, in
// any form the recorder could have written it.
func TestNoSecretsInDatabase(t *testing.T) {
	t.Parallel()
	srv := startServe(t, serveEnv(), "--scenario", testdata("scenario-drop.jsonl"), "--speed", "0")
	var sniff tokenSniffer
	api := sniff.start(t, srv.URL)
	dir := t.TempDir()
	db := filepath.Join(dir, "rec.db")
	pwFile := writeFile(t, "pw", testPassword+"\n")
	rec := mustRun(t, nil, "--db", db, "--log-level", "debug", "record", "--conf-id", "555000111", "--api-url", api, "--password-file", pwFile)
	exportOut := mustRun(t, nil, "--db", db, "export", "frames", "555000111").stdout
	infoOut := mustRun(t, nil, "--db", db, "info", "555000111", "--format", "json").stdout

	sniff.mu.Lock()
	secrets := append([]string{testPassword}, sniff.tokens...)
	sniff.mu.Unlock()
	if len(secrets) < 4 {
		t.Fatalf("the proxy saw only %d tokens", len(secrets)-1)
	}
	raw, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(db); fi.Mode().Perm() != 0o600 {
		t.Errorf("database mode %v, want 0600", fi.Mode().Perm())
	}
	places := map[string][]byte{"database file": raw, "record's log": []byte(rec.stderr), "export": []byte(exportOut), "info": []byte(infoOut)}
	for _, s := range secrets {
		forms := []string{s, base64.StdEncoding.EncodeToString([]byte(s)), url.QueryEscape(s)}
		for where, b := range places {
			for _, f := range forms {
				if bytes.Contains(b, []byte(f)) {
					t.Errorf("%s holds a secret (%d chars)", where, len(s))
				}
			}
		}
	}
}

// passcodeMember is a "pwd" member whose string holds no escape, as in the
// scenarios' ConfBasicInfoNotify.
var passcodeMember = regexp.MustCompile(`("pwd"\s*:\s*")([^"\\]+)(")`)

// withoutPasscodes returns a frame as confrec stores it: the meeting
// passcodes of a frame with "pwds" replaced by "[redacted]", every other
// byte as the server sent it.
func withoutPasscodes(b []byte) []byte {
	if !bytes.Contains(b, []byte(`"pwds"`)) {
		return b
	}
	return passcodeMember.ReplaceAll(b, []byte(`${1}[redacted]${3}`))
}

// secretSpellings returns the ways a file or log may spell s: as it is,
// base64'd, URL-escaped, JSON-escaped (Gson's way, every character as
// \uXXXX in either case, \/), and each of the escaped ones escaped again,
// as a JSON export of a frame writes them.
func secretSpellings(s string) []string {
	b := []byte(s)
	gson := strings.NewReplacer("=", `\u003d`, "&", `\u0026`, "<", `\u003c`, ">", `\u003e`, "'", `\u0027`, "/", `\/`).Replace(s)
	var lower, upper strings.Builder
	for _, r := range s {
		fmt.Fprintf(&lower, `\u%04x`, r)
		fmt.Fprintf(&upper, `\u%04X`, r)
	}
	forms := []string{s, gson, lower.String(), upper.String(),
		url.QueryEscape(s), url.PathEscape(s),
		base64.StdEncoding.EncodeToString(b), base64.RawStdEncoding.EncodeToString(b), base64.URLEncoding.EncodeToString(b)}
	for _, f := range forms[1:4] {
		forms = append(forms, strings.ReplaceAll(f, `\`, `\\`))
	}
	slices.Sort(forms)
	return slices.Compact(forms)
}

// confrecOutputs returns what confrec shows of meeting id in db: the
// database file, every export, info, meetings and the replay commands.
func confrecOutputs(t *testing.T, db, id string) map[string][]byte {
	t.Helper()
	raw, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{"database file": raw}
	dir := t.TempDir()
	for _, args := range [][]string{
		{"export", "frames", id, "--format", "jsonl"},
		{"export", "frames", id, "--format", "json"},
		{"export", "frames", id, "--format", "csv"},
		{"export", "har", id},
		{"export", "timeline", id},
		{"export", "attendance", id},
		{"export", "report", id},
	} {
		f := filepath.Join(dir, strings.Join(args, "-"))
		mustRun(t, nil, append([]string{"--db", db}, append(args, "-o", f)...)...)
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[strings.Join(args[:len(args)-1], " ")+" "+args[len(args)-1]] = b
	}
	for _, args := range [][]string{
		{"info", id, "--format", "json"},
		{"meetings", "--format", "json"},
		{"replay", "state", id, "--at", "+24h"},
		{"replay", "print", id, "--speed", "0"},
	} {
		r := mustRun(t, nil, append([]string{"--db", db}, args...)...)
		out[strings.Join(args, " ")] = []byte(r.stdout + r.stderr)
	}
	return out
}

// checkNotShown fails if any place holds a spelling of a secret.
func checkNotShown(t *testing.T, places map[string][]byte, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		for where, b := range places {
			for _, f := range secretSpellings(s) {
				if bytes.Contains(b, []byte(f)) {
					t.Errorf("%s holds the secret %q as %q", where, s, f)
					break
				}
			}
		}
	}
}

// TestRecordNumericPasswordKeepsFrames records a meeting whose host
// password, six digits, occurs in every createTime and version and inside
// the string times (startTime, endTime, ADDTIME): every frame is stored as
// the server sent it (but for the passcodes), and the Destroyed notify
// still ends the meeting.
func TestRecordNumericPasswordKeepsFrames(t *testing.T) {
	t.Parallel()
	const pw = "178030"
	basic, err := os.ReadFile(testdata("scenario-basic.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	// Every time of the scenario starts with 174226.
	scenario := writeFile(t, "numeric.jsonl", strings.ReplaceAll(string(basic), "174226", pw))
	if n := strings.Count(string(basic), "174226"); n < 100 {
		t.Fatalf("the scenario has %d times", n)
	}
	env := []string{"CONFREC_REPLAY_PASSWORD=" + pw}
	srv := startServe(t, env, "--scenario", scenario, "--speed", "0")
	db := filepath.Join(t.TempDir(), "rec.db")
	rec := mustRun(t, []string{"CONFREC_HOST_PASSWORD=" + pw}, "--db", db, "record", "--conf-id", "986512347", "--api-url", srv.URL)

	samePayloads(t, notifications(t, exported(t, db, "986512347")), scenarioInFrames(t, scenario))
	v := info(t, db, "986512347")
	if n := len(v.Sessions); n == 0 || v.Sessions[n-1].Reason != "meeting-ended" {
		t.Errorf("sessions %+v: want the last to be meeting-ended", v.Sessions)
	}
	if strings.Contains(rec.stderr, "secret redacted") && !strings.Contains(rec.stderr, "action=ConfBasicInfoNotify") {
		t.Errorf("a frame other than ConfBasicInfoNotify was redacted:\n%s", rec.stderr)
	}
}

// TestRecordEscapedPasswordNotStored: the server writes the host password
// JSON-escaped (Gson's \u003d and \u0026, every character as \uXXXX,
// inside a URL) and in a frame that is not JSON: no spelling of it reaches
// the database, an export or the log, and the frames stay JSON.
func TestRecordEscapedPasswordNotStored(t *testing.T) {
	t.Parallel()
	const pw = "pass=word&1"
	var allU strings.Builder
	for _, r := range pw {
		fmt.Fprintf(&allU, `\u%04X`, r)
	}
	inner, _ := json.Marshal(`{"p":"` + allU.String() + `"}`)
	frames := []string{
		`{"action":"ConfBasicInfoNotify","version":1,"createTime":1,"msgID":"m1","msgMode":0,"confID":"777","title":"Escapes",` +
			`"hostPwd":"pass\u003dword\u00261","guestJoinUri":"https://h/#/j/777?pwd\u003dpass\u003dword\u00261\u0026x\u003d1"}`,
		`{"action":"RealTimeSubtitleNotify","msgID":"m2","msgMode":0,"data":` + string(inner) + `}`,
		`{"action":"ParticipantsNotify","note":"pass\u003dword\u00261`, // cut short: not JSON
		`{"action":"ConfDynamicInfoNotify","version":2,"createTime":2,"msgID":"m4","msgMode":0,"confID":"777","state":"Destroyed"}`,
	}
	lines := []string{`{"offset_ms":0,"dir":"out","frame":{"_control":"ws_open","url":"wss://x.invalid/cms/open/websocket/confctl/increment/conn?confID=777&tmpToken=x"}}`}
	for i, f := range frames {
		raw, _ := json.Marshal(f)
		lines = append(lines, fmt.Sprintf(`{"offset_ms":%d,"dir":"in","raw":%s}`, i+1, raw))
	}
	lines = append(lines, `{"offset_ms":9,"dir":"in","frame":{"_control":"ws_close","code":1000,"reason":"bye"}}`)
	scenario := writeFile(t, "escaped.jsonl", strings.Join(lines, "\n")+"\n")
	srv := startServe(t, []string{"CONFREC_REPLAY_PASSWORD=" + pw}, "--scenario", scenario, "--speed", "0")
	db := filepath.Join(t.TempDir(), "rec.db")
	rec := mustRun(t, []string{"CONFREC_HOST_PASSWORD=" + pw}, "--db", db, "--log-level", "debug", "record", "--conf-id", "777", "--api-url", srv.URL)

	recs := notifications(t, exported(t, db, "777"))
	if len(recs) != 4 {
		t.Fatalf("%d frames recorded, want 4", len(recs))
	}
	for i, r := range recs {
		if p := payload(t, r); i != 2 && !json.Valid(p) {
			t.Errorf("frame %d is no longer JSON: %s", i, p)
		}
	}
	if p := payload(t, recs[0]); !bytes.Contains(p, []byte(`"guestJoinUri":"https://h/#/j/777?pwd\u003d[redacted:`)) ||
		!bytes.Contains(p, []byte(`\u0026x\u003d1"`)) {
		t.Errorf("the URL around the password changed: %s", p)
	}
	places := confrecOutputs(t, db, "777")
	places["record's log"] = []byte(rec.stderr)
	checkNotShown(t, places, pw)
}

// TestRecordPasscodesNotStored: the meeting passcodes ConfBasicInfoNotify
// lists are not the password confrec used, and still reach neither the
// database, nor an export, nor the log.
func TestRecordPasscodesNotStored(t *testing.T) {
	t.Parallel()
	srv := startServe(t, serveEnv(), "--scenario", testdata("scenario-basic.jsonl"), "--speed", "0")
	db := filepath.Join(t.TempDir(), "rec.db")
	rec := mustRun(t, recordEnv(), "--db", db, "--log-level", "debug", "record", "--conf-id", "986512347", "--api-url", srv.URL)
	places := confrecOutputs(t, db, "986512347")
	places["record's log"] = []byte(rec.stderr)
	checkNotShown(t, places, "804122", "317560")
	if !bytes.Contains(places["export frames 986512347 --format jsonl"], []byte(`\"pwd\":\"[redacted]\"`)) {
		t.Error("the export shows no redacted passcode")
	}
}

// TestImportHARPasscodes: a HAR holding only the WebSocket entry, no token
// and no password, imports with the meeting passcodes redacted and every
// other byte as it was.
func TestImportHARPasscodes(t *testing.T) {
	t.Parallel()
	basic := `{"action":"ConfBasicInfoNotify","version":1742263200240,"createTime":1742263200240,"msgID":"m1","msgMode":0,` +
		`"confID":"555000111","title":"Stand-up","pwds":[{"role":"chair","pwd":"804122"},{"role":"general","pwd":"317560"},{"role":"audience","pwd":"551207"}]}`
	participants := `{"action":"ParticipantsNotify","version":1742263200250,"createTime":1742263200250,"msgID":"m2","msgMode":0,"data":[{"pid":"p1","pinfoMap":{"NAME":"Ann","ADDTIME":"1742263200250"}}]}`
	destroyed := `{"action":"ConfDynamicInfoNotify","version":1742263260000,"createTime":1742263260000,"msgID":"m3","msgMode":0,"state":"Destroyed"}`
	var msgs []string
	for i, m := range []string{basic, participants, destroyed} {
		msgs = append(msgs, fmt.Sprintf(`{"type":"receive","time":%d.5,"opcode":1,"data":%q}`, 1742263200+i, m))
	}
	har := `{"log":{"version":"1.2","creator":{"name":"WebInspector","version":"537.36"},"pages":[],"entries":[` +
		`{"_resourceType":"websocket","request":{"method":"GET","url":"wss://meeting.example.invalid/cms/open/websocket/confctl/increment/conn?confID=555000111",` +
		`"httpVersion":"HTTP/1.1","headers":[],"queryString":[],"cookies":[],"headersSize":-1,"bodySize":0},` +
		`"response":{"status":101,"statusText":"Switching Protocols","httpVersion":"HTTP/1.1","headers":[],"cookies":[],"content":{"size":0,"mimeType":"x-unknown"},` +
		`"redirectURL":"","headersSize":-1,"bodySize":0},"startedDateTime":"2025-03-18T02:00:00.000Z","time":60000,` +
		`"timings":{"send":0,"wait":0,"receive":0},"_webSocketMessages":[` + strings.Join(msgs, ",") + `]}]}}`
	harPath := writeFile(t, "capture.har", har)
	db := filepath.Join(t.TempDir(), "imported.db")
	imp := mustRun(t, nil, "--db", db, "import", "har", harPath)

	want := [][]byte{withoutPasscodes([]byte(basic)), []byte(participants), []byte(destroyed)}
	if bytes.Equal(want[0], []byte(basic)) {
		t.Fatal("withoutPasscodes changed nothing")
	}
	samePayloads(t, exported(t, db, "555000111"), want)
	places := confrecOutputs(t, db, "555000111")
	places["import's output"] = []byte(imp.stdout + imp.stderr)
	checkNotShown(t, places, "804122", "317560", "551207")
}
