package importer_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/confrec/confrec/importer"
	"github.com/confrec/confrec/store"
)

// Secrets of the hand-written HARs below.
const (
	tmpToken  = "tmp-5a1b2c3d4e5f60718293a4b5"
	confToken = "ctl-9f8e7d6c5b4a39281706f5e4"
	password  = "host-pw-31337-secret"
)

var t0 = time.Date(2025, 3, 18, 2, 0, 0, 0, time.UTC)

func openDB(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "test.db"), &store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// wsEntry is a DevTools WebSocket entry to url with messages.
func wsEntry(url, started string, messages ...string) string {
	return fmt.Sprintf(`{"_resourceType":"websocket","cache":{},"request":{"method":"GET","url":%q,"httpVersion":"HTTP/1.1",
"headers":[{"name":"Upgrade","value":"websocket"}],"queryString":[],"cookies":[],"headersSize":-1,"bodySize":0},
"response":{"status":101,"statusText":"Switching Protocols","httpVersion":"HTTP/1.1","headers":[],"cookies":[],
"content":{"size":0,"mimeType":"x-unknown"},"redirectURL":"","headersSize":-1,"bodySize":0},"serverIPAddress":"192.0.2.1",
"startedDateTime":%q,"time":12.5,"timings":{"blocked":-1,"dns":-1,"ssl":-1,"connect":-1,"send":0,"wait":12.5,"receive":0},
"_webSocketMessages":[%s]}`, url, started, strings.Join(messages, ","))
}

func msg(typ string, sec float64, opcode int, data string) string {
	return fmt.Sprintf(`{"type":%q,"time":%.6f,"opcode":%d,"data":%q}`, typ, sec, opcode, data)
}

func harDoc(entries ...string) string {
	return `{"log":{"version":"1.2","creator":{"name":"WebInspector","version":"537.36"},"pages":[],"entries":[` +
		strings.Join(entries, ",") + `]}}`
}

const connect = "wss://meeting.example.invalid/cms/open/websocket/confctl/increment/conn"

// restEntry is the token API answer a browser's HAR holds, with the
// password in its request headers.
var restEntry = `{"_resourceType":"fetch","cache":{},"request":{"method":"GET","url":"https://api.example.invalid/v1/mmc/control/conferences/token?conferenceID=555000111",
"httpVersion":"HTTP/1.1","headers":[{"name":"X-Password","value":"` + password + `"}],"queryString":[],"cookies":[],"headersSize":-1,"bodySize":0},
"response":{"status":200,"statusText":"OK","httpVersion":"HTTP/1.1","headers":[],"cookies":[],"content":{"size":10,"mimeType":"application/json",
"text":"{\"data\":{\"token\":\"` + confToken + `\",\"tmpWsToken\":\"` + tmpToken + `\",\"tokenType\":\"Basic\"}}"},"redirectURL":"","headersSize":-1,"bodySize":-1},
"startedDateTime":"2025-03-18T01:59:59.900Z","time":5,"timings":{"send":0,"wait":5,"receive":0}}`

func subscribe(token string) string {
	return `{"action":"Subscribe","sequence":"1","data":"{\"conferenceID\":\"555000111\",\"confToken\":\"Basic ` +
		base64.StdEncoding.EncodeToString([]byte(token)) + `\"}"}`
}

