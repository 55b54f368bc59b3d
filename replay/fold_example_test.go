package replay_test

import (
	"fmt"
	"time"

	"github.com/confrec/confrec/replay"
	"github.com/confrec/confrec/store"
)

// A Folder turns frames into events and state; an Attendance turns the
// events into presence intervals.
func ExampleFolder() {
	t0 := time.Date(2025, 3, 18, 2, 0, 0, 0, time.UTC)
	payloads := []string{
		`{"action":"ParticipantsNotify","msgMode":0,"createTime":1742263200000,"data":[` +
			`{"pid":"p1","mode":0,"pinfoMap":{"NAME":"Chen Jing","ROLE":"1","MUTE":"0"}},` +
			`{"pid":"p2","mode":0,"pinfoMap":{"NAME":"Wang Lei","ROLE":"0","MUTE":"1"}}]}`,
		`{"action":"ParticipantsNotify","msgMode":1,"version":1,"createTime":1742263260000,"data":[{"pid":"p2","mode":0,"pinfoMap":{"MUTE":"0"}}]}`,
		`{"action":"ParticipantsNotify","msgMode":1,"version":3,"createTime":1742263320000,"data":[{"pid":"p2","mode":1}]}`,
		`{"action":"ConfDynamicInfoNotify","msgMode":1,"version":1,"createTime":1742263380000,"state":"Destroyed"}`,
	}
	f := replay.NewFolder("986512347", nil)
	att := replay.NewAttendance()
	var events []replay.Event
	for i, p := range payloads {
		fr := store.Frame{Seq: uint64(i + 1), Time: t0.Add(time.Duration(i) * time.Minute), Dir: store.In, Op: store.Text, Payload: []byte(p)}
		events = f.Apply(events[:0], &fr)
		for _, ev := range events {
			att.Add(&ev)
			fmt.Printf("%s %s %q %s>%s\n", ev.Time.Format(time.TimeOnly), ev.Kind, ev.Name, ev.Old, ev.New)
		}
	}
	att.Finish(f.End())
	for _, p := range att.Presences() {
		fmt.Printf("%s %s %v\n", p.Name, p.Role, p.Duration)
	}
	// Output:
	// 02:00:00 joined "Chen Jing" >host
	// 02:00:00 joined "Wang Lei" >participant
	// 02:01:00 unmuted "Wang Lei" >
	// 02:02:00 version_gap "" 1>3
	// 02:02:00 left "Wang Lei" participant>
	// 02:03:00 meeting_ended "" >Destroyed
	// Chen Jing host 3m0s
	// Wang Lei participant 2m0s
}
