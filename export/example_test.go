package export_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/confrec/confrec/export"
	"github.com/confrec/confrec/store"
)

func ExampleFrames() {
	dir, _ := os.MkdirTemp("", "confrec-example")
	defer os.RemoveAll(dir)
	db, err := store.Open(filepath.Join(dir, "example.db"), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()

	t := time.Date(2025, 3, 18, 2, 0, 0, 0, time.UTC)
	err = db.Append(context.Background(), "986512347",
		store.Frame{Time: t, Dir: store.Out, Op: store.Text, Payload: []byte(`{"action":"HeartBeat","sequence":"1"}`)},
		store.Frame{Time: t.Add(27 * time.Millisecond), Dir: store.In, Op: store.Text, Payload: []byte(`{"action":"HeartBeat","sequence":"1"}`)},
		store.Frame{Time: t.Add(time.Second), Dir: store.In, Op: store.Binary, Payload: []byte{1, 2, 3}},
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := export.Frames(os.Stdout, db, "986512347", &export.FramesOptions{Format: export.JSONL}); err != nil {
		fmt.Println(err)
	}
	// Output:
	// {"seq":1,"time":"2025-03-18T02:00:00.000000000Z","session":0,"dir":"out","opcode":"text","action":"HeartBeat","size":37,"payload":"{\"action\":\"HeartBeat\",\"sequence\":\"1\"}"}
	// {"seq":2,"time":"2025-03-18T02:00:00.027000000Z","session":0,"dir":"in","opcode":"text","action":"HeartBeat","size":37,"payload":"{\"action\":\"HeartBeat\",\"sequence\":\"1\"}"}
	// {"seq":3,"time":"2025-03-18T02:00:01.000000000Z","session":0,"dir":"in","opcode":"binary","size":3,"payload_base64":"AQID"}
}
