package export_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/confrec/confrec/export"
	"github.com/confrec/confrec/interchange"
	"github.com/confrec/confrec/store"
)

// harStore stores a meeting of two sessions, the second with a frame of
// every kind, and one frame of no session.
func harStore(t *testing.T) *store.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(filepath.Join(t.TempDir(), "test.db"), &store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	url := "wss://meeting.example.invalid/cms/open/websocket/confctl/increment/conn?confID=986512347&tmpToken=[redacted:0badc0de]"
	for i, s := range []store.Session{
		{Start: t0, URL: url, RemoteAddr: "192.0.2.7:443"},
		{Start: t0.Add(time.Second), URL: url, RemoteAddr: "192.0.2.7:443", Extensions: []string{"permessage-deflate"}},
	} {
		if _, err := db.BeginSession(ctx, "986512347", s); err != nil {
			t.Fatal(err)
		}
		if err := db.EndSession(ctx, "986512347", uint32(i+1), s.Start.Add(500*time.Millisecond), store.SessionEnd{Reason: "dropped"}); err != nil {
			t.Fatal(err)
		}
	}
	frames := []store.Frame{
		{Time: t0.Add(10 * time.Millisecond), Session: 1, Dir: store.Out, Op: store.Text, Payload: []byte(`{"action":"Subscribe","sequence":"1","data":"{\"confToken\":\"Basic [redacted:0badc0de]\"}"}`)},
		{Time: t0.Add(20 * time.Millisecond), Session: 1, Dir: store.In, Op: store.Text, Payload: []byte(`{"action":"ConfBasicInfoNotify","msgID":"m1","title":"周会 <Q1> & \"plan\"\n\ttab"}`)},
		{Time: t0.Add(time.Second + 1), Session: 2, Dir: store.In, Op: store.Binary, Payload: []byte{0, 1, 2, 0xff, '\n'}},
		{Time: t0.Add(time.Second + 2*time.Millisecond), Session: 2, Dir: store.In, Op: store.Text, Payload: []byte{}},
		{Time: t0.Add(time.Second + 3*time.Millisecond), Session: 2, Dir: store.In, Op: store.Close, Payload: store.ClosePayload(1000, "meeting ended")},
		{Time: t0.Add(2 * time.Second), Session: 0, Dir: store.In, Op: store.Text, Payload: []byte(`{"orphan":true}`)},
	}
	if err := db.Append(ctx, "986512347", frames...); err != nil {
		t.Fatal(err)
	}
	return db
}

func TestWriteHARGolden(t *testing.T) {
	db := harStore(t)
	var got bytes.Buffer
	if err := export.WriteHAR(&got, db, "986512347", &export.HAROptions{CreatorVersion: "v0.0.0-test"}); err != nil {
		t.Fatal(err)
	}
	var again bytes.Buffer
	if err := export.WriteHAR(&again, db, "986512347", &export.HAROptions{CreatorVersion: "v0.0.0-test"}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), again.Bytes()) {
		t.Fatal("two exports of the same meeting differ")
	}
	golden := filepath.Join("testdata", "har-small.golden.har")
	if *update {
		if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./export -run TestWriteHARGolden -update to create it)", err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Errorf("HAR differs from %s (run with -update if the change is intended); got:\n%s", golden, got.Bytes())
	}
	checkHARSchema(t, got.Bytes())

	var h interchange.HAR
	if err := json.Unmarshal(got.Bytes(), &h); err != nil {
		t.Fatal(err)
	}
	if n := len(h.Log.Entries); n != 3 {
		t.Fatalf("%d entries, want 3 (two sessions, one for the frame of no session)", n)
	}
	tests := []struct {
		entry, msg int
		want       interchange.HARWSMessage
	}{
		{0, 0, interchange.HARWSMessage{Type: "send", Time: interchange.NewEpochTime(t0.Add(10 * time.Millisecond)), Opcode: 1, Data: `{"action":"Subscribe","sequence":"1","data":"{\"confToken\":\"Basic [redacted:0badc0de]\"}"}`}},
		{1, 0, interchange.HARWSMessage{Type: "receive", Time: interchange.NewEpochTime(t0.Add(time.Second)), Opcode: 2, Data: "AAEC/wo="}},
		{1, 1, interchange.HARWSMessage{Type: "receive", Time: interchange.NewEpochTime(t0.Add(time.Second + 2*time.Millisecond)), Opcode: 1, Data: ""}},
		{1, 2, interchange.HARWSMessage{Type: "receive", Time: interchange.NewEpochTime(t0.Add(time.Second + 3*time.Millisecond)), Opcode: 8, Data: "A+htZWV0aW5nIGVuZGVk"}},
		{2, 0, interchange.HARWSMessage{Type: "receive", Time: interchange.NewEpochTime(t0.Add(2 * time.Second)), Opcode: 1, Data: `{"orphan":true}`}},
	}
	for _, tt := range tests {
		if got := h.Log.Entries[tt.entry].WebSocketMessages[tt.msg]; got != tt.want {
			t.Errorf("entry %d message %d = %+v, want %+v", tt.entry, tt.msg, got, tt.want)
		}
	}
}

