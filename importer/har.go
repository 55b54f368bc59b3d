package importer

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/confrec/confrec/confctl"
	"github.com/confrec/confrec/export"
	"github.com/confrec/confrec/store"
)

// HAROptions say what HAR imports. A nil *HAROptions imports the
// meeting-control sessions of every meeting the file holds.
type HAROptions struct {
	// Meeting, when set, imports every WebSocket entry of the file, whatever
	// its URL, as sessions of this meeting. When empty, only entries whose
	// URL path is confctl.ConnectPath are imported, each into the meeting
	// its confID query parameter names.
	Meeting string
	// Name is the file's name for the LabelImported label ("har:<Name>").
	Name string
}

// harSession is one WebSocket entry to import.
type harSession struct {
	meeting string
	start   time.Time
	end     time.Time
	url     string
	remote  string
	frames  []store.Frame
}

// HAR reads a HAR document from r and stores its WebSocket sessions (see
// HAROptions for which), one new meeting per meeting ID, with every secret
// the file shows redacted. It checks the whole file and that none of the
// meetings exists before it stores anything. It returns what it stored,
// one Result per meeting, in the order the meetings first appear.
func HAR(ctx context.Context, db *store.DB, r io.Reader, opts *HAROptions) ([]Result, error) {
	var o HAROptions
	if opts != nil {
		o = *opts
	}
	var h export.HAR
	if err := json.NewDecoder(r).Decode(&h); err != nil {
		return nil, fmt.Errorf("import har: %w: %v", ErrFormat, err)
	}
	red := harSecrets(&h)
	var order []string
	byMeeting := make(map[string][]*harSession)
	for i := range h.Log.Entries {
		e := &h.Log.Entries[i]
		if e.WebSocketMessages == nil {
			continue
		}
		id := o.Meeting
		if id == "" {
			u, err := url.Parse(e.Request.URL)
			if err != nil || u.Path != confctl.ConnectPath {
				continue
			}
			if id = u.Query().Get("confID"); id == "" {
				return nil, fmt.Errorf("import har: entry %d (%s): %w: the URL has no confID (give the meeting ID)",
					i, red.RedactURL(e.Request.URL), ErrNoMeetingID)
			}
		}
		s, err := harEntrySession(e, red)
		if err != nil {
			return nil, fmt.Errorf("import har: entry %d: %w", i, err)
		}
		s.meeting = id
		if _, ok := byMeeting[id]; !ok {
			order = append(order, id)
		}
		byMeeting[id] = append(byMeeting[id], s)
	}
	if len(order) == 0 {
		if o.Meeting != "" {
			return nil, fmt.Errorf("import har: %w (no entry has _webSocketMessages)", ErrNoSessions)
		}
		return nil, fmt.Errorf("import har: %w (no entry has _webSocketMessages and the path %s; give the meeting ID to import any WebSocket)",
			ErrNoSessions, confctl.ConnectPath)
	}
	for _, id := range order {
		if err := checkNew(db, id); err != nil {
			return nil, fmt.Errorf("import har: %w", err)
		}
	}
	results := make([]Result, 0, len(order))
	for _, id := range order {
		res, err := storeHARMeeting(ctx, db, id, byMeeting[id], o.Name)
		results = append(results, res)
		if err != nil {
			return results, fmt.Errorf("import har: %w", err)
		}
	}
	return results, nil
}

// storeHARMeeting stores the sessions of one meeting: sessions in order of
// their start, frames in order of their time.
func storeHARMeeting(ctx context.Context, db *store.DB, id string, sessions []*harSession, name string) (Result, error) {
	res := Result{Meeting: id}
	slices.SortStableFunc(sessions, func(a, b *harSession) int { return a.start.Compare(b.start) })
	var frames []store.Frame
	sids := make([]uint32, len(sessions))
	for i, s := range sessions {
		sid, err := db.BeginSession(ctx, id, store.Session{
			Start:      s.start,
			URL:        s.url,
			RemoteAddr: s.remote,
			Attrs:      map[string]string{"imported": "har"},
		})
		if err != nil {
			return res, err
		}
		sids[i] = sid
		res.Sessions++
		for _, f := range s.frames {
			f.Session = sid
			frames = append(frames, f)
		}
	}
	slices.SortStableFunc(frames, func(a, b store.Frame) int { return a.Time.Compare(b.Time) })
	for chunk := range slices.Chunk(frames, jsonlBatch) {
		if err := db.Append(ctx, id, chunk...); err != nil {
			return res, err
		}
		res.Frames += len(chunk)
	}
	for i, s := range sessions {
		end := store.SessionEnd{Reason: "imported"}
		if n := len(s.frames); n > 0 {
			last := s.frames[n-1]
			if code, reason, ok := last.CloseStatus(); ok {
				end.CloseCode, end.CloseReason = int(code), reason
			}
		}
		if err := db.EndSession(ctx, id, sids[i], s.end, end); err != nil {
			return res, err
		}
	}
	if err := db.SetLabel(id, LabelImported, "har:"+name); err != nil {
		return res, err
	}
	return res, db.Flush(ctx)
}

