package importer

import (
	"bytes"
	"container/heap"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/confrec/confrec/confctl"
	"github.com/confrec/confrec/interchange"
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

// harSession is one WebSocket entry to import: what the first pass over
// the file learnt of it.
type harSession struct {
	meeting string
	start   time.Time
	end     time.Time
	url     string // as the file has it; redacted when stored
	remote  string
	// msgs is the offset in the file of its _webSocketMessages array.
	msgs int64
	// sorted says its messages are in time order, as DevTools writes them.
	sorted bool
}

// harMessages is what the first pass learnt of an entry's
// _webSocketMessages.
type harMessages struct {
	off        int64
	frames     int
	seen       int // messages read, frames or not
	sorted     bool
	last       time.Time // of the last frame in the file's order
	minT, maxT time.Time
}

// HAR reads a HAR document from r and stores its WebSocket sessions (see
// HAROptions for which), one new meeting per meeting ID, with every secret
// the file shows redacted. It checks the whole file and that none of the
// meetings exists before it stores anything. It returns what it stored,
// one Result per meeting, in the order the meetings first appear.
//
// HAR reads r twice, streaming: first to check it, collect its secrets and
// find its sessions, then to store each meeting's frames, merging its
// sessions' messages by time. It holds a message per session and a batch
// of frames to store, never the file (and, for an entry whose messages are
// out of time order, their offsets).
func HAR(ctx context.Context, db *store.DB, r io.ReaderAt, opts *HAROptions) ([]Result, error) {
	var o HAROptions
	if opts != nil {
		o = *opts
	}
	sc := harScan{meeting: o.Meeting, secrets: harSecrets{red: new(confctl.Redactor)}}
	if err := sc.scan(r); err != nil {
		return nil, fmt.Errorf("import har: %w: %v", ErrFormat, err)
	}
	red := sc.secrets.red
	if sc.err != nil {
		return nil, fmt.Errorf("import har: %w", sc.err(red))
	}
	var order []string
	byMeeting := make(map[string][]*harSession)
	for _, s := range sc.sessions {
		if _, ok := byMeeting[s.meeting]; !ok {
			order = append(order, s.meeting)
		}
		byMeeting[s.meeting] = append(byMeeting[s.meeting], s)
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
		res, err := storeHARMeeting(ctx, db, r, red, id, byMeeting[id], o.Name)
		results = append(results, res)
		if err != nil {
			return results, fmt.Errorf("import har: %w", err)
		}
	}
	return results, nil
}

// harScan is the first pass over a HAR file.
type harScan struct {
	meeting  string // HAROptions.Meeting
	secrets  harSecrets
	sessions []*harSession
	// err, when not nil, makes the error of the first entry that cannot
	// be imported, once every secret of the file is known.
	err func(red *confctl.Redactor) error
}

// scan reads the HAR document of r member by member: it holds one entry
// at a time, but for its _webSocketMessages, which it reads one message at
// a time. Members other than log.entries are decoded as a HAR's are, and
// must have its types. log and log.entries may appear once each.
func (sc *harScan) scan(r io.ReaderAt) error {
	dec := json.NewDecoder(io.NewSectionReader(r, 0, math.MaxInt64))
	var h interchange.HAR
	var seenLog, seenEntries bool
	_, err := members(dec, "the HAR", func(key string) error {
		if !strings.EqualFold(key, "log") {
			return decodeMember(dec, &h, key)
		}
		if seenLog {
			return errors.New("log appears twice")
		}
		seenLog = true
		_, err := members(dec, "log", func(key string) error {
			if !strings.EqualFold(key, "entries") {
				return decodeMember(dec, &h.Log, key)
			}
			if seenEntries {
				return errors.New("log.entries appears twice")
			}
			seenEntries = true
			i := 0
			_, _, err := elements(dec, "log.entries", func() error {
				defer func() { i++ }()
				return sc.entry(dec, i)
			})
			return err
		})
		return err
	})
	return err
}

// entry reads entry i of log.entries.
func (sc *harScan) entry(dec *json.Decoder, i int) error {
	var e interchange.HAREntry
	var ms *harMessages
	null, err := members(dec, fmt.Sprintf("entry %d", i), func(key string) error {
		if !strings.EqualFold(key, "_webSocketMessages") {
			return decodeMember(dec, &e, key)
		}
		var err error
		ms, err = sc.messages(dec)
		if err != nil {
			return fmt.Errorf("entry %d: _webSocketMessages: %w", i, err)
		}
		return nil
	})
	if err != nil || null {
		return err
	}
	sc.secrets.entry(&e)
	if ms == nil || sc.err != nil {
		return nil
	}
	id := sc.meeting
	if id == "" {
		u, err := url.Parse(e.Request.URL)
		if err != nil || u.Path != confctl.ConnectPath {
			return nil
		}
		if id = u.Query().Get("confID"); id == "" {
			raw := e.Request.URL
			sc.err = func(red *confctl.Redactor) error {
				return fmt.Errorf("entry %d (%s): %w: the URL has no confID (give the meeting ID)", i, red.RedactURL(raw), ErrNoMeetingID)
			}
			return nil
		}
	}
	s, err := newHARSession(&e, ms)
	if err != nil {
		sc.err = func(*confctl.Redactor) error { return fmt.Errorf("entry %d: %w", i, err) }
		return nil
	}
	s.meeting = id
	sc.sessions = append(sc.sessions, s)
	return nil
}

// messages reads an entry's _webSocketMessages, one message at a time,
// collecting the secrets they show. It returns nil for a null.
func (sc *harScan) messages(dec *json.Decoder) (*harMessages, error) {
	ms := &harMessages{sorted: true}
	off, null, err := elements(dec, "_webSocketMessages", func() error {
		// The data of a message is unquoted only where it may hold a
		// secret: a text message sent.
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return err
		}
		if err := checkMembers(raw, harMessageNames); err != nil {
			return fmt.Errorf("message %d: %w", ms.seen, err)
		}
		ms.seen++
		var m harMessageHead
		if err := json.Unmarshal(raw, &m); err != nil {
			return err
		}
		if m.Type == interchange.HARSend && m.Opcode == int(store.Text) {
			var data string
			if err := json.Unmarshal(m.Data, &data); err != nil {
				return err
			}
			sc.secrets.message(&interchange.HARWSMessage{Type: m.Type, Opcode: m.Opcode, Data: data})
		}
		if m.Type != interchange.HARSend && m.Type != interchange.HARReceive {
			return nil
		}
		t := m.Time.Time()
		if ms.frames == 0 {
			ms.minT, ms.maxT = t, t
		} else {
			ms.sorted = ms.sorted && !t.Before(ms.last)
			ms.minT, ms.maxT = cmpMin(ms.minT, t), cmpMax(ms.maxT, t)
		}
		ms.last = t
		ms.frames++
		return nil
	})
	if null || err != nil {
		return nil, err
	}
	ms.off = off
	return ms, nil
}

