package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/confrec/confrec/export"
)

const testPassword = "s3cret-host-pw-7741"

// scenarioInFrames reads the server→client frames a scenario plays, exactly
// as written in the file, skipping replies (generated live) and control lines.
// It parses the file on its own, not with package replay.
func scenarioInFrames(t *testing.T, path string) [][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var line struct {
			Dir    string          `json:"dir"`
			Frame  json.RawMessage `json:"frame"`
			Binary []byte          `json:"binary"`
			Raw    *string         `json:"raw"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatal(err)
		}
		if line.Dir != "in" {
			continue
		}
		switch {
		case line.Raw != nil:
			out = append(out, []byte(*line.Raw))
		case line.Binary != nil:
			out = append(out, line.Binary)
		default:
			var head struct {
				Action  string `json:"action"`
				Control string `json:"_control"`
			}
			json.Unmarshal(line.Frame, &head)
			if head.Control != "" || isReply(head.Action) {
				continue
			}
			out = append(out, line.Frame)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// isReply says whether a frame of this action answers a request: the
// stand-in generates those live instead of playing them.
func isReply(action string) bool {
	return action == "Subscribe" || action == "HeartBeat" || action == "ConfControl"
}

// exported reads `confrec export frames CONFID --format jsonl` of a database.
func exported(t *testing.T, db, id string, extra ...string) []export.FrameRecord {
	t.Helper()
	out := filepath.Join(t.TempDir(), "frames.jsonl")
	mustRun(t, nil, append([]string{"--db", db, "export", "frames", id, "--format", "jsonl", "-o", out}, extra...)...)
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var recs []export.FrameRecord
	for line := range bytes.Lines(b) {
		var r export.FrameRecord
		if err := json.Unmarshal(line, &r); err != nil {
			t.Fatalf("export line %.80q: %v", line, err)
		}
		recs = append(recs, r)
	}
	return recs
}

func payload(t *testing.T, r export.FrameRecord) []byte {
	t.Helper()
	if r.Payload != nil {
		return []byte(*r.Payload)
	}
	if r.PayloadBase64 == nil {
		t.Fatalf("frame %d has no payload", r.Seq)
	}
	b, err := base64.StdEncoding.DecodeString(*r.PayloadBase64)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// notifications are the in frames a server played: not replies, not close.
func notifications(t *testing.T, recs []export.FrameRecord) []export.FrameRecord {
	var out []export.FrameRecord
	for _, r := range recs {
		if r.Dir == "in" && r.Opcode != "close" && !isReply(r.Action) {
			out = append(out, r)
		}
	}
	return out
}

// samePayloads fails unless got carries exactly want's payloads, in order,
// but for the meeting passcodes, which are stored redacted.
func samePayloads(t *testing.T, got []export.FrameRecord, want [][]byte) {
	t.Helper()
	for i := range min(len(got), len(want)) {
		if p, w := payload(t, got[i]), withoutPasscodes(want[i]); !bytes.Equal(p, w) {
			t.Fatalf("frame %d (seq %d) differs:\n got %.200q\nwant %.200q", i, got[i].Seq, p, w)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("%d frames recorded, want %d", len(got), len(want))
	}
}

func recordEnv() []string { return []string{"CONFREC_HOST_PASSWORD=" + testPassword} }
func serveEnv() []string  { return []string{"CONFREC_REPLAY_PASSWORD=" + testPassword} }

func testdata(name string) string {
	p, err := filepath.Abs(filepath.Join("testdata", name))
	if err != nil {
		panic(err)
	}
	return p
}

func TestRoundTripScenario(t *testing.T) {
	t.Parallel()
	srv := startServe(t, serveEnv(), "--scenario", testdata("scenario-basic.jsonl"), "--speed", "200")
	db := filepath.Join(t.TempDir(), "rec.db")
	mustRun(t, recordEnv(), "--db", db, "record", "--conf-id", "986512347", "--api-url", srv.URL, "--heartbeat", "250ms")

	recs := exported(t, db, "986512347")
	samePayloads(t, notifications(t, recs), scenarioInFrames(t, testdata("scenario-basic.jsonl")))

	var subscribes, heartbeats, replies int
	for _, r := range recs {
		switch {
		case r.Dir == "out" && r.Action == "Subscribe":
			subscribes++
		case r.Dir == "out" && r.Action == "HeartBeat":
			heartbeats++
		case r.Dir == "in" && r.Action == "HeartBeat":
			replies++
		}
	}
	if subscribes != 1 || heartbeats < 3 || replies < heartbeats-1 {
		t.Errorf("out Subscribe %d (want 1), out HeartBeat %d (want >= 3), their replies %d", subscribes, heartbeats, replies)
	}
	if last := recs[len(recs)-1]; last.Opcode != "close" || last.Dir != "in" || last.CloseCode != 1000 {
		t.Errorf("last frame %+v, want the server's close 1000", last)
	}
}

// TestReplayRecordedMeeting records a short meeting, replays the recording
// with `replay serve CONFID` and records that into a second database: same
// payloads, same order, same spacing (within 20 ms).
//
// It does not run in parallel with the other tests, and a spacing miss is
// measured again, twice at most: on a loaded two-core machine the scheduler
// alone can delay one frame past 20 ms. Payloads and order must hold every
// time.
func TestReplayRecordedMeeting(t *testing.T) {
	first := filepath.Join(t.TempDir(), "first.db")
	srv := startServe(t, serveEnv(), "--scenario", testdata("scenario-short.jsonl"), "--speed", "1")
	mustRun(t, recordEnv(), "--db", first, "record", "--conf-id", "555000111", "--api-url", srv.URL)
	want := notifications(t, exported(t, first, "555000111"))
	wantPayloads := make([][]byte, len(want))
	for i, r := range want {
		wantPayloads[i] = payload(t, r)
	}
	again := startServe(t, serveEnv(), "--db", first, "555000111", "--speed", "1")

	var misses []string
	for attempt := 1; attempt <= 3; attempt++ {
		second := filepath.Join(t.TempDir(), "second.db")
		mustRun(t, recordEnv(), "--db", second, "record", "--conf-id", "555000111", "--api-url", again.URL)
		got := notifications(t, exported(t, second, "555000111"))
		samePayloads(t, got, wantPayloads)
		misses = misses[:0]
		for i := 1; i < len(want); i++ {
			dw := gap(t, want[i-1], want[i])
			dg := gap(t, got[i-1], got[i])
			if diff := (dg - dw).Abs(); diff > 20*time.Millisecond {
				misses = append(misses, fmt.Sprintf("before frame %d: %v replayed, %v recorded (%v apart)", i, dg, dw, diff))
			}
		}
		if len(misses) == 0 {
			return
		}
		t.Logf("attempt %d: spacing off by more than 20ms: %v", attempt, misses)
	}
	t.Errorf("spacing off by more than 20ms in every attempt: %v", misses)
}

func gap(t *testing.T, a, b export.FrameRecord) time.Duration {
	t.Helper()
	ta, err1 := time.Parse(time.RFC3339Nano, a.Time)
	tb, err2 := time.Parse(time.RFC3339Nano, b.Time)
	if err1 != nil || err2 != nil {
		t.Fatalf("times %q %q", a.Time, b.Time)
	}
	return tb.Sub(ta)
}

type infoJSON struct {
	Frames   int `json:"frames"`
	Gaps     int `json:"gaps"`
	Sessions []struct {
		ID        int    `json:"id"`
		Reason    string `json:"reason"`
		CloseCode int    `json:"close_code"`
	} `json:"sessions"`
	Actions []struct {
		Dir    string `json:"dir"`
		Action string `json:"action"`
		Frames int    `json:"frames"`
	} `json:"actions"`
}

func info(t *testing.T, db, id string) infoJSON {
	t.Helper()
	r := mustRun(t, nil, "--db", db, "info", id, "--format", "json")
	var v infoJSON
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
		t.Fatalf("info --format json: %v\n%s", err, r.stdout)
	}
	return v
}

// TestDropReconnect: the server destroys the TCP connection mid-meeting; the
// recorder reconnects with fresh tokens and nothing is missing.
func TestDropReconnect(t *testing.T) {
	t.Parallel()
	srv := startServe(t, serveEnv(), "--scenario", testdata("scenario-drop.jsonl"), "--speed", "4")
	db := filepath.Join(t.TempDir(), "rec.db")
	rec := mustRun(t, recordEnv(), "--db", db, "record", "--conf-id", "555000111", "--api-url", srv.URL)

	samePayloads(t, notifications(t, exported(t, db, "555000111")), scenarioInFrames(t, testdata("scenario-drop.jsonl")))
	v := info(t, db, "555000111")
	if len(v.Sessions) != 2 || v.Gaps != 1 {
		t.Fatalf("sessions %+v, gaps %d: want 2 sessions and 1 gap", v.Sessions, v.Gaps)
	}
	if v.Sessions[0].Reason != "dropped" || v.Sessions[1].Reason != "meeting-ended" {
		t.Errorf("session ends %q, %q: want dropped, meeting-ended", v.Sessions[0].Reason, v.Sessions[1].Reason)
	}
	table := mustRun(t, nil, "--db", db, "info", "555000111").stdout
	if !strings.Contains(table, "dropped") || !strings.Contains(table, "meeting-ended") {
		t.Errorf("info table does not show the gap:\n%s", table)
	}
	if strings.Contains(rec.stderr, testPassword) {
		t.Error("record's log holds the password")
	}
}

// TestTwoMeetings records two meetings with one record process into one database.
func TestTwoMeetings(t *testing.T) {
	t.Parallel()
	srv := startServe(t, serveEnv(), "--scenario", testdata("scenario-basic.jsonl"), "--scenario", testdata("scenario-short.jsonl"), "--speed", "0")
	db := filepath.Join(t.TempDir(), "rec.db")
	mustRun(t, recordEnv(), "--db", db, "record", "--conf-id", "986512347", "--conf-id", "555000111", "--api-url", srv.URL)

	samePayloads(t, notifications(t, exported(t, db, "986512347")), scenarioInFrames(t, testdata("scenario-basic.jsonl")))
	samePayloads(t, notifications(t, exported(t, db, "555000111")), scenarioInFrames(t, testdata("scenario-short.jsonl")))

	var rows []meetingRow
	if err := json.Unmarshal([]byte(mustRun(t, nil, "--db", db, "meetings", "--format", "json").stdout), &rows); err != nil {
		t.Fatal(err)
	}
	titles := map[string]string{}
	for _, r := range rows {
		titles[r.ConfID] = r.Title
	}
	if titles["986512347"] != "Q1 Roadmap Sync" || titles["555000111"] != "Daily stand-up" || len(rows) != 2 {
		t.Errorf("meetings: %+v", rows)
	}
}

// TestOddFrames: binary frames, malformed JSON, a 5 MiB frame and non-ASCII
// names are stored and exported exactly.
func TestOddFrames(t *testing.T) {
	t.Parallel()
	big := `{"action":"ParticipantsNotify","msgID":"b1","msgMode":1,"confID":"777","data":[{"pid":"p1","mode":0,"pinfoMap":{"NAME":"` +
		strings.Repeat("名", 5<<20/3) + `"}}]}`
	lines := []string{
		`{"offset_ms":0,"dir":"out","frame":{"_control":"ws_open","url":"wss://x.invalid/cms/open/websocket/confctl/increment/conn?confID=777&tmpToken=x"}}`,
		`{"offset_ms":5,"dir":"in","binary":"` + base64.StdEncoding.EncodeToString([]byte{0, 1, 2, 0xfe, 0xff, '{'}) + `"}`,
		`{"offset_ms":6,"dir":"in","raw":"{\"action\":\"ParticipantsNotify\",\"data\":[{\"pid\":"}`,
		`{"offset_ms":7,"dir":"in","raw":"not json at all \u00e9"}`,
		`{"offset_ms":8,"dir":"in","frame":{"action":"ConfBasicInfoNotify","msgID":"n1","msgMode":0,"confID":"777","title":"Réunion 週次 — Ελληνικά 🎉"}}`,
		`{"offset_ms":9,"dir":"in","frame":` + big + `}`,
		`{"offset_ms":10,"dir":"in","frame":{"action":"ConfDynamicInfoNotify","msgID":"n2","msgMode":0,"confID":"777","state":"Destroyed"}}`,
		`{"offset_ms":11,"dir":"in","frame":{"_control":"ws_close","code":1000,"reason":"bye"}}`,
	}
	scenario := writeFile(t, "odd.jsonl", strings.Join(lines, "\n")+"\n")
	srv := startServe(t, serveEnv(), "--scenario", scenario, "--speed", "0")
	db := filepath.Join(t.TempDir(), "rec.db")
	mustRun(t, recordEnv(), "--db", db, "record", "--conf-id", "777", "--api-url", srv.URL)

	recs := notifications(t, exported(t, db, "777"))
	samePayloads(t, recs, scenarioInFrames(t, scenario))
	if recs[0].Opcode != "binary" || recs[0].PayloadBase64 == nil {
		t.Errorf("binary frame exported as %+v", recs[0])
	}
	for _, format := range []string{"csv", "json"} {
		out := filepath.Join(t.TempDir(), "frames."+format)
		mustRun(t, nil, "--db", db, "export", "frames", "777", "--format", format, "-o", out)
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(b, []byte("Réunion 週次 — Ελληνικά 🎉")) {
			t.Errorf("%s export lost the non-ASCII title", format)
		}
	}
	if m := meetingTitle(t, db, "777"); m != "Réunion 週次 — Ελληνικά 🎉" {
		t.Errorf("title %q", m)
	}
}

func meetingTitle(t *testing.T, db, id string) string {
	t.Helper()
	var rows []meetingRow
	if err := json.Unmarshal([]byte(mustRun(t, nil, "--db", db, "meetings", "--format", "json").stdout), &rows); err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.ConfID == id {
			return r.Title
		}
	}
	return ""
}

// tokenSniffer is a reverse proxy in front of the stand-in service that
// notes every token the service hands out, so the test can look for them.
type tokenSniffer struct {
	mu     sync.Mutex
	tokens []string
}

func (s *tokenSniffer) start(t *testing.T, target string) string {
	ts := httptest.NewServer(newProxy(t, target, s.note))
	t.Cleanup(ts.Close)
	return ts.URL
}

// note records the tokens of one REST response body.
func (s *tokenSniffer) note(b []byte) []byte {
	var v struct {
		Data struct {
			Token      string `json:"token"`
			TmpWSToken string `json:"tmpWsToken"`
		} `json:"data"`
		WebSocketToken string `json:"webSocketToken"`
	}
	json.Unmarshal(b, &v)
	s.mu.Lock()
	for _, tok := range []string{v.Data.Token, v.Data.TmpWSToken, v.WebSocketToken} {
		if tok != "" {
			s.tokens = append(s.tokens, tok)
		}
	}
	s.mu.Unlock()
	return b
}

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

// TestUsageErrors: a bad command line exits 2 with a one-line error naming
// the problem; a failure at run time exits 1.
func TestUsageErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	notDB := filepath.Join(dir, "notes.txt")
	os.WriteFile(notDB, []byte("hello, not a database\n"), 0o600)
	missing := filepath.Join(dir, "missing.db")
	tests := []struct {
		name string
		env  []string
		args []string
		code int
		want string
	}{
		{"unknown command", nil, []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{"unknown flag", nil, []string{"record", "--bogus"}, 2, "flag provided but not defined: -bogus"},
		{"unknown subcommand", nil, []string{"export", "bogus"}, 2, `unknown command "confrec export bogus"`},
		{"bad log level", nil, []string{"--log-level", "loud", "--db", missing, "meetings"}, 2, `--log-level "loud"`},
		{"record without anything", nil, []string{"--db", missing, "record"}, 2, "record needs --conf-id"},
		{"record without meeting", recordEnv(), []string{"--db", missing, "record"}, 2, "record needs --conf-id"},
		{"record without password", nil, []string{"--db", missing, "record", "--conf-id", "1"}, 2, "needs the host password"},
		{"record bad heartbeat", recordEnv(), []string{"--db", missing, "record", "--conf-id", "1", "--heartbeat", "soon"}, 2, "heartbeat"},
		{"record empty conf id", recordEnv(), []string{"--db", missing, "record", "--conf-id", ""}, 2, "invalid meeting ID"},
		{"record same meeting twice", recordEnv(), []string{"--db", missing, "record", "--conf-id", "1", "--conf-id", "2", "--conf-id", "1", "--api-url", "http://127.0.0.1:1"}, 2, "--conf-id 1 is given twice"},
		{"record api-url not http", recordEnv(), []string{"--db", missing, "record", "--conf-id", "1", "--api-url", "ftp://127.0.0.1/"}, 2, "give an http:// or https:// URL"},
		{"ws-url without tmpToken", nil, []string{"--db", missing, "record", "--ws-url", "ws://127.0.0.1:1/x?confID=1"}, 2, "tmpToken"},
		{"meetings bad format", nil, []string{"--db", missing, "meetings", "--format", "xml"}, 2, `--format "xml"`},
		{"export no id", nil, []string{"--db", missing, "export", "frames"}, 2, "exactly one CONFID"},
		{"export bad dir", nil, []string{"--db", missing, "export", "frames", "1", "--dir", "sideways"}, 2, `--dir "sideways"`},
		{"replay serve bad speed", nil, []string{"replay", "serve", "--scenario", "x", "--speed", "-1"}, 2, "--speed"},
		{"missing database", nil, []string{"--db", missing, "meetings"}, 1, "no database at this path"},
		{"not a database", nil, []string{"--db", notDB, "meetings"}, 1, "not a confrec database"},
		{"database is a directory", nil, []string{"--db", dir, "meetings"}, 1, "is a directory"},
		{"missing scenario", nil, []string{"replay", "serve", "--scenario", filepath.Join(dir, "none.jsonl")}, 1, "open scenario"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, tt.env, tt.args...)
			if r.code != tt.code {
				t.Errorf("exit %d, want %d\nstderr: %s", r.code, tt.code, r.stderr)
			}
			if !strings.Contains(r.stderr, tt.want) {
				t.Errorf("stderr %q does not say %q", r.stderr, tt.want)
			}
			if n := strings.Count(strings.TrimSpace(r.stderr), "\n"); n > 0 {
				t.Errorf("error takes %d lines, want one:\n%s", n+1, r.stderr)
			}
		})
	}
	if _, err := os.Stat(missing); err == nil {
		t.Error("a failed command created the database")
	}
}

// TestExportErrorsOnRealDatabase covers the checks that need a meeting.
func TestExportErrorsOnRealDatabase(t *testing.T) {
	t.Parallel()
	db := demoDB(t)
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"export", "frames", "nope"}, 1, "meeting not found"},
		{[]string{"export", "frames", "986512347", "--from", "+5m", "--to", "+1m"}, 2, "is after --to"},
		{[]string{"export", "frames", "986512347", "--from", "yesterday"}, 2, "RFC 3339"},
		{[]string{"info", "nope"}, 1, "meeting not found"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := run(t, nil, append([]string{"--db", db}, tt.args...)...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("exit %d (want %d), stderr %q (want %q)", r.code, tt.code, r.stderr, tt.want)
			}
		})
	}
	// The filters of export frames, through the CLI.
	all := exported(t, db, "986512347")
	out := exported(t, db, "986512347", "--dir", "out")
	in := exported(t, db, "986512347", "--dir", "in", "--action", "SpeakerChangeNotify,ParticipantsNotify")
	if len(out) != 1 || len(in) != 43 || len(all) != 71 {
		t.Errorf("frames: %d all (want 71), %d out (want 1), %d speaker+participants in (want 43)", len(all), len(out), len(in))
	}
	first, _ := time.Parse(time.RFC3339Nano, all[0].Time)
	from := first.Add(time.Millisecond).Format(time.RFC3339Nano)
	later := exported(t, db, "986512347", "--from", from)
	if len(later) >= len(all) || len(later) == 0 {
		t.Errorf("--from %s kept %d of %d frames", from, len(later), len(all))
	}
}

