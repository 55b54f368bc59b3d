package export

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/confrec/confrec/replay"
)

// presenceRecord is one exported presence interval.
type presenceRecord struct {
	PID             string  `json:"pid"`
	Name            string  `json:"name"`
	Role            string  `json:"role"`
	Joined          string  `json:"joined"`
	Left            string  `json:"left"`
	DurationSeconds float64 `json:"duration_seconds"`
}

// summaryRecord is one exported person summary.
type summaryRecord struct {
	PID             string  `json:"pid"`
	Name            string  `json:"name"`
	FirstJoined     string  `json:"first_joined"`
	LastLeft        string  `json:"last_left"`
	TotalSeconds    float64 `json:"total_seconds"`
	Rejoins         int     `json:"rejoins"`
	SpeakingSeconds float64 `json:"speaking_seconds"`
	TimesMuted      int     `json:"times_muted"`
}

// seconds gives d in seconds, to the millisecond.
func seconds(d time.Duration) float64 { return float64(d.Milliseconds()) / 1000 }

func fmtSeconds(d time.Duration) string { return strconv.FormatFloat(seconds(d), 'f', 3, 64) }

// Attendance writes one row per presence interval (pid, name, role at join,
// joined, left, duration_seconds) as CSV or JSON (an array of objects).
func Attendance(w io.Writer, rows []replay.Presence, format Format) error {
	recs := make([]presenceRecord, len(rows))
	cells := make([][]string, len(rows))
	for i, p := range rows {
		recs[i] = presenceRecord{PID: p.PID, Name: p.Name, Role: p.Role, Joined: fmtEventTime(p.Joined),
			Left: fmtEventTime(p.Left), DurationSeconds: seconds(p.Duration)}
		r := recs[i]
		cells[i] = []string{r.PID, r.Name, r.Role, r.Joined, r.Left, fmtSeconds(p.Duration)}
	}
	header := []string{"pid", "name", "role", "joined", "left", "duration_seconds"}
	if err := writeTable(w, format, header, cells, recs); err != nil {
		return fmt.Errorf("export attendance: %w", err)
	}
	return nil
}

// AttendanceSummary writes one row per person (pid, name, first_joined,
// last_left, total_seconds, rejoins, speaking_seconds, times_muted) as CSV or
// JSON (an array of objects).
func AttendanceSummary(w io.Writer, rows []replay.PersonSummary, format Format) error {
	recs := make([]summaryRecord, len(rows))
	cells := make([][]string, len(rows))
	for i, s := range rows {
		recs[i] = summaryRecord{PID: s.PID, Name: s.Name, FirstJoined: fmtEventTime(s.FirstJoined),
			LastLeft: fmtEventTime(s.LastLeft), TotalSeconds: seconds(s.Total), Rejoins: s.Rejoins,
			SpeakingSeconds: seconds(s.Speaking), TimesMuted: s.TimesMuted}
		r := recs[i]
		cells[i] = []string{r.PID, r.Name, r.FirstJoined, r.LastLeft, fmtSeconds(s.Total), strconv.Itoa(r.Rejoins),
			fmtSeconds(s.Speaking), strconv.Itoa(r.TimesMuted)}
	}
	header := []string{"pid", "name", "first_joined", "last_left", "total_seconds", "rejoins", "speaking_seconds", "times_muted"}
	if err := writeTable(w, format, header, cells, recs); err != nil {
		return fmt.Errorf("export attendance summary: %w", err)
	}
	return nil
}

// writeTable writes rows as CSV (header and cells) or JSON (records, an array).
func writeTable[T any](w io.Writer, format Format, header []string, cells [][]string, records []T) error {
	bw := bufio.NewWriter(w)
	switch format {
	case CSV:
		line := appendCSVRecord(nil, header)
		if _, err := bw.Write(line); err != nil {
			return err
		}
		for _, row := range cells {
			line = appendCSVRecord(line[:0], row)
			if _, err := bw.Write(line); err != nil {
				return err
			}
		}
	case JSON:
		enc := json.NewEncoder(bw)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(records); err != nil {
			return err
		}
	default:
		return fmt.Errorf("%w %q: use csv or json", ErrFormat, format)
	}
	return bw.Flush()
}
