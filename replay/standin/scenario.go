package standin

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"time"
	"unicode/utf8"

	"github.com/confrec/confrec/confctl"
)

// maxScenarioLine bounds the length of one scenario line, in bytes.
const maxScenarioLine = 64 << 20

// maxCloseReason is the longest close reason that fits in a control frame.
const maxCloseReason = 123

// Control kinds in a scenario frame's "_control" member.
const (
	controlOpen  = "ws_open"
	controlClose = "ws_close"
	controlDrop  = "drop"
)

// scenarioLine is one line of a scenario file.
type scenarioLine struct {
	OffsetMS *float64        `json:"offset_ms"`
	Dir      *string         `json:"dir"`
	Frame    json.RawMessage `json:"frame"`
	Binary   *string         `json:"binary"`
	Raw      *string         `json:"raw"`
}

// controlFrame is a frame carrying "_control": not a wire frame but an
// event of the connection.
type controlFrame struct {
	Control string  `json:"_control"`
	URL     *string `json:"url"`
	Code    *int    `json:"code"`
	Reason  string  `json:"reason"`
}

// ReadScenario reads a scenario in JSON Lines, one frame per line, as in
// testdata/scenario-basic.jsonl:
//
//	{"offset_ms":240,"dir":"in","frame":{"action":"ConfBasicInfoNotify",...}}
//
// offset_ms (a non-negative number, fractions allowed) counts from the
// moment the client opened the socket; dir is "in" (server to client) or
// "out" (client to server). Only "in" lines become steps; "out" lines are
// checked and otherwise ignored, since the client sends its own frames.
//
// Each line carries exactly one of:
//   - "frame": a JSON object, sent as a text message holding exactly the
//     object's bytes as they appear in the line (not re-encoded);
//   - "binary": standard base64, sent as a binary message;
//   - "raw": a string, sent verbatim as a text message even if it is not
//     JSON (and even if it is a reply: raw lines are never skipped).
//
// A frame with a "_control" member is a connection event instead:
// "ws_open" (its "url"'s confID query parameter gives Script.ConfID),
// "ws_close" (the server closes with "code" and "reason": a StepClose;
// without "code" the close frame carries no status) and "drop" (the
// server destroys the connection: a StepDrop). Control frames become
// steps only on "in" lines.
//
// Frames that are replies to client requests (Subscribe, HeartBeat and
// ConfControl, see confctl.IsReplyAction) are skipped: the Server makes
// replies live. If no ws_open names the conference, Script.ConfID is the
// confID of the first frame that has one; it may stay empty (see
// ErrNoConfID).
//
// Blank lines and unknown members are ignored. Any other malformed line is
// an error: a *ScenarioError naming the line.
func ReadScenario(r io.Reader) (*Script, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxScenarioLine)
	s := &Script{}
	var openConfID, frameConfID string
	n := 0
	for sc.Scan() {
		n++
		b := sc.Bytes()
		if n == 1 {
			b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
		}
		if len(bytes.TrimSpace(b)) == 0 {
			continue
		}
		st, ok, info, err := parseScenarioLine(b)
		if err != nil {
			return nil, &ScenarioError{Line: n, Err: err}
		}
		if openConfID == "" {
			openConfID = info.openConfID
		}
		if frameConfID == "" {
			frameConfID = info.frameConfID
		}
		if ok {
			s.Steps = append(s.Steps, st)
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			err = fmt.Errorf("line longer than %d bytes: %w", maxScenarioLine, err)
		}
		return nil, &ScenarioError{Line: n + 1, Err: err}
	}
	s.ConfID = openConfID
	if s.ConfID == "" {
		s.ConfID = frameConfID
	}
	return s, nil
}

// lineInfo is what a line tells about the conference ID.
type lineInfo struct {
	openConfID  string // from a ws_open URL
	frameConfID string // from a frame's confID member
}