// harEntrySession turns one WebSocket entry into a session, redacted.
func harEntrySession(e *export.HAREntry, red *confctl.Redactor) (*harSession, error) {
	s := &harSession{url: red.RedactURL(e.Request.URL), remote: e.ServerIPAddress}
	for _, m := range e.WebSocketMessages {
		f := store.Frame{Time: m.Time.Time()}
		switch m.Type {
		case export.HARSend:
			f.Dir = store.Out
		case export.HARReceive:
			f.Dir = store.In
		default:
			continue // DevTools' "error" notes are not frames
		}
		switch m.Opcode {
		case int(store.Text):
			f.Op = store.Text
			f.Payload = []byte(m.Data)
		case int(store.Close):
			f.Op = store.Close
			f.Payload = decodeBase64(m.Data)
		default:
			f.Op = store.Binary
			f.Payload = decodeBase64(m.Data)
		}
		// Binary payloads are redacted too: a secret is a secret whatever
		// the frame's type.
		f.Payload = red.Redact(f.Payload)
		s.frames = append(s.frames, f)
	}
	slices.SortStableFunc(s.frames, func(a, b store.Frame) int { return a.Time.Compare(b.Time) })
	if t, err := time.Parse(time.RFC3339Nano, e.StartedDateTime); err == nil {
		s.start = t.UTC()
	} else if len(s.frames) > 0 {
		s.start = s.frames[0].Time
	} else {
		return nil, fmt.Errorf("%w: startedDateTime %q", ErrFormat, e.StartedDateTime)
	}
	s.end = s.start.Add(time.Duration(e.Time * float64(time.Millisecond)))
	if n := len(s.frames); n > 0 {
		s.end = cmpMax(s.end, s.frames[n-1].Time)
		s.start = cmpMin(s.start, s.frames[0].Time)
	}
	return s, nil
}

// decodeBase64 decodes DevTools' base64 data; data that is not base64 is
// kept as it is rather than dropped.
func decodeBase64(data string) []byte {
	if b, err := base64.StdEncoding.DecodeString(data); err == nil {
		return b
	}
	return []byte(data)
}

func cmpMax(a, b time.Time) time.Time {
	if a.Before(b) {
		return b
	}
	return a
}

func cmpMin(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// tokenHeaders are request headers whose values are credentials.
var tokenHeaders = []string{"authorization", "x-password", "x-conference-authorization", "x-access-token", "x-auth-token", "cookie"}

// harSecrets collects every secret the HAR shows: token query parameters
// of every URL, credential headers, the confToken of every Subscribe sent,
// and the token members of JSON responses (the token API's answers).
func harSecrets(h *export.HAR) *confctl.Redactor {
	red := new(confctl.Redactor)
	add := func(v string) {
		if strings.Contains(v, "[redacted:") {
			return // redacted already (a HAR confrec exported)
		}
		red.Add(v)
		if bare := confctl.ParseConfToken(v); bare != v {
			red.Add(bare)
		}
	}
	for i := range h.Log.Entries {
		e := &h.Log.Entries[i]
		if u, err := url.Parse(e.Request.URL); err == nil {
			for k, vs := range u.Query() {
				if isTokenName(k) {
					for _, v := range vs {
						add(v)
					}
				}
			}
		}
		for _, hd := range e.Request.Headers {
			if slices.Contains(tokenHeaders, strings.ToLower(hd.Name)) {
				add(hd.Value)
			}
		}
		if t := e.Response.Content.Text; t != "" && strings.Contains(strings.ToLower(t), "token") {
			body := []byte(t)
			if e.Response.Content.Encoding == "base64" {
				body = decodeBase64(t)
			}
			var v any
			if json.Unmarshal(body, &v) == nil {
				walkTokens(v, "", add)
			}
		}
		for _, m := range e.WebSocketMessages {
			if m.Type != export.HARSend || m.Opcode != int(store.Text) {
				continue
			}
			env, err := confctl.DecodeEnvelope([]byte(m.Data))
			if err != nil || env.Action != confctl.ActionSubscribe {
				continue
			}
			if req, err := confctl.ParseSubscribe(env.Data); err == nil && req.ConfToken != "" {
				add(req.ConfToken)
			}
		}
	}
	return red
}

// isTokenName says whether a query parameter or JSON member holds a token.
func isTokenName(name string) bool {
	return strings.Contains(strings.ToLower(name), "token")
}

// minJSONToken is the shortest token member value walkTokens takes.
const minJSONToken = 12

// walkTokens calls add with every string member of v whose name holds
// "token" and that is at least minJSONToken bytes long.
func walkTokens(v any, name string, add func(string)) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			walkTokens(x, k, add)
		}
	case []any:
		for _, x := range v {
			walkTokens(x, name, add)
		}
	case string:
		// Short values are words ("tokenType": "Basic"), not tokens:
		// redacting them would blank ordinary text.
		if isTokenName(name) && len(v) >= minJSONToken {
			add(v)
		}
	}
}
