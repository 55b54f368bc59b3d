package interchange_test

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/confrec/confrec/interchange"
)

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