// demoDB runs `confrec demo` into a fresh database and returns its path.
func demoDB(t *testing.T) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "demo.db")
	mustRun(t, nil, "--db", db, "demo")
	return db
}

func TestDemo(t *testing.T) {
	t.Parallel()
	r := mustRun(t, nil, "demo")
	for _, want := range []string{"986512347", "Q1 Roadmap Sync", "ParticipantsNotify", "meeting-ended", "Explore it further:"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("demo output lacks %q:\n%s", want, r.stdout)
		}
	}
	// The commands it suggests work as printed.
	for line := range strings.Lines(r.stdout) {
		line = strings.TrimSpace(line)
		args, ok := strings.CutPrefix(line, "confrec ")
		if !ok || strings.Contains(line, "replay serve") {
			continue
		}
		fields := strings.Fields(args)
		if slices.Contains(fields, "-o") {
			fields[slices.Index(fields, "-o")+1] = filepath.Join(t.TempDir(), "out")
		}
		mustRun(t, nil, fields...)
	}
	// Its temporary database is cleaned up with the test's directory.
	for line := range strings.Lines(r.stdout) {
		if _, p, ok := strings.Cut(strings.TrimSpace(line), "--db "); ok {
			os.RemoveAll(filepath.Dir(strings.Fields(p)[0]))
			break
		}
	}
}

