package interchange_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/confrec/confrec/interchange"
	"github.com/confrec/confrec/store"
)

// FuzzFrameRecord: a frame described by NewFrameRecord, encoded as JSON and
// decoded again, gives back the same frame through FrameRecord.Frame, for
// every direction, opcode and payload (invalid UTF-8 included).
func FuzzFrameRecord(f *testing.F) {
	t0 := time.Date(2025, 3, 18, 2, 0, 0, 123456789, time.UTC).UnixNano()
	f.Add(uint64(1), t0, uint32(1), uint8(store.In), uint8(store.Text), []byte(`{"action":"ConfBasicInfoNotify","msgID":"m1"}`))
	f.Add(uint64(2), t0, uint32(1), uint8(store.Out), uint8(store.Text), []byte("bad utf8 \xff\xfe <&>"))
	f.Add(uint64(3), t0, uint32(2), uint8(store.In), uint8(store.Binary), []byte{0, 1, 0xff, '\n'})
	f.Add(uint64(4), t0, uint32(2), uint8(store.In), uint8(store.Close), []byte(store.ClosePayload(1000, "meeting \xffended")))
	f.Add(uint64(5), int64(0), uint32(0), uint8(9), uint8(9), []byte{})
	f.Fuzz(func(t *testing.T, seq uint64, ns int64, session uint32, dir, op uint8, payload []byte) {
		fr := store.Frame{Seq: seq, Time: time.Unix(0, ns), Session: session,
			Dir: store.Direction(dir), Op: store.Opcode(op), Payload: payload}
		b, err := json.Marshal(interchange.NewFrameRecord(&fr))
		if err != nil {
			t.Fatal(err)
		}
		var r interchange.FrameRecord
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		got, err := r.Frame()
		if err != nil {
			t.Fatalf("%s: Frame: %v", b, err)
		}
		if got.Seq != fr.Seq || !got.Time.Equal(fr.Time) || got.Session != fr.Session ||
			got.Dir != fr.Dir || got.Op != fr.Op || !bytes.Equal(got.Payload, fr.Payload) {
			t.Fatalf("%s:\n got %+v\nwant %+v", b, got, fr)
		}
		if r.Size != len(payload) {
			t.Fatalf("size %d, want %d", r.Size, len(payload))
		}
	})
}

// FuzzEpochTime: a time to the microsecond, written as a HAR message time
// and read back, is the same time, for dates from 1970 to 2100.
func FuzzEpochTime(f *testing.F) {
	f.Add(time.Date(2025, 3, 18, 2, 0, 0, 123456000, time.UTC).UnixMicro())
	f.Add(int64(0))
	f.Add(int64(999999))
	f.Add(time.Date(2099, 12, 31, 23, 59, 59, 999999000, time.UTC).UnixMicro())
	f.Fuzz(func(t *testing.T, us int64) {
		if us < 0 || us > time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro() {
			return
		}
		want := time.UnixMicro(us).UTC()
		b, err := json.Marshal(interchange.HARWSMessage{Time: interchange.NewEpochTime(want)})
		if err != nil {
			t.Fatal(err)
		}
		var m interchange.HARWSMessage
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if got := m.Time.Time(); !got.Equal(want) {
			t.Fatalf("%s: time %v, want %v", b, got, want)
		}
	})
}

// TestFrameRecordRefuses: Frame names the member at fault.
func TestFrameRecordRefuses(t *testing.T) {
	s := func(v string) *string { return &v }
	ok := interchange.FrameRecord{Time: "2025-03-18T02:00:00.000000000Z", Dir: "in", Opcode: "text", Payload: s("x"), Size: 1}
	tests := []struct {
		name string
		edit func(*interchange.FrameRecord)
		want string
	}{
		{"time", func(r *interchange.FrameRecord) { r.Time = "yesterday" }, `time "yesterday"`},
		{"dir", func(r *interchange.FrameRecord) { r.Dir = "sideways" }, `dir "sideways": want in or out`},
		{"dir_number_too_big", func(r *interchange.FrameRecord) { r.Dir = "dir(256)" }, `dir "dir(256)"`},
		{"opcode", func(r *interchange.FrameRecord) { r.Opcode = "ping" }, `opcode "ping": want text, binary or close`},
		{"both_payloads", func(r *interchange.FrameRecord) { r.PayloadBase64 = s("eA==") }, "both payload and payload_base64"},
		{"no_payload", func(r *interchange.FrameRecord) { r.Payload = nil }, "no payload or payload_base64"},
		{"bad_base64", func(r *interchange.FrameRecord) { r.Payload, r.PayloadBase64 = nil, s("!!") }, "payload_base64: "},
	}
	if _, err := ok.Frame(); err != nil {
		t.Fatalf("valid record: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ok
			tt.edit(&r)
			_, err := r.Frame()
			if err == nil || !bytes.Contains([]byte(err.Error()), []byte(tt.want)) {
				t.Fatalf("Frame() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
