package interchange

import (
	"math"
	"strconv"
	"time"
)

// HAR is an HTTP Archive (HAR 1.2) document as Chrome DevTools writes it
// ("Save all as HAR"), reduced to what a WebSocket session needs. Package
// export writes it (export.WriteHAR) and package importer reads it, both
// with these types, so what one writes the other reads.
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

// HARPage is a page of a HAR; export.WriteHAR writes none, and the importer
// ignores them.
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
// Opcode 1 (text: Data is the text) or 2 (binary: Data is base64).
// export.WriteHAR also writes close frames, as opcode 8 with the close
// payload (2-byte code and reason) in base64; DevTools records none.
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
