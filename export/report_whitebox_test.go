package export

import (
	"reflect"
	"testing"
	"time"

	"github.com/confrec/confrec/replay"
)

func TestReportAttendanceRows(t *testing.T) {
	t0 := time.Date(2025, 3, 18, 2, 0, 0, 0, time.UTC)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	tests := []struct {
		name    string
		summary []replay.PersonSummary
		want    []attendanceView
	}{
		{"nobody joined", nil, nil},
		{
			"one row a person, in the summary's order",
			[]replay.PersonSummary{
				{PID: "p1", Name: "Alice", FirstJoined: at(2 * time.Second), LastLeft: at(35 * time.Minute),
					Total: 35*time.Minute - 2*time.Second, Speaking: 6*time.Minute + 30*time.Second},
				{PID: "p3", Name: "Carol", FirstJoined: at(5 * time.Minute), LastLeft: at(40 * time.Minute),
					Total: 32 * time.Minute, Rejoins: 1, TimesMuted: 3, Speaking: 1500 * time.Millisecond},
			},
			[]attendanceView{
				{Name: "Alice", PID: "p1", Joined: "2025-03-18T02:00:02.000Z", Left: "2025-03-18T02:35:00.000Z",
					Present: "34m58s", Speaking: "6m30s"},
				{Name: "Carol", PID: "p3", Joined: "2025-03-18T02:05:00.000Z", Left: "2025-03-18T02:40:00.000Z",
					Present: "32m00s", Rejoins: 1, TimesMuted: 3, Speaking: "1.5s"},
			},
		},
		{
			"no name: the pid stands in",
			[]replay.PersonSummary{{PID: "p9", FirstJoined: at(0), LastLeft: at(time.Minute), Total: time.Minute}},
			[]attendanceView{{Name: "p9", PID: "p9", Joined: "2025-03-18T02:00:00.000Z", Left: "2025-03-18T02:01:00.000Z",
				Present: "1m00s", Speaking: "0s"}},
		},
		{
			"never left: unknown",
			[]replay.PersonSummary{{PID: "p4", Name: "Dan", FirstJoined: at(0)}},
			[]attendanceView{{Name: "Dan", PID: "p4", Joined: "2025-03-18T02:00:00.000Z", Left: noValue,
				Present: "0s", Speaking: "0s"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newReportView(&ReportInput{Summary: tt.summary, Start: t0, End: at(40 * time.Minute)})
			if !reflect.DeepEqual(v.Attendance, tt.want) {
				t.Errorf("attendance rows\n got %+v\nwant %+v", v.Attendance, tt.want)
			}
		})
	}
}