// harMessageNames are the members of a HAR message that import reads.
var harMessageNames = []string{"type", "time", "opcode", "data"}

// harMessageHead is an interchange.HARWSMessage with its data left as JSON.
type harMessageHead struct {
	Type   string                `json:"type"`
	Time   interchange.EpochTime `json:"time"`
	Opcode int                   `json:"opcode"`
	Data   json.RawMessage       `json:"data"`
}

// newHARSession makes the session of entry e, whose messages are ms.
func newHARSession(e *interchange.HAREntry, ms *harMessages) (*harSession, error) {
	s := &harSession{url: e.Request.URL, remote: e.ServerIPAddress, msgs: ms.off, sorted: ms.sorted}
	if t, err := time.Parse(time.RFC3339Nano, e.StartedDateTime); err == nil {
		s.start = t.UTC()
	} else if ms.frames > 0 {
		s.start = ms.minT
	} else {
		return nil, fmt.Errorf("%w: startedDateTime %q", ErrFormat, e.StartedDateTime)
	}
	s.end = s.start.Add(time.Duration(e.Time * float64(time.Millisecond)))
	if ms.frames > 0 {
		s.end = cmpMax(s.end, ms.maxT)
		s.start = cmpMin(s.start, ms.minT)
	}
	return s, nil
}

