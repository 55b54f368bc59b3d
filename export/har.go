package export

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/confrec/confrec/store"
)

// HAR is an HTTP Archive (HAR 1.2) document as Chrome DevTools writes it
// ("Save all as HAR"), reduced to what a WebSocket session needs. Package
// export writes it (WriteHAR) and the importer reads it with the same types,
// so what one writes the other reads.
type HAR struct {
	Log HARLog `json:"log"`
}

// HARLog is the log object of a HAR.
type HARLog struct {
	Version string     `json:"version"`
	Creator HARCreator `json:"creator"`
	Pages   []HARPage  `json:"pages,omitempty"`
	Entries []HAREntry `json:"entries"`
}

// HARCreator names the program that wrote a HAR.
type HARCreator struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// HARPage is a page of a HAR; WriteHAR writes none, and the importer ignores them.
type HARPage struct {
	StartedDateTime string `json:"startedDateTime"`
	ID              string `json:"id"`
	Title           string `json:"title"`
}

// HAREntry is one request of a HAR. A WebSocket session is the upgrade
// request, with its messages in WebSocketMessages (a DevTools extension).
type HAREntry struct {
	ResourceType      string         `json:"_resourceType,omitempty"`
	Cache             struct{}       `json:"cache"`
	Request           HARRequest     `json:"request"`
	Response          HARResponse    `json:"response"`
	ServerIPAddress   string         `json:"serverIPAddress,omitempty"`
	StartedDateTime   string         `json:"startedDateTime"`
	Time              float64        `json:"time"`
	Timings           HARTimings     `json:"timings"`
	WebSocketMessages []HARWSMessage `json:"_webSocketMessages,omitempty"`
	Connection        string         `json:"connection,omitempty"`
}

// HARRequest is the request of a HAR entry.
type HARRequest struct {
	Method      string       `json:"method"`
	URL         string       `json:"url"`
	HTTPVersion string       `json:"httpVersion"`
	Headers     []HARNameVal `json:"headers"`
	QueryString []HARNameVal `json:"queryString"`
	Cookies     []HARNameVal `json:"cookies"`
	HeadersSize int          `json:"headersSize"`
	BodySize    int          `json:"bodySize"`
	PostData    *HARContent  `json:"postData,omitempty"`
}

// HARResponse is the response of a HAR entry.
type HARResponse struct {
	Status      int          `json:"status"`
	StatusText  string       `json:"statusText"`
	HTTPVersion string       `json:"httpVersion"`
	Headers     []HARNameVal `json:"headers"`
	Cookies     []HARNameVal `json:"cookies"`
	Content     HARContent   `json:"content"`
	RedirectURL string       `json:"redirectURL"`
	HeadersSize int          `json:"headersSize"`
	BodySize    int          `json:"bodySize"`
}

// HARNameVal is a header, query parameter or cookie.
type HARNameVal struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// HARContent is a response's content (or a request's postData).
type HARContent struct {
	Size     int    `json:"size"`
	MimeType string `json:"mimeType"`
	Text     string `json:"text,omitempty"`
	Encoding string `json:"encoding,omitempty"`
}

// HARTimings are an entry's timings in milliseconds; -1 means not applicable.
type HARTimings struct {
	Blocked float64 `json:"blocked"`
	DNS     float64 `json:"dns"`
	SSL     float64 `json:"ssl"`
	Connect float64 `json:"connect"`
	Send    float64 `json:"send"`
	Wait    float64 `json:"wait"`
	Receive float64 `json:"receive"`
}

// HARWSMessage is one WebSocket message of a HAR entry, as DevTools writes
// it: Type "send" or "receive", Time in seconds since the Unix epoch,
// Opcode 1 (text: Data is the text) or 2 (binary: Data is base64). WriteHAR
// also writes close frames, as opcode 8 with the close payload (2-byte code
// and reason) in base64; DevTools records none.
type HARWSMessage struct {
	Type   string    `json:"type"`
	Time   EpochTime `json:"time"`
	Opcode int       `json:"opcode"`
	Data   string    `json:"data"`
}

// Types of HARWSMessage.
const (
	HARSend    = "send"
	HARReceive = "receive"
)

// EpochTime is a time as seconds since the Unix epoch with a fraction. It
// marshals with exactly six decimals (microseconds), the resolution a
// float64 keeps for current dates.
type EpochTime float64

// MarshalJSON implements json.Marshaler.
func (t EpochTime) MarshalJSON() ([]byte, error) {
	return strconv.AppendFloat(nil, float64(t), 'f', 6, 64), nil
}