func TestEpochTime(t *testing.T) {
	tests := []struct {
		in   time.Time
		want string
	}{
		{time.Date(2025, 3, 18, 2, 0, 0, 123456789, time.UTC), "1742263200.123457"},
		{time.Date(2025, 3, 18, 2, 0, 0, 0, time.UTC), "1742263200.000000"},
		{time.Date(2025, 3, 18, 2, 0, 0, 999999600, time.UTC), "1742263201.000000"},
	}
	for _, tt := range tests {
		e := interchange.NewEpochTime(tt.in)
		b, err := json.Marshal(e)
		if err != nil || string(b) != tt.want {
			t.Errorf("%v: %s, %v; want %s", tt.in, b, err, tt.want)
		}
		if back := e.Time(); !back.Equal(tt.in.Round(time.Microsecond)) {
			t.Errorf("%v: back as %v", tt.in, back)
		}
	}
}

// checkHARSchema checks the members HAR 1.2 requires, by name and JSON type.
func checkHARSchema(t *testing.T, b []byte) {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	need := func(obj any, where string, members map[string]string) map[string]any {
		t.Helper()
		m, ok := obj.(map[string]any)
		if !ok {
			t.Fatalf("%s is not an object", where)
		}
		for name, kind := range members {
			v, ok := m[name]
			if !ok {
				t.Errorf("%s.%s missing", where, name)
				continue
			}
			var okKind bool
			switch kind {
			case "string":
				_, okKind = v.(string)
			case "number":
				_, okKind = v.(float64)
			case "object":
				_, okKind = v.(map[string]any)
			case "array":
				_, okKind = v.([]any)
			}
			if !okKind {
				t.Errorf("%s.%s is %T, want a JSON %s", where, name, v, kind)
			}
		}
		return m
	}
	log := need(doc["log"], "log", map[string]string{"version": "string", "creator": "object", "entries": "array"})
	need(log["creator"], "log.creator", map[string]string{"name": "string", "version": "string"})
	for _, e := range log["entries"].([]any) {
		em := need(e, "entry", map[string]string{"startedDateTime": "string", "time": "number", "request": "object",
			"response": "object", "cache": "object", "timings": "object", "_webSocketMessages": "array", "_resourceType": "string"})
		if _, err := time.Parse(time.RFC3339Nano, em["startedDateTime"].(string)); err != nil {
			t.Errorf("startedDateTime: %v", err)
		}
		need(em["request"], "request", map[string]string{"method": "string", "url": "string", "httpVersion": "string",
			"cookies": "array", "headers": "array", "queryString": "array", "headersSize": "number", "bodySize": "number"})
		resp := need(em["response"], "response", map[string]string{"status": "number", "statusText": "string", "httpVersion": "string",
			"cookies": "array", "headers": "array", "content": "object", "redirectURL": "string", "headersSize": "number", "bodySize": "number"})
		need(resp["content"], "response.content", map[string]string{"size": "number", "mimeType": "string"})
		need(em["timings"], "timings", map[string]string{"send": "number", "wait": "number", "receive": "number"})
		for _, m := range em["_webSocketMessages"].([]any) {
			need(m, "_webSocketMessages[]", map[string]string{"type": "string", "time": "number", "opcode": "number", "data": "string"})
		}
	}
}