// members reads the JSON object dec is at, calling fn with each key; fn
// reads the member's value. It reports a null instead of an object.
func members(dec *json.Decoder, what string, fn func(key string) error) (null bool, err error) {
	tok, err := dec.Token()
	if err != nil {
		return false, err
	}
	if tok == nil {
		return true, nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return false, fmt.Errorf("%s is not an object", what)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return false, err
		}
		key, _ := tok.(string)
		if err := fn(key); err != nil {
			return false, err
		}
	}
	_, err = dec.Token()
	return false, err
}

// elements reads the JSON array dec is at, calling fn to read each
// element, and returns the offset of its '['. It reports a null instead of
// an array.
func elements(dec *json.Decoder, what string, fn func() error) (off int64, null bool, err error) {
	tok, err := dec.Token()
	if err != nil {
		return 0, false, err
	}
	if tok == nil {
		return 0, true, nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return 0, false, fmt.Errorf("%s is not an array", what)
	}
	off = dec.InputOffset() - 1
	for dec.More() {
		if err := fn(); err != nil {
			return off, false, err
		}
	}
	_, err = dec.Token()
	return off, false, err
}

// decodeMember decodes the value dec is at as member key of the object
// dst, as decoding the whole object would.
func decodeMember(dec *json.Decoder, dst any, key string) error {
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return err
	}
	k, err := json.Marshal(key)
	if err != nil {
		return err
	}
	return json.Unmarshal(slices.Concat([]byte("{"), k, []byte(":"), raw, []byte("}")), dst)
}

// harBatchBytes bounds the payload bytes of one batch storeHARMeeting
// appends: each is a commit, synced.
const harBatchBytes = 2 << 20

// storeHARMeeting stores the sessions of one meeting: sessions in order of
// their start, frames in order of their time (in the order of their
// sessions, then of the file, where times are equal). It reads the
// sessions' messages from r, merging them as it goes.
func storeHARMeeting(ctx context.Context, db *store.DB, r io.ReaderAt, red *confctl.Redactor, id string, sessions []*harSession, name string) (Result, error) {
	res := Result{Meeting: id}
	slices.SortStableFunc(sessions, func(a, b *harSession) int { return a.start.Compare(b.start) })
	sids := make([]uint32, len(sessions))
	for i, s := range sessions {
		sid, err := db.BeginSession(ctx, id, store.Session{
			Start:      s.start,
			URL:        red.RedactURL(s.url),
			RemoteAddr: s.remote,
			Attrs:      map[string]string{"imported": "har"},
		})
		if err != nil {
			return res, err
		}
		sids[i] = sid
		res.Sessions++
	}
	merge := make(harMerge, 0, len(sessions))
	for i, s := range sessions {
		src, err := newHARSource(r, s, red)
		if err != nil {
			return res, err
		}
		src.session = i
		if err := src.next(); err != nil {
			return res, err
		}
		if src.ok {
			merge = append(merge, src)
		}
	}
	heap.Init(&merge)
	ends := make([]store.SessionEnd, len(sessions))
	var batch []store.Frame
	var batchBytes int
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := db.Append(ctx, id, batch...); err != nil {
			return err
		}
		res.Frames += len(batch)
		clear(batch)
		batch, batchBytes = batch[:0], 0
		return nil
	}
	for len(merge) > 0 {
		src := merge[0]
		f := src.head
		f.Session = sids[src.session]
		batch = append(batch, f)
		batchBytes += len(f.Payload)
		end := store.SessionEnd{Reason: "imported"}
		if code, reason, ok := f.CloseStatus(); ok {
			end.CloseCode, end.CloseReason = int(code), reason
		}
		ends[src.session] = end
		if err := src.next(); err != nil {
			return res, err
		}
		if src.ok {
			heap.Fix(&merge, 0)
		} else {
			heap.Pop(&merge)
		}
		if batchBytes >= harBatchBytes {
			if err := flush(); err != nil {
				return res, err
			}
		}
	}
	if err := flush(); err != nil {
		return res, err
	}
	for i, s := range sessions {
		end := ends[i]
		end.Reason = "imported"
		if err := db.EndSession(ctx, id, sids[i], s.end, end); err != nil {
			return res, err
		}
	}
	if err := db.SetLabel(id, LabelImported, "har:"+name); err != nil {
		return res, err
	}
	return res, db.Flush(ctx)
}

