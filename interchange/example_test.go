package interchange_test

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/confrec/confrec/interchange"
	"github.com/confrec/confrec/store"
)

// A frame goes out as a frame record and comes back as the same frame.
func ExampleFrameRecord_Frame() {
	f := store.Frame{Seq: 7, Session: 1, Dir: store.In, Op: store.Text,
		Time:    time.Date(2025, 3, 18, 2, 0, 0, 5, time.UTC),
		Payload: []byte(`{"action":"HeartBeat","msgID":"m7"}`)}
	line, err := json.Marshal(interchange.NewFrameRecord(&f))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(line))

	var r interchange.FrameRecord
	if err := json.Unmarshal(line, &r); err != nil {
		fmt.Println(err)
		return
	}
	back, err := r.Frame()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(back.Seq, back.Time.Format(interchange.TimeLayout), back.Dir, back.Op, string(back.Payload))
	// Output:
	// {"seq":7,"time":"2025-03-18T02:00:00.000000005Z","session":1,"dir":"in","opcode":"text","action":"HeartBeat","msg_id":"m7","size":35,"payload":"{\"action\":\"HeartBeat\",\"msgID\":\"m7\"}"}
	// 7 2025-03-18T02:00:00.000000005Z in text {"action":"HeartBeat","msgID":"m7"}
}

// A HAR message's time is seconds since the Unix epoch with six decimals.
func ExampleEpochTime() {
	m := interchange.HARWSMessage{Type: interchange.HARReceive, Opcode: 1, Data: "hello",
		Time: interchange.NewEpochTime(time.Date(2025, 3, 18, 2, 0, 0, 123456789, time.UTC))}
	b, _ := json.Marshal(m)
	fmt.Println(string(b))
	fmt.Println(m.Time.Time())
	// Output:
	// {"type":"receive","time":1742263200.123457,"opcode":1,"data":"hello"}
	// 2025-03-18 02:00:00.123457 +0000 UTC
}
