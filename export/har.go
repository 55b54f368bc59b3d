package export

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/confrec/confrec/interchange"
	"github.com/confrec/confrec/store"
)

// HAROptions shape what WriteHAR writes. A nil *HAROptions writes
// "confrec" version "devel" as the creator.
type HAROptions struct {
	// CreatorVersion is the creator's version; "devel" when empty.
	CreatorVersion string
}

// WriteHAR writes meeting of db to w as a HAR 1.2 document
// (interchange.HAR): one entry per session (the WebSocket upgrade, GET of
// the session's stored URL, which the recorder stored with its tokens
// redacted, answered 101), with the session's frames as
// _webSocketMessages, entries in order of their start. Frames of no known
// session (0, or a session missing from the meeting) get an entry of their
// own with an empty URL. The output depends only on what is stored: same
// meeting, same bytes.
func WriteHAR(w io.Writer, db *store.DB, meeting string, opts *HAROptions) error {
	version := "devel"
	if opts != nil && opts.CreatorVersion != "" {
		version = opts.CreatorVersion
	}
	m, err := db.Meeting(meeting)
	if err != nil {
		return fmt.Errorf("export har of %s: %w", meeting, err)
	}
	sessions := make(map[uint32]store.Session, len(m.Sessions))
	for _, s := range m.Sessions {
		sessions[s.ID] = s
	}
	frames := make(map[uint32][]store.Frame)
	c, err := db.Frames(meeting, nil)
	if err != nil {
		return fmt.Errorf("export har of %s: %w", meeting, err)
	}
	defer c.Close()
	for c.Next() {
		f := c.Frame()
		frames[f.Session] = append(frames[f.Session], f)
	}
	if err := c.Err(); err != nil {
		return fmt.Errorf("export har of %s: %w", meeting, err)
	}
	ids := make([]uint32, 0, len(sessions)+1)
	for id := range sessions {
		ids = append(ids, id)
	}
	for id := range frames {
		if _, ok := sessions[id]; !ok {
			ids = append(ids, id)
		}
	}
	h := interchange.HAR{Log: interchange.HARLog{
		Version: "1.2",
		Creator: interchange.HARCreator{Name: "confrec", Version: version},
		Entries: make([]interchange.HAREntry, 0, len(ids)),
	}}
	all := make([]store.Session, 0, len(ids))
	for _, id := range ids {
		s, ok := sessions[id]
		if !ok {
			s = store.Session{ID: id}
			if fs := frames[id]; len(fs) > 0 {
				s.Start = fs[0].Time
			}
		}
		all = append(all, s)
	}
	// In order of start, as DevTools lists requests.
	slices.SortFunc(all, func(a, b store.Session) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	for _, s := range all {
		h.Log.Entries = append(h.Log.Entries, harEntry(s, frames[s.ID]))
	}
	// Text as DevTools writes it: no HTML escaping of <, > and &.
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(&h); err != nil {
		return fmt.Errorf("export har of %s: %w", meeting, err)
	}
	return nil
}

// harEntry describes session s and its frames as one HAR entry.
func harEntry(s store.Session, frames []store.Frame) interchange.HAREntry {
	end := s.End
	if n := len(frames); n > 0 && frames[n-1].Time.After(end) {
		end = frames[n-1].Time
	}
	total := 0.0
	if !s.Start.IsZero() && end.After(s.Start) {
		total = float64(end.Sub(s.Start).Round(time.Microsecond).Microseconds()) / 1e3
	}
	reqHeaders := []interchange.HARNameVal{
		{Name: "Connection", Value: "Upgrade"},
		{Name: "Sec-WebSocket-Version", Value: "13"},
		{Name: "Upgrade", Value: "websocket"},
	}
	respHeaders := []interchange.HARNameVal{
		{Name: "Connection", Value: "Upgrade"},
		{Name: "Upgrade", Value: "websocket"},
	}
	for _, e := range s.Extensions {
		respHeaders = append(respHeaders, interchange.HARNameVal{Name: "Sec-WebSocket-Extensions", Value: e})
	}
	e := interchange.HAREntry{
		ResourceType: "websocket",
		Request: interchange.HARRequest{
			Method:      "GET",
			URL:         s.URL,
			HTTPVersion: "HTTP/1.1",
			Headers:     reqHeaders,
			QueryString: queryString(s.URL),
			Cookies:     []interchange.HARNameVal{},
			HeadersSize: -1,
		},
		Response: interchange.HARResponse{
			Status:      101,
			StatusText:  "Switching Protocols",
			HTTPVersion: "HTTP/1.1",
			Headers:     respHeaders,
			Cookies:     []interchange.HARNameVal{},
			Content:     interchange.HARContent{MimeType: "x-unknown"},
			HeadersSize: -1,
		},
		ServerIPAddress:   serverIP(s.RemoteAddr),
		StartedDateTime:   s.Start.UTC().Format(interchange.HARDateLayout),
		Time:              total,
		Timings:           interchange.HARTimings{Blocked: -1, DNS: -1, SSL: -1, Connect: -1, Wait: total},
		WebSocketMessages: make([]interchange.HARWSMessage, 0, len(frames)),
	}
	if s.Start.IsZero() {
		e.StartedDateTime = time.Unix(0, 0).UTC().Format(interchange.HARDateLayout)
	}
	for i := range frames {
		e.WebSocketMessages = append(e.WebSocketMessages, harMessage(&frames[i]))
	}
	return e
}

// harMessage describes one frame as DevTools does: text as is, any other
// payload in base64.
func harMessage(f *store.Frame) interchange.HARWSMessage {
	m := interchange.HARWSMessage{Type: interchange.HARReceive, Time: interchange.NewEpochTime(f.Time), Opcode: int(f.Op)}
	if f.Dir == store.Out {
		m.Type = interchange.HARSend
	}
	if f.Op == store.Text {
		m.Data = string(f.Payload)
	} else {
		m.Data = base64.StdEncoding.EncodeToString(f.Payload)
	}
	return m
}

// queryString lists u's query parameters in their order in u (HAR wants
// them decoded).
func queryString(u string) []interchange.HARNameVal {
	out := []interchange.HARNameVal{}
	pu, err := url.Parse(u)
	if err != nil {
		return out
	}
	return append(out, splitQuery(pu.RawQuery)...)
}

// splitQuery splits a raw query into decoded name/value pairs, keeping
// their order (url.Values would sort them).
func splitQuery(raw string) []interchange.HARNameVal {
	var out []interchange.HARNameVal
	for raw != "" {
		var kv string
		kv, raw, _ = strings.Cut(raw, "&")
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		if uk, err := url.QueryUnescape(k); err == nil {
			k = uk
		}
		if uv, err := url.QueryUnescape(v); err == nil {
			v = uv
		}
		out = append(out, interchange.HARNameVal{Name: k, Value: v})
	}
	return out
}

// serverIP returns the host of a host:port address.
func serverIP(addr string) string {
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return addr
}