func frames(t *testing.T, db *store.DB, meeting string) []store.Frame {
	t.Helper()
	c, err := db.Frames(meeting, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var out []store.Frame
	for c.Next() {
		out = append(out, c.Frame())
	}
	if err := c.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestHAR(t *testing.T) {
	sec := float64(t0.Unix())
	doc := harDoc(
		restEntry,
		wsEntry(connect+"?confID=555000111&tmpToken="+tmpToken, "2025-03-18T02:00:00.000Z",
			msg("send", sec+0.010, 1, subscribe(confToken)),
			msg("receive", sec+0.020, 1, `{"action":"ConfBasicInfoNotify","title":"echo `+tmpToken+`"}`),
			msg("receive", sec+0.030, 2, base64.StdEncoding.EncodeToString([]byte{0, 1, 0xff})),
			msg("error", sec+0.035, 1, "frame error"),
			msg("receive", sec+0.040, 8, base64.StdEncoding.EncodeToString(store.ClosePayload(1000, "bye"))),
		),
		// Another WebSocket of the page: not the meeting's.
		wsEntry("wss://other.example.invalid/socket", "2025-03-18T02:00:00.500Z", msg("receive", sec+0.5, 1, "hello")),
	)
	db := openDB(t)
	res, err := importer.HAR(context.Background(), db, strings.NewReader(doc), &importer.HAROptions{Name: "x.har"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || res[0] != (importer.Result{Meeting: "555000111", Sessions: 1, Frames: 4}) {
		t.Fatalf("results %+v", res)
	}
	fs := frames(t, db, "555000111")
	for _, f := range fs {
		for _, s := range []string{tmpToken, confToken, password, base64.StdEncoding.EncodeToString([]byte(confToken))} {
			if bytes.Contains(f.Payload, []byte(s)) {
				t.Errorf("frame %d holds secret %q: %s", f.Seq, s, f.Payload)
			}
		}
	}
	tests := []struct {
		dir  store.Direction
		op   store.Opcode
		at   time.Duration
		want string // payload prefix
	}{
		{store.Out, store.Text, 10 * time.Millisecond, `{"action":"Subscribe","sequence":"1","data":"{\"conferenceID\":\"555000111\",\"confToken\":\"[redacted:`},
		{store.In, store.Text, 20 * time.Millisecond, `{"action":"ConfBasicInfoNotify","title":"echo [redacted:`},
		{store.In, store.Binary, 30 * time.Millisecond, "\x00\x01\xff"},
		{store.In, store.Close, 40 * time.Millisecond, "\x03\xe8bye"},
	}
	if len(fs) != len(tests) {
		t.Fatalf("%d frames, want %d", len(fs), len(tests))
	}
	for i, tt := range tests {
		f := fs[i]
		if f.Dir != tt.dir || f.Op != tt.op || !f.Time.Equal(t0.Add(tt.at)) || !bytes.HasPrefix(f.Payload, []byte(tt.want)) || f.Session != 1 {
			t.Errorf("frame %d: %v %v %v session %d %q, want %v %v %v %q", i+1, f.Dir, f.Op, f.Time, f.Session, f.Payload, tt.dir, tt.op, t0.Add(tt.at), tt.want)
		}
	}
	m, err := db.Meeting("555000111")
	if err != nil {
		t.Fatal(err)
	}
	s := m.Sessions[0]
	if strings.Contains(s.URL, tmpToken) || !strings.Contains(s.URL, "tmpToken=[redacted:") || s.CloseCode != 1000 || s.RemoteAddr != "192.0.2.1" {
		t.Errorf("session %+v", s)
	}
	if m.Labels[importer.LabelImported] != "har:x.har" {
		t.Errorf("labels %v", m.Labels)
	}
	if _, err := importer.HAR(context.Background(), db, strings.NewReader(doc), nil); !errors.Is(err, importer.ErrMeetingExists) {
		t.Errorf("second import: %v, want ErrMeetingExists", err)
	}
}

func TestHARSelect(t *testing.T) {
	sec := float64(t0.Unix())
	a := wsEntry(connect+"?confID=111&tmpToken="+tmpToken, "2025-03-18T02:00:00.000Z", msg("receive", sec, 1, "a"))
	b := wsEntry(connect+"?confID=222", "2025-03-18T02:00:01.000Z", msg("receive", sec+1, 1, "b"))
	other := wsEntry("wss://other.example.invalid/socket", "2025-03-18T02:00:02.000Z", msg("receive", sec+2, 1, "c"))
	noConf := wsEntry(connect, "2025-03-18T02:00:03.000Z", msg("receive", sec+3, 1, "d"))
	tests := []struct {
		name    string
		doc     string
		meeting string
		want    []importer.Result
		err     error
	}{
		{"one meeting per confID", harDoc(a, b, other), "", []importer.Result{{"111", 1, 1}, {"222", 1, 1}}, nil},
		{"every WebSocket with an ID", harDoc(a, b, other), "999", []importer.Result{{"999", 3, 3}}, nil},
		{"no meeting-control socket", harDoc(other, restEntry), "", nil, importer.ErrNoSessions},
		{"no WebSocket at all", harDoc(restEntry), "999", nil, importer.ErrNoSessions},
		{"no confID", harDoc(noConf), "", nil, importer.ErrNoMeetingID},
		{"not a HAR", `<html>`, "", nil, importer.ErrFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := openDB(t)
			res, err := importer.HAR(context.Background(), db, strings.NewReader(tt.doc), &importer.HAROptions{Meeting: tt.meeting})
			if !errors.Is(err, tt.err) || fmt.Sprint(res) != fmt.Sprint(tt.want) {
				t.Errorf("got %+v, %v; want %+v, %v", res, err, tt.want, tt.err)
			}
			if err != nil && strings.Contains(err.Error(), tmpToken) {
				t.Errorf("error holds the token: %v", err)
			}
		})
	}
}
