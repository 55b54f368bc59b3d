package cli

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/confrec/confrec/interchange"
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
func exported(t *testing.T, db, id string, extra ...string) []interchange.FrameRecord {
	t.Helper()
	out := filepath.Join(t.TempDir(), "frames.jsonl")
	mustRun(t, nil, append([]string{"--db", db, "export", "frames", id, "--format", "jsonl", "-o", out}, extra...)...)
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var recs []interchange.FrameRecord
	for line := range bytes.Lines(b) {
		var r interchange.FrameRecord
		if err := json.Unmarshal(line, &r); err != nil {
			t.Fatalf("export line %.80q: %v", line, err)
		}
		recs = append(recs, r)
	}
	return recs
}

func payload(t *testing.T, r interchange.FrameRecord) []byte {
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
func notifications(t *testing.T, recs []interchange.FrameRecord) []interchange.FrameRecord {
	var out []interchange.FrameRecord
	for _, r := range recs {
		if r.Dir == "in" && r.Opcode != "close" && !isReply(r.Action) {
			out = append(out, r)
		}
	}
	return out
}

// samePayloads fails unless got carries exactly want's payloads, in order,
// but for the meeting passcodes, which are stored redacted.
func samePayloads(t *testing.T, got []interchange.FrameRecord, want [][]byte) {
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

// repoRoot is the repository top, seen from this package's directory.
const repoRoot = "../.."

func serveEnv() []string { return []string{"CONFREC_REPLAY_PASSWORD=" + testPassword} }

func testdata(name string) string {
	p, err := filepath.Abs(filepath.Join(repoRoot, "testdata", name))
	if err != nil {
		panic(err)
	}
	return p
}

func gap(t *testing.T, a, b interchange.FrameRecord) time.Duration {
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
		ID        int       `json:"id"`
		Start     time.Time `json:"start"`
		Reason    string    `json:"reason"`
		CloseCode int       `json:"close_code"`
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
