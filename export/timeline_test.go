package export_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/confrec/confrec/export"
	"github.com/confrec/confrec/replay"
)

var events = []replay.Event{
	{Time: t0, Received: t0.Add(35 * time.Millisecond), Seq: 4, Kind: replay.EventJoined, Action: "ParticipantsNotify", PID: "p1", Name: "Chen \"CJ\" Jing, 陈"},
	{Time: t0.Add(time.Minute), Received: t0.Add(time.Minute + 20*time.Millisecond), Seq: 9, Kind: replay.EventRoleChanged, Action: "ParticipantsNotify", PID: "p1", Name: "Chen \"CJ\" Jing, 陈", Old: "participant", New: "host"},
	{Time: t0.Add(2 * time.Minute), Received: t0.Add(2 * time.Minute), Seq: 12, Kind: replay.EventInviteResult, Action: "InviteResultNotify", CallNumber: "+99111283400117402", New: "11076010", Detail: "the site hung up / left by itself\nreally"},
}

func TestTimelineFormats(t *testing.T) {
	for _, format := range []export.Format{export.CSV, export.JSON, export.JSONL} {
		t.Run(string(format), func(t *testing.T) {
			var buf bytes.Buffer
			tw, err := export.NewTimelineWriter(&buf, format)
			if err != nil {
				t.Fatal(err)
			}
			for i := range events {
				if err := tw.Write(&events[i]); err != nil {
					t.Fatal(err)
				}
			}
			if err := tw.Close(); err != nil {
				t.Fatal(err)
			}
			var rows []map[string]string
			switch format {
			case export.CSV:
				recs, err := csv.NewReader(&buf).ReadAll()
				if err != nil {
					t.Fatal(err)
				}
				if got := strings.Join(recs[0], ","); got != "time,received,seq,kind,action,pid,name,call_number,old,new,detail" {
					t.Fatalf("header %s", got)
				}
				for _, r := range recs[1:] {
					row := map[string]string{}
					for i, k := range recs[0] {
						row[k] = r[i]
					}
					rows = append(rows, row)
				}
			case export.JSON:
				var v []map[string]any
				if err := decodeNumbers(buf.Bytes(), &v); err != nil {
					t.Fatalf("not a JSON array: %v\n%s", err, buf.String())
				}
				rows = stringify(v)
			case export.JSONL:
				var v []map[string]any
				for line := range bytes.Lines(buf.Bytes()) {
					var m map[string]any
					if err := decodeNumbers(line, &m); err != nil {
						t.Fatal(err)
					}
					v = append(v, m)
				}
				rows = stringify(v)
			}
			if len(rows) != len(events) {
				t.Fatalf("%d rows, want %d", len(rows), len(events))
			}
			want := map[string]string{"time": "2025-03-18T02:01:00.123Z", "received": "2025-03-18T02:01:00.143Z", "seq": "9",
				"kind": "role_changed", "pid": "p1", "name": "Chen \"CJ\" Jing, 陈", "old": "participant", "new": "host"}
			for k, v := range want {
				if rows[1][k] != v {
					t.Errorf("%s: %q, want %q", k, rows[1][k], v)
				}
			}
			if rows[2]["detail"] != events[2].Detail || rows[2]["call_number"] != events[2].CallNumber {
				t.Errorf("detail %q, call number %q", rows[2]["detail"], rows[2]["call_number"])
			}
		})
	}
	if _, err := export.NewTimelineWriter(&bytes.Buffer{}, "xml"); !errors.Is(err, export.ErrFormat) {
		t.Errorf("xml: %v", err)
	}
}

// decodeNumbers decodes JSON keeping numbers as json.Number.
func decodeNumbers(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	return d.Decode(v)
}

// stringify turns decoded JSON objects into maps of strings.
func stringify(v []map[string]any) []map[string]string {
	var out []map[string]string
	for _, m := range v {
		row := map[string]string{}
		for k, x := range m {
			row[k] = fmt.Sprint(x)
		}
		out = append(out, row)
	}
	return out
}

func TestAttendanceFormats(t *testing.T) {
	presences := []replay.Presence{
		{PID: "p1", Name: "Chen Jing", Role: replay.RoleHost, Joined: t0, Left: t0.Add(90*time.Second + 250*time.Millisecond), Duration: 90*time.Second + 250*time.Millisecond},
		{PID: "p2", Name: "Wang, Lei", Role: replay.RoleParticipant, Joined: t0.Add(time.Second), Left: t0.Add(2 * time.Second), Duration: time.Second},
	}
	summary := []replay.PersonSummary{
		{PID: "p1", Name: "Chen Jing", FirstJoined: t0, LastLeft: t0.Add(time.Hour), Total: 50 * time.Minute, Rejoins: 2, Speaking: 61500 * time.Millisecond, TimesMuted: 3},
	}
	var csvOut, jsonOut, sumCSV, sumJSON bytes.Buffer
	for _, w := range []struct {
		err error
	}{
		{export.Attendance(&csvOut, presences, export.CSV)},
		{export.Attendance(&jsonOut, presences, export.JSON)},
		{export.AttendanceSummary(&sumCSV, summary, export.CSV)},
		{export.AttendanceSummary(&sumJSON, summary, export.JSON)},
	} {
		if w.err != nil {
			t.Fatal(w.err)
		}
	}
	wantCSV := "pid,name,role,joined,left,duration_seconds\r\n" +
		"p1,Chen Jing,host,2025-03-18T02:00:00.123Z,2025-03-18T02:01:30.373Z,90.250\r\n" +
		"p2,\"Wang, Lei\",participant,2025-03-18T02:00:01.123Z,2025-03-18T02:00:02.123Z,1.000\r\n"
	if csvOut.String() != wantCSV {
		t.Errorf("attendance CSV:\n%s\nwant:\n%s", csvOut.String(), wantCSV)
	}
	var rows []map[string]any
	if err := json.Unmarshal(jsonOut.Bytes(), &rows); err != nil || len(rows) != 2 {
		t.Fatalf("attendance JSON: %v %s", err, jsonOut.String())
	}
	if rows[0]["duration_seconds"] != 90.25 || rows[0]["joined"] != "2025-03-18T02:00:00.123Z" || rows[1]["role"] != "participant" {
		t.Errorf("attendance JSON row: %v", rows[0])
	}
	wantSum := "pid,name,first_joined,last_left,total_seconds,rejoins,speaking_seconds,times_muted\r\n" +
		"p1,Chen Jing,2025-03-18T02:00:00.123Z,2025-03-18T03:00:00.123Z,3000.000,2,61.500,3\r\n"
	if sumCSV.String() != wantSum {
		t.Errorf("summary CSV:\n%s\nwant:\n%s", sumCSV.String(), wantSum)
	}
	var srows []map[string]any
	if err := json.Unmarshal(sumJSON.Bytes(), &srows); err != nil || len(srows) != 1 || srows[0]["speaking_seconds"] != 61.5 || srows[0]["rejoins"] != 2.0 {
		t.Errorf("summary JSON: %v %s", err, sumJSON.String())
	}
	var empty bytes.Buffer
	if err := export.Attendance(&empty, nil, export.JSON); err != nil || strings.TrimSpace(empty.String()) != "[]" {
		t.Errorf("no rows as JSON: %q, %v", empty.String(), err)
	}
	if err := export.Attendance(&empty, nil, export.JSONL); !errors.Is(err, export.ErrFormat) {
		t.Errorf("attendance as JSON Lines: %v, want ErrFormat", err)
	}
}
