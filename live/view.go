package live

import (
	"encoding/json"
	"fmt"
	"time"
)

// This file holds what the page receives: the Server-Sent Events' names
// and their JSON. Times are Unix milliseconds (0: none); event times are
// on the service's clock, as in the report.

// Event names of the stream.
const (
	evList    = "list"    // listView: the meetings
	evMeeting = "meeting" // meetingView: one meeting's state now
	evLanes   = "lanes"   // lanesView: presence intervals new or closed
)

// meetingRow is one meeting of the list.
type meetingRow struct {
	ID        string   `json:"id"`
	Title     string   `json:"title"`
	Recording bool     `json:"recording"`
	Present   int      `json:"present"`  // people present now (recording only)
	Speakers  []string `json:"speakers"` // names of the loudest now (recording only)
	Frames    uint64   `json:"frames"`
	LastFrame int64    `json:"last_frame"` // receive time of the last frame
	// Session says how the recording goes: "connected since 10:23:00Z",
	// or how the last session ended.
	Session  string `json:"session"`
	Sessions uint32 `json:"sessions"`
	Gaps     uint32 `json:"gaps"` // reconnects: the sessions after the first
}

// listView is the list of meetings: those being recorded, and the latest
// recorded ones (Recent of Total).
type listView struct {
	Recording []meetingRow `json:"recording"`
	Recorded  []meetingRow `json:"recorded"`
	Total     int          `json:"total"`
}

// person is one participant present now.
type person struct {
	PID     string `json:"pid"`
	Name    string `json:"name"`
	Role    string `json:"role"`
	Muted   bool   `json:"muted"`
	Camera  bool   `json:"camera"`
	Hand    bool   `json:"hand"`
	Sharing bool   `json:"sharing"`
}

// rank is one line of the speaking ranking.
type rank struct {
	PID      string `json:"pid"`
	Name     string `json:"name"`
	Speaking int64  `json:"speaking"` // milliseconds
	Present  int64  `json:"present"`  // milliseconds
}

// meetingView is one meeting now.
type meetingView struct {
	meetingRow
	State string `json:"state"` // the service's: Created, Destroyed
	// Start is the first event's time; Now the service's clock at the
	// update (the meeting's end once it ended). The page moves Now on by
	// its own clock between updates while Recording.
	Start   int64    `json:"start"`
	Now     int64    `json:"now"`
	People  []person `json:"people"`
	Ranking []rank   `json:"ranking"` // people who spoke, most first
}

// interval is one presence interval, by its index in the order intervals
// opened (replay.Attendance.Interval).
type interval struct {
	I      int    `json:"i"`
	PID    string `json:"pid"`
	Name   string `json:"name"`
	Joined int64  `json:"joined"`
	Left   int64  `json:"left"` // 0 while open
}

// lanesView is what changed in the presence lanes: intervals opened or
// closed since the last one, or every interval when Reset.
type lanesView struct {
	Reset     bool       `json:"reset"`
	Intervals []interval `json:"intervals"`
}

// ms returns t in Unix milliseconds, 0 for the zero time.
func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// message is one Server-Sent Event, ready to write.
type message []byte

// newMessage encodes v as the event name. The JSON holds no line break,
// so it is one data line.
func newMessage(name string, v any) (message, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode %s event: %w", name, err)
	}
	m := make([]byte, 0, len(b)+len(name)+16)
	m = append(m, "event: "...)
	m = append(m, name...)
	m = append(m, "\ndata: "...)
	m = append(m, b...)
	m = append(m, "\n\n"...)
	return m, nil
}