// TestTableCellsKeepTheirShape: a title with a tab or newline (the service
// sends what the host typed) does not break the meetings table.
func TestTableCellsKeepTheirShape(t *testing.T) {
	t.Parallel()
	lines := []string{
		`{"offset_ms":0,"dir":"out","frame":{"_control":"ws_open","url":"wss://x.invalid/cms/open/websocket/confctl/increment/conn?confID=778&tmpToken=x"}}`,
		`{"offset_ms":1,"dir":"in","frame":{"action":"ConfBasicInfoNotify","msgID":"n1","msgMode":0,"confID":"778","title":"Line one\nLine\ttwo"}}`,
		`{"offset_ms":2,"dir":"in","frame":{"action":"ConfDynamicInfoNotify","msgID":"n2","msgMode":0,"confID":"778","state":"Destroyed"}}`,
	}
	srv := startServe(t, serveEnv(), "--scenario", writeFile(t, "tab.jsonl", strings.Join(lines, "\n")+"\n"), "--speed", "0")
	db := filepath.Join(t.TempDir(), "rec.db")
	mustRun(t, recordEnv(), "--db", db, "record", "--conf-id", "778", "--api-url", srv.URL)
	table := mustRun(t, nil, "--db", db, "meetings").stdout
	if n := strings.Count(table, "\n"); n != 2 || !strings.Contains(table, "Line one Line two") {
		t.Errorf("meetings table:\n%s", table)
	}
	if title := meetingTitle(t, db, "778"); title != "Line one\nLine\ttwo" {
		t.Errorf("JSON title %q, want it exact", title)
	}
}

