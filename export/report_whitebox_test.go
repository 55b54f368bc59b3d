package export

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/confrec/confrec/replay"
	"github.com/confrec/confrec/store"
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

func TestReportIntegrityItems(t *testing.T) {
	var head store.Hash
	for i := range head {
		head[i] = byte(i)
	}
	const headHex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	broken := fmt.Errorf("verify meeting 1: %w", &store.ChainError{Meeting: "1", Seq: 12,
		Time: time.Date(2025, 3, 18, 2, 0, 0, 40e6, time.UTC), Err: store.ErrChecksum})
	okSeal := &ReportSeal{SHA256: strings.Repeat("ab", 32), ExportSHA256: strings.Repeat("cd", 32), Signature: "unsigned"}
	chainOK := integrityItem{"chain-verify", "Hash chain", "ok: the chain recomputed from the 71 stored frames ends in the head", "ok"}
	// sealed is the block of a sound chain and okSeal's manifest, checked
	// with the result check.
	sealed := func(check integrityItem) []integrityItem {
		return []integrityItem{
			{"chain-head", "Chain head", headHex, ""},
			chainOK,
			{"seal-manifest", "Seal manifest SHA-256", okSeal.SHA256, ""},
			{"seal-export", "Sealed export SHA-256", okSeal.ExportSHA256, ""},
			{"seal-signature", "Signature", "unsigned", ""},
			check,
		}
	}
	tests := []struct {
		name string
		in   *ReportIntegrity
		want []integrityItem
	}{
		{"not checked", nil, []integrityItem{{"chain-verify", "Hash chain", "not checked", ""}}},
		{
			"chain ok, no seal",
			&ReportIntegrity{ChainHead: head, Frames: 71},
			[]integrityItem{
				{"chain-head", "Chain head", headHex, ""},
				chainOK,
				{"seal", "Seal", "no manifest given (a seal's manifest is kept outside the database)", ""},
			},
		},
		{
			"chain broken: where, without the recorder's time",
			&ReportIntegrity{ChainHead: head, Frames: 71, Verify: broken},
			[]integrityItem{
				{"chain-head", "Chain head", headHex, ""},
				{"chain-verify", "Hash chain", "FAILED at frame 12: frame record checksum mismatch", "bad"},
				{"seal", "Seal", "no manifest given (a seal's manifest is kept outside the database)", ""},
			},
		},
		{
			"sealed, and it matches",
			&ReportIntegrity{ChainHead: head, Frames: 71, Seal: okSeal},
			sealed(integrityItem{"seal-verify", "Seal", "ok: the database holds exactly what was sealed", "ok"}),
		},
		{
			"sealed, and it does not match",
			&ReportIntegrity{ChainHead: head, Frames: 71, Seal: &ReportSeal{SHA256: okSeal.SHA256, ExportSHA256: okSeal.ExportSHA256,
				Signature: "unsigned", Verify: errors.New("verify meeting 1: frames does not match the manifest: manifest has 70, found 71")}},
			sealed(integrityItem{"seal-verify", "Seal", "FAILED: verify meeting 1: frames does not match the manifest: manifest has 70, found 71", "bad"}),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newReportView(&ReportInput{Integrity: tt.in})
			if !reflect.DeepEqual(v.Integrity, tt.want) {
				t.Errorf("integrity\n got %+v\nwant %+v", v.Integrity, tt.want)
			}
		})
	}
}