// harSource reads the frames of one session in time order: straight from
// its _webSocketMessages when they are in order, else through an index
// of their offsets sorted by time.
type harSource struct {
	session int // index in the meeting's sessions
	red     *confctl.Redactor
	dec     *json.Decoder
	// For messages out of order: their places, in time order.
	r     io.ReaderAt
	index []harMessageRef
	buf   []byte
	// head is the next frame when ok.
	head store.Frame
	ok   bool
}

// harMessageRef is where one frame's message is in the file.
type harMessageRef struct {
	t          time.Time
	start, end int64
}

// newHARSource opens the messages of s in r.
func newHARSource(r io.ReaderAt, s *harSession, red *confctl.Redactor) (*harSource, error) {
	dec := json.NewDecoder(io.NewSectionReader(r, s.msgs, math.MaxInt64-s.msgs))
	src := &harSource{red: red, dec: dec}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return nil, fmt.Errorf("%w: the file changed while it was read", ErrFormat)
	}
	if s.sorted {
		return src, nil
	}
	src.dec, src.r = nil, r
	for dec.More() {
		start := dec.InputOffset()
		var m interchange.HARWSMessage
		if err := dec.Decode(&m); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrFormat, err)
		}
		if isHARFrame(&m) {
			src.index = append(src.index, harMessageRef{t: m.Time.Time(), start: s.msgs + start, end: s.msgs + dec.InputOffset()})
		}
	}
	slices.SortStableFunc(src.index, func(a, b harMessageRef) int { return a.t.Compare(b.t) })
	return src, nil
}

// next reads the next frame into head, or sets ok false after the last.
func (s *harSource) next() error {
	s.ok = false
	var m interchange.HARWSMessage
	if s.dec == nil {
		if len(s.index) == 0 {
			return nil
		}
		ref := s.index[0]
		s.index = s.index[1:]
		s.buf = slices.Grow(s.buf[:0], int(ref.end-ref.start))[:ref.end-ref.start]
		if _, err := s.r.ReadAt(s.buf, ref.start); err != nil {
			return fmt.Errorf("%w: %v", ErrFormat, err)
		}
		if err := json.Unmarshal(bytes.TrimLeft(s.buf, " \t\r\n,"), &m); err != nil {
			return fmt.Errorf("%w: %v", ErrFormat, err)
		}
		s.head, s.ok = harFrame(&m, s.red)
		return nil
	}
	for s.dec.More() {
		m = interchange.HARWSMessage{}
		if err := s.dec.Decode(&m); err != nil {
			return fmt.Errorf("%w: %v", ErrFormat, err)
		}
		if s.head, s.ok = harFrame(&m, s.red); s.ok {
			return nil
		}
	}
	return nil
}

// harMerge is a heap of sources by their head's time, then session.
type harMerge []*harSource