// parseScenarioLine parses one non-blank line. ok reports whether it gives
// a step.
func parseScenarioLine(b []byte) (st Step, ok bool, info lineInfo, err error) {
	var l scenarioLine
	if err := json.Unmarshal(b, &l); err != nil {
		return Step{}, false, info, fmt.Errorf("decode line: %w", err)
	}
	if l.OffsetMS == nil {
		return Step{}, false, info, errors.New("missing offset_ms")
	}
	off, err := offsetFromMS(*l.OffsetMS)
	if err != nil {
		return Step{}, false, info, err
	}
	if l.Dir == nil {
		return Step{}, false, info, errors.New("missing dir")
	}
	var in bool
	switch *l.Dir {
	case "in":
		in = true
	case "out":
	default:
		return Step{}, false, info, fmt.Errorf("dir %q is neither \"in\" nor \"out\"", *l.Dir)
	}
	count := 0
	if l.Frame != nil {
		count++
	}
	if l.Binary != nil {
		count++
	}
	if l.Raw != nil {
		count++
	}
	switch count {
	case 0:
		return Step{}, false, info, errors.New("line has no frame, binary or raw member")
	case 1:
	default:
		return Step{}, false, info, errors.New("line has more than one of frame, binary and raw")
	}
	st = Step{Offset: off}
	switch {
	case l.Binary != nil:
		p, err := base64.StdEncoding.DecodeString(*l.Binary)
		if err != nil {
			return Step{}, false, info, fmt.Errorf("decode binary: %w", err)
		}
		st.Kind, st.Payload = StepBinary, p
		return st, in, info, nil
	case l.Raw != nil:
		st.Kind, st.Payload = StepText, []byte(*l.Raw)
		return st, in, info, nil
	}
	if t := bytes.TrimSpace(l.Frame); len(t) == 0 || t[0] != '{' {
		return Step{}, false, info, errors.New("frame is not a JSON object")
	}
	var probe struct {
		Control json.RawMessage `json:"_control"`
	}
	if err := json.Unmarshal(l.Frame, &probe); err != nil {
		return Step{}, false, info, fmt.Errorf("decode frame: %w", err)
	}
	if probe.Control != nil {
		return parseControl(l.Frame, st, in)
	}
	env, err := confctl.DecodeEnvelope(l.Frame)
	if err == nil {
		info.frameConfID = env.ConfID
		if confctl.IsReplyAction(env.Action) {
			return Step{}, false, info, nil
		}
	}
	st.Kind, st.Payload = StepText, []byte(l.Frame)
	return st, in, info, nil
}

// parseControl parses a frame holding "_control".
func parseControl(frame json.RawMessage, st Step, in bool) (Step, bool, lineInfo, error) {
	var info lineInfo
	var c controlFrame
	if err := json.Unmarshal(frame, &c); err != nil {
		return Step{}, false, info, fmt.Errorf("decode control frame: %w", err)
	}
	switch c.Control {
	case controlOpen:
		if c.URL != nil {
			u, err := url.Parse(*c.URL)
			if err != nil {
				return Step{}, false, info, fmt.Errorf("parse ws_open url: %w", stripURL(err))
			}
			info.openConfID = u.Query().Get("confID")
		}
		return Step{}, false, info, nil
	case controlClose:
		st.Kind = StepClose
		if c.Code != nil {
			if !sendableCloseCode(*c.Code) {
				return Step{}, false, info, fmt.Errorf("ws_close code %d cannot be sent", *c.Code)
			}
			st.CloseCode = uint16(*c.Code)
		}
		if len(c.Reason) > maxCloseReason {
			return Step{}, false, info, fmt.Errorf("ws_close reason longer than %d bytes", maxCloseReason)
		}
		if !utf8.ValidString(c.Reason) {
			return Step{}, false, info, errors.New("ws_close reason is not UTF-8")
		}
		if c.Reason != "" && (st.CloseCode == 0 || st.CloseCode == noStatusCode) {
			return Step{}, false, info, errors.New("ws_close reason without a code")
		}
		st.CloseReason = c.Reason
		return st, in, info, nil
	case controlDrop:
		st.Kind = StepDrop
		return st, in, info, nil
	}
	return Step{}, false, info, fmt.Errorf("unknown _control %q", c.Control)
}

// offsetFromMS converts a scenario offset in milliseconds.
func offsetFromMS(ms float64) (time.Duration, error) {
	if math.IsNaN(ms) || ms < 0 {
		return 0, fmt.Errorf("offset_ms %v is negative", ms)
	}
	ns := ms * float64(time.Millisecond)
	if ns >= math.MaxInt64 {
		return 0, fmt.Errorf("offset_ms %v is too large", ms)
	}
	return time.Duration(ns), nil
}

// noStatusCode (1005) stands for a close frame without a status code.
const noStatusCode = 1005

// sendableCloseCode reports whether code may be sent in a close frame
// (RFC 6455 §7.4), counting 1005 as "no status code".
func sendableCloseCode(code int) bool {
	switch {
	case code == noStatusCode:
		return true
	case code >= 1000 && code <= 1014:
		return code != 1004 && code != 1006
	case code >= 3000 && code <= 4999:
		return true
	}
	return false
}

// stripURL drops the URL (which may hold a tmpToken) from a url.Parse error.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
