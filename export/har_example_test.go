package export_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/confrec/confrec/export"
	"github.com/confrec/confrec/interchange"
	"github.com/confrec/confrec/store"
)

func ExampleWriteHAR() {
	dir, _ := os.MkdirTemp("", "confrec-example")
	defer os.RemoveAll(dir)
	db, err := store.Open(filepath.Join(dir, "example.db"), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()

	ctx := context.Background()
	t := time.Date(2025, 3, 18, 2, 0, 0, 0, time.UTC)
	sid, err := db.BeginSession(ctx, "986512347", store.Session{Start: t,
		URL: "wss://ws.example.invalid/cms/open/websocket/confctl/increment/conn?confID=986512347&tmpToken=[redacted:0badc0de]"})
	if err != nil {
		fmt.Println(err)
		return
	}
	err = db.Append(ctx, "986512347",
		store.Frame{Time: t.Add(5 * time.Millisecond), Session: sid, Dir: store.Out, Op: store.Text, Payload: []byte(`{"action":"HeartBeat","sequence":"1"}`)},
		store.Frame{Time: t.Add(32 * time.Millisecond), Session: sid, Dir: store.In, Op: store.Binary, Payload: []byte{1, 2, 3}},
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	var buf bytes.Buffer
	if err := export.WriteHAR(&buf, db, "986512347", nil); err != nil {
		fmt.Println(err)
		return
	}
	var h interchange.HAR
	if err := json.Unmarshal(buf.Bytes(), &h); err != nil {
		fmt.Println(err)
		return
	}
	e := h.Log.Entries[0]
	fmt.Println(h.Log.Version, e.StartedDateTime, e.Request.Method, e.Response.Status, e.ResourceType)
	for _, m := range e.WebSocketMessages {
		b, _ := json.Marshal(m)
		fmt.Println(string(b))
	}
	// Output:
	// 1.2 2025-03-18T02:00:00.000Z GET 101 websocket
	// {"type":"send","time":1742263200.005000,"opcode":1,"data":"{\"action\":\"HeartBeat\",\"sequence\":\"1\"}"}
	// {"type":"receive","time":1742263200.032000,"opcode":2,"data":"AQID"}
}