// TestServePassword: with --password the stand-in refuses a wrong host
// password with the service's error shape, and record says so (exit 1)
// without the password in its output.
func TestServePassword(t *testing.T) {
	t.Parallel()
	srv := startServe(t, nil, "--scenario", testdata("scenario-short.jsonl"), "--speed", "0", "--password", testPassword)
	resp, err := http.Get(srv.URL + "/v1/mmc/control/conferences/token?conferenceID=555000111")
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		Code string `json:"error_code"`
		Msg  string `json:"error_msg"`
	}
	json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || body.Code == "" || body.Msg == "" {
		t.Errorf("no password: HTTP %d %+v, want 401 with error_code and error_msg", resp.StatusCode, body)
	}
	db := filepath.Join(t.TempDir(), "rec.db")
	wrong := "not-the-" + testPassword
	r := run(t, []string{"CONFREC_HOST_PASSWORD=" + wrong}, "--db", db, "record", "--conf-id", "555000111", "--api-url", srv.URL)
	if r.code != 1 || !strings.Contains(r.stderr, "refused the host password") {
		t.Errorf("wrong password: exit %d, %q", r.code, r.stderr)
	}
	if strings.Contains(r.stderr, wrong) || strings.Contains(r.stderr, testPassword) {
		t.Error("record's output holds a password")
	}
	mustRun(t, recordEnv(), "--db", db, "record", "--conf-id", "555000111", "--api-url", srv.URL)
}