// NewEpochTime converts t, rounded to the microsecond.
func NewEpochTime(t time.Time) EpochTime {
	us := t.Round(time.Microsecond).UnixMicro()
	return EpochTime(float64(us) / 1e6)
}

// Time returns t as a time.Time in UTC, rounded to the microsecond.
func (t EpochTime) Time() time.Time {
	sec, frac := math.Modf(float64(t))
	us := int64(math.Round(frac * 1e6))
	return time.Unix(int64(sec), us*1000).UTC()
}

// HARDateLayout is the layout of startedDateTime: ISO 8601 in UTC with
// milliseconds, as JavaScript's Date.toJSON writes it.
const HARDateLayout = "2006-01-02T15:04:05.000Z"

// HAROptions shape what WriteHAR writes. A nil *HAROptions writes
// "confrec" version "devel" as the creator.
type HAROptions struct {
	// CreatorVersion is the creator's version; "devel" when empty.
	CreatorVersion string
}

// WriteHAR writes meeting of db to w as a HAR 1.2 document: one entry per
// session (the WebSocket upgrade, GET of the session's stored URL, which
// the recorder stored with its tokens redacted, answered 101), with the
// session's frames as _webSocketMessages, entries in order of their start.
// Frames of no known session (0, or a session missing from the meeting) get
// an entry of their own with an empty URL. The output depends only on what is stored: same meeting, same
// bytes.
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
	h := HAR{Log: HARLog{
		Version: "1.2",
		Creator: HARCreator{Name: "confrec", Version: version},
		Entries: make([]HAREntry, 0, len(ids)),
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
func harEntry(s store.Session, frames []store.Frame) HAREntry {
	end := s.End
	if n := len(frames); n > 0 && frames[n-1].Time.After(end) {
		end = frames[n-1].Time
	}
	total := 0.0
	if !s.Start.IsZero() && end.After(s.Start) {
		total = float64(end.Sub(s.Start).Round(time.Microsecond).Microseconds()) / 1e3
	}
	reqHeaders := []HARNameVal{
		{Name: "Connection", Value: "Upgrade"},
		{Name: "Sec-WebSocket-Version", Value: "13"},
		{Name: "Upgrade", Value: "websocket"},
	}
	respHeaders := []HARNameVal{
		{Name: "Connection", Value: "Upgrade"},
		{Name: "Upgrade", Value: "websocket"},
	}
	for _, e := range s.Extensions {
		respHeaders = append(respHeaders, HARNameVal{Name: "Sec-WebSocket-Extensions", Value: e})
	}
	e := HAREntry{
		ResourceType: "websocket",
		Request: HARRequest{
			Method:      "GET",
			URL:         s.URL,
			HTTPVersion: "HTTP/1.1",
			Headers:     reqHeaders,
			QueryString: queryString(s.URL),
			Cookies:     []HARNameVal{},
			HeadersSize: -1,
		},
		Response: HARResponse{
			Status:      101,
			StatusText:  "Switching Protocols",
			HTTPVersion: "HTTP/1.1",
			Headers:     respHeaders,
			Cookies:     []HARNameVal{},
			Content:     HARContent{MimeType: "x-unknown"},
			HeadersSize: -1,
		},
		ServerIPAddress:   serverIP(s.RemoteAddr),
		StartedDateTime:   s.Start.UTC().Format(HARDateLayout),
		Time:              total,
		Timings:           HARTimings{Blocked: -1, DNS: -1, SSL: -1, Connect: -1, Wait: total},
		WebSocketMessages: make([]HARWSMessage, 0, len(frames)),
	}
	if s.Start.IsZero() {
		e.StartedDateTime = time.Unix(0, 0).UTC().Format(HARDateLayout)
	}
	for i := range frames {
		e.WebSocketMessages = append(e.WebSocketMessages, harMessage(&frames[i]))
	}
	return e
}

// harMessage describes one frame as DevTools does: text as is, any other
// payload in base64.
func harMessage(f *store.Frame) HARWSMessage {
	m := HARWSMessage{Type: HARReceive, Time: NewEpochTime(f.Time), Opcode: int(f.Op)}
	if f.Dir == store.Out {
		m.Type = HARSend
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
func queryString(u string) []HARNameVal {
	out := []HARNameVal{}
	pu, err := url.Parse(u)
	if err != nil {
		return out
	}
	return append(out, splitQuery(pu.RawQuery)...)
}

// splitQuery splits a raw query into decoded name/value pairs, keeping
// their order (url.Values would sort them).
func splitQuery(raw string) []HARNameVal {
	var out []HARNameVal
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
		out = append(out, HARNameVal{Name: k, Value: v})
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
