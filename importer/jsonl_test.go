package importer_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/confrec/confrec/export"
	"github.com/confrec/confrec/importer"
	"github.com/confrec/confrec/store"
)

// TestJSONLRoundTrip stores frames of every kind, in two sessions with a
// third, empty one between, and checks that export → import → export
// gives the same bytes.
func TestJSONLRoundTrip(t *testing.T) {
	ctx := context.Background()
	src := openDB(t)
	for range 3 {
		if _, err := src.BeginSession(ctx, "m", store.Session{Start: t0}); err != nil {
			t.Fatal(err)
		}
	}
	fs := []store.Frame{
		{Time: t0.Add(1), Session: 1, Dir: store.Out, Op: store.Text, Payload: []byte(`{"action":"Subscribe"}`)},
		{Time: t0.Add(2), Session: 1, Dir: store.In, Op: store.Text, Payload: []byte("bad utf8 \xff end")},
		{Time: t0.Add(3), Session: 3, Dir: store.In, Op: store.Binary, Payload: []byte{0, 1, 2}},
		{Time: t0.Add(4), Session: 3, Dir: store.In, Op: store.Text, Payload: []byte{}},
		{Time: t0.Add(5), Session: 0, Dir: store.In, Op: store.Close, Payload: store.ClosePayload(1000, "bye")},
	}
	if err := src.Append(ctx, "m", fs...); err != nil {
		t.Fatal(err)
	}
	var first bytes.Buffer
	if err := export.Frames(&first, src, "m", nil); err != nil {
		t.Fatal(err)
	}
	dst := openDB(t)
	res, err := importer.JSONL(ctx, dst, bytes.NewReader(first.Bytes()), &importer.JSONLOptions{Meeting: "m", Name: "m.jsonl"})
	if err != nil {
		t.Fatal(err)
	}
	if res != (importer.Result{Meeting: "m", Sessions: 3, Frames: 5}) {
		t.Errorf("result %+v", res)
	}
	var again bytes.Buffer
	if err := export.Frames(&again, dst, "m", nil); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first.Bytes(), again.Bytes()) {
		t.Errorf("export after import:\n%s\nwant:\n%s", again.Bytes(), first.Bytes())
	}
}

func TestJSONLRefused(t *testing.T) {
	const ok = `{"seq":1,"time":"2025-03-18T02:00:00.000000000Z","session":0,"dir":"in","opcode":"text","size":2,"payload":"{}"}` + "\n"
	tests := []struct {
		name string
		in   string
		err  error
		text string
	}{
		{"empty", "", importer.ErrNoFrames, ""},
		{"seq gap", strings.Replace(ok, `"seq":1`, `"seq":2`, 1), importer.ErrSequence, "line 1"},
		{"seq repeated", ok + ok, importer.ErrSequence, "line 2"},
		{"opcode", strings.Replace(ok, `"text"`, `"ping"`, 1), importer.ErrFormat, "opcode"},
		{"dir", strings.Replace(ok, `"in"`, `"up"`, 1), importer.ErrFormat, "dir"},
		{"time", strings.Replace(ok, `2025-03-18T`, `yesterday`, 1), importer.ErrFormat, "time"},
		{"size", strings.Replace(ok, `"size":2`, `"size":3`, 1), importer.ErrFormat, "size"},
		{"base64", `{"seq":1,"time":"2025-03-18T02:00:00Z","session":0,"dir":"in","opcode":"binary","size":2,"payload_base64":"!!"}`, importer.ErrFormat, "payload_base64"},
		{"no payload", `{"seq":1,"time":"2025-03-18T02:00:00Z","session":0,"dir":"in","opcode":"binary","size":0}`, importer.ErrFormat, "payload"},
		{"bad second line", ok + "{", importer.ErrFormat, "line 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := openDB(t)
			_, err := importer.JSONL(context.Background(), db, strings.NewReader(tt.in), &importer.JSONLOptions{Meeting: "m"})
			if !errors.Is(err, tt.err) || !strings.Contains(err.Error(), tt.text) {
				t.Fatalf("error %v, want %v mentioning %q", err, tt.err, tt.text)
			}
			if _, err := db.Meeting("m"); !errors.Is(err, store.ErrMeetingNotFound) {
				t.Errorf("a refused file stored something: %v", err)
			}
		})
	}
	db := openDB(t)
	if _, err := importer.JSONL(context.Background(), db, strings.NewReader(ok), nil); !errors.Is(err, importer.ErrNoMeetingID) {
		t.Errorf("no meeting: %v", err)
	}
}