func (h harMerge) Len() int { return len(h) }
func (h harMerge) Less(i, j int) bool {
	if c := h[i].head.Time.Compare(h[j].head.Time); c != 0 {
		return c < 0
	}
	return h[i].session < h[j].session
}
func (h harMerge) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *harMerge) Push(x any)   { *h = append(*h, x.(*harSource)) }
func (h *harMerge) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// isHARFrame says whether m is a frame: DevTools' "error" notes are not.
func isHARFrame(m *interchange.HARWSMessage) bool {
	return m.Type == interchange.HARSend || m.Type == interchange.HARReceive
}

// harFrame turns message m into a frame, its payload redacted by red: the
// one place where an imported frame is redacted. ok is false for a
// message that is not a frame.
func harFrame(m *interchange.HARWSMessage, red *confctl.Redactor) (f store.Frame, ok bool) {
	if !isHARFrame(m) {
		return f, false
	}
	f.Time = m.Time.Time()
	f.Dir = store.In
	if m.Type == interchange.HARSend {
		f.Dir = store.Out
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
	// Binary payloads are redacted too: a secret is a secret whatever the
	// frame's type.
	f.Payload = red.Redact(f.Payload)
	return f, true
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

// minCookieSecret is the shortest cookie value taken for a credential: a
// session ID is long and random, a setting ("lang=en", "theme=dark") is
// short, and redacting it would change ordinary text in the frames.
const minCookieSecret = 16

// tokenHeaders are request headers whose values are credentials.
var tokenHeaders = []string{"authorization", "x-password", "x-conference-authorization", "x-access-token", "x-auth-token", "cookie"}

// harSecrets collects every secret a HAR shows: token query parameters
// of every URL, credential headers, the confToken of every Subscribe sent,
// and the token members of JSON responses (the token API's answers).
type harSecrets struct {
	red *confctl.Redactor
}

func (s *harSecrets) add(v string) {
	if strings.Contains(v, "[redacted:") {
		return // redacted already (a HAR confrec exported)
	}
	s.red.Add(v)
	if bare := confctl.ParseConfToken(v); bare != v {
		s.red.Add(bare)
	}
}

// entry collects the secrets of e's request and response.
func (s *harSecrets) entry(e *interchange.HAREntry) {
	if u, err := url.Parse(e.Request.URL); err == nil {
		for k, vs := range u.Query() {
			if isTokenName(k) {
				for _, v := range vs {
					s.add(v)
				}
			}
		}
	}
	for _, hd := range e.Request.Headers {
		name := strings.ToLower(hd.Name)
		if !slices.Contains(tokenHeaders, name) {
			continue
		}
		s.add(hd.Value)
		if scheme, tok, ok := strings.Cut(strings.TrimSpace(hd.Value), " "); ok && strings.EqualFold(scheme, "Bearer") {
			s.add(strings.TrimSpace(tok))
		}
		if name == "cookie" {
			// Each cookie's value, when it is long enough to be a
			// credential rather than a setting ("lang=en").
			for c := range strings.SplitSeq(hd.Value, ";") {
				if _, v, ok := strings.Cut(c, "="); ok && len(strings.TrimSpace(v)) >= minCookieSecret {
					s.add(strings.TrimSpace(v))
				}
			}
		}
	}
	if t := e.Response.Content.Text; t != "" && strings.Contains(strings.ToLower(t), "token") {
		body := []byte(t)
		if e.Response.Content.Encoding == "base64" {
			body = decodeBase64(t)
		}
		var v any
		if json.Unmarshal(body, &v) == nil {
			walkTokens(v, "", s.add)
		}
	}
}

// message collects the confToken of m if it is a Subscribe sent.
func (s *harSecrets) message(m *interchange.HARWSMessage) {
	if m.Type != interchange.HARSend || m.Opcode != int(store.Text) {
		return
	}
	env, err := confctl.DecodeEnvelope([]byte(m.Data))
	if err != nil || env.Action != confctl.ActionSubscribe {
		return
	}
	if req, err := confctl.ParseSubscribe(env.Data); err == nil && req.ConfToken != "" {
		s.add(req.ConfToken)
	}
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
