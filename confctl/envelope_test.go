package confctl_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/confrec/confrec/confctl"
)

// sampleCase is the header expected from one file in testdata/samples.
// msgMode -1 means the frame has no msgMode. data is the JSON kind of the
// data member: none, array, object or string.
type sampleCase struct {
	file                string
	action, seq, msgID  string
	confID, typ         string
	msgMode             int
	version, createTime int64
	data                string
	reply, notification bool
}

var sampleCases = []sampleCase{
	{file: "AttendeesNotify.json", action: "AttendeesNotify", seq: "", msgID: "51466734abcfcc437fb2bcd21f7bf66a", confID: "986512347", typ: "", msgMode: 0, version: 1742277000230, createTime: 1742277000230, data: "array", reply: false, notification: true},
	{file: "ConfBasicInfoNotify.json", action: "ConfBasicInfoNotify", seq: "", msgID: "a9c772ce4d1e98673a8851d813c63c94", confID: "986512347", typ: "", msgMode: 0, version: 1742277000200, createTime: 1742277000200, data: "none", reply: false, notification: true},
	{file: "ConfControl.REALTIMESUBTITLE.request.json", action: "ConfControl", seq: "000000000000000001742277069000", msgID: "", confID: "", typ: "REALTIMESUBTITLE", msgMode: -1, version: 0, createTime: 0, data: "string", reply: true, notification: false},
	{file: "ConfControl.REFRESHTOKEN.request.json", action: "ConfControl", seq: "000000000000000001742278500000", msgID: "", confID: "", typ: "REFRESHTOKEN", msgMode: -1, version: 0, createTime: 0, data: "string", reply: true, notification: false},
	{file: "ConfControl.reply.json", action: "ConfControl", seq: "000000000000000001742277069000", msgID: "", confID: "", typ: "", msgMode: -1, version: 0, createTime: 0, data: "object", reply: true, notification: false},
	{file: "ConfDynamicInfoNotify.destroyed.json", action: "ConfDynamicInfoNotify", seq: "", msgID: "590fd8ea14e42fc8745bdf2e9ddeebb6", confID: "986512347", typ: "", msgMode: 0, version: 1742280600000, createTime: 1742280600000, data: "none", reply: false, notification: true},
	{file: "ConfDynamicInfoNotify.full.json", action: "ConfDynamicInfoNotify", seq: "", msgID: "1586a62a9adb8b2ff081fffae060f534", confID: "986512347", typ: "", msgMode: 0, version: 1742277000210, createTime: 1742277000210, data: "none", reply: false, notification: true},
	{file: "ConfDynamicInfoNotify.incremental.json", action: "ConfDynamicInfoNotify", seq: "", msgID: "23155b1c41d6321c6ca2bec26c41f1e6", confID: "986512347", typ: "", msgMode: 1, version: 1, createTime: 1742277090000, data: "none", reply: false, notification: true},
	{file: "CustomMultiPicNotify.json", action: "CustomMultiPicNotify", seq: "", msgID: "bf2618c5e590f63dcae0075f981cf9e9", confID: "986512347", typ: "", msgMode: 0, version: 1742277095000, createTime: 1742277095000, data: "none", reply: false, notification: true},
	{file: "HeartBeat.reply.json", action: "HeartBeat", seq: "000000000000000001742277000000", msgID: "", confID: "", typ: "", msgMode: -1, version: 0, createTime: 0, data: "none", reply: true, notification: false},
	{file: "HeartBeat.request.json", action: "HeartBeat", seq: "000000000000000001742277000000", msgID: "", confID: "", typ: "", msgMode: -1, version: 0, createTime: 0, data: "none", reply: true, notification: false},
	{file: "InterpreterGroupNotify.json", action: "InterpreterGroupNotify", seq: "", msgID: "6744cede1b6128783d479fba5141543e", confID: "986512347", typ: "", msgMode: 0, version: 1742277000240, createTime: 1742277000240, data: "array", reply: false, notification: true},
	{file: "InviteResultNotify.json", action: "InviteResultNotify", seq: "", msgID: "851e6035db7e85b4e5840739cb444e35", confID: "986512347", typ: "", msgMode: 1, version: 1, createTime: 1742277040000, data: "array", reply: false, notification: true},
	{file: "InviteResultNotify.leave-reason.json", action: "InviteResultNotify", seq: "", msgID: "73e35872efdc858d0636f6d436e3be74", confID: "986512347", typ: "", msgMode: 1, version: 2, createTime: 1742277050000, data: "array", reply: false, notification: true},
	{file: "NetConditionNotify.json", action: "NetConditionNotify", seq: "", msgID: "b75ef4370e20a3203509c9bd0cf115dc", confID: "986512347", typ: "", msgMode: 1, version: 57, createTime: 1742277080000, data: "array", reply: false, notification: true},
	{file: "ParticipantsNotify.full.json", action: "ParticipantsNotify", seq: "", msgID: "4d0a2b5bbe27463819f405fe234a8eca", confID: "986512347", typ: "", msgMode: 0, version: 1742277000220, createTime: 1742277000220, data: "array", reply: false, notification: true},
	{file: "ParticipantsNotify.hostchange.json", action: "ParticipantsNotify", seq: "", msgID: "46570a32a67051b6cd215f059e5f038b", confID: "986512347", typ: "", msgMode: 1, version: 3, createTime: 1742277140000, data: "array", reply: false, notification: true},
	{file: "ParticipantsNotify.incremental.json", action: "ParticipantsNotify", seq: "", msgID: "99221acb9040f297add4691fc512c70f", confID: "986512347", typ: "", msgMode: 1, version: 1, createTime: 1742277120000, data: "array", reply: false, notification: true},
	{file: "ParticipantsNotify.join.json", action: "ParticipantsNotify", seq: "", msgID: "962bf258ec7af772152ed544f441e9a4", confID: "986512347", typ: "", msgMode: 1, version: 2, createTime: 1742277130000, data: "array", reply: false, notification: true},
	{file: "RealTimeSubtitleNotify.json", action: "RealTimeSubtitleNotify", seq: "", msgID: "acf7f242bfce05e73874858339444d04", confID: "986512347", typ: "", msgMode: 0, version: 1742277070000, createTime: 1742277070000, data: "object", reply: false, notification: true},
	{file: "SpeakerChangeNotify.json", action: "SpeakerChangeNotify", seq: "", msgID: "5c2bcf40d58c79c5068e9f5caf56c195", confID: "986512347", typ: "", msgMode: 0, version: 1742277015000, createTime: 1742277015000, data: "array", reply: false, notification: true},
	{file: "SpeakerChangeNotify.silence.json", action: "SpeakerChangeNotify", seq: "", msgID: "2a90ff54a3c84ab0ccf9f00aff13235d", confID: "986512347", typ: "", msgMode: 0, version: 1742277016000, createTime: 1742277016000, data: "none", reply: false, notification: true},
	{file: "Subscribe.reply.json", action: "Subscribe", seq: "000000000000000001742277000010", msgID: "", confID: "", typ: "", msgMode: -1, version: 0, createTime: 0, data: "object", reply: true, notification: false},
	{file: "Subscribe.request.json", action: "Subscribe", seq: "000000000000000001742277000010", msgID: "", confID: "", typ: "", msgMode: -1, version: 0, createTime: 0, data: "string", reply: true, notification: false},
	{file: "WaitingListNotify.json", action: "WaitingListNotify", seq: "", msgID: "5ac3db1a9ffad6fe73d962bd2d3ac465", confID: "986512347", typ: "", msgMode: 1, version: 1, createTime: 1742277060000, data: "array", reply: false, notification: true},
}

func readSample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "samples", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeEnvelopeSamples(t *testing.T) {
	// Every sample must have a row, so a new sample cannot go untested.
	files, err := filepath.Glob(filepath.Join("testdata", "samples", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	covered := make(map[string]bool)
	for _, c := range sampleCases {
		covered[c.file] = true
	}
	for _, f := range files {
		if !covered[filepath.Base(f)] {
			t.Errorf("sample %s has no row in sampleCases", filepath.Base(f))
		}
	}

	for _, c := range sampleCases {
		t.Run(c.file, func(t *testing.T) {
			b := readSample(t, c.file)
			e, err := confctl.DecodeEnvelope(b)
			if err != nil {
				t.Fatalf("DecodeEnvelope: %v", err)
			}
			check := func(field string, got, want any) {
				t.Helper()
				if got != want {
					t.Errorf("%s = %v, want %v", field, got, want)
				}
			}
			check("Action", e.Action, c.action)
			check("Sequence", e.Sequence, c.seq)
			check("MsgID", e.MsgID, c.msgID)
			check("ConfID", e.ConfID, c.confID)
			check("Type", e.Type, c.typ)
			check("HasMsgMode", e.HasMsgMode, c.msgMode >= 0)
			if c.msgMode >= 0 {
				check("MsgMode", e.MsgMode, c.msgMode)
			}
			check("Version", e.Version, c.version)
			check("CreateTime", e.CreateTime, c.createTime)
			check("IsReply", e.IsReply(), c.reply)
			check("IsNotification", e.IsNotification(), c.notification)
			check("data kind", dataKind(e.Data), c.data)
			obj, ok := e.DataObject()
			wantObj := c.data == "object" || c.data == "string"
			check("DataObject ok", ok, wantObj)
			if ok && !json.Valid(obj) {
				t.Errorf("DataObject returned invalid JSON %q", obj)
			}
			if ok && obj[0] != '{' {
				t.Errorf("DataObject returned a non-object %q", obj)
			}
		})
	}
}

func dataKind(d json.RawMessage) string {
	if d == nil {
		return "none"
	}
	switch d[0] {
	case '[':
		return "array"
	case '{':
		return "object"
	case '"':
		return "string"
	}
	return string(d)
}

func TestDecodeEnvelopeTolerance(t *testing.T) {
	deep := func(n int) string {
		return `{"action":"X","data":` + strings.Repeat("[", n) + strings.Repeat("]", n) + `}`
	}
	tests := []struct {
		name    string
		in      string
		want    confctl.Envelope
		wantErr bool // want ErrNotJSONObject
	}{
		{name: "msgMode_as_string", in: `{"action":"ParticipantsNotify","msgMode":"1","msgID":"m"}`,
			want: confctl.Envelope{Action: "ParticipantsNotify", MsgID: "m", MsgMode: 1, HasMsgMode: true}},
		{name: "version_as_string", in: `{"action":"RealTimeSubtitleNotify","version":"1742263200240","createTime":" 1742263200241 "}`,
			want: confctl.Envelope{Action: "RealTimeSubtitleNotify", Version: 1742263200240, CreateTime: 1742263200241}},
		{name: "version_as_float", in: `{"version":1.742263200240e12,"createTime":"12.9"}`,
			want: confctl.Envelope{Version: 1742263200240, CreateTime: 12}},
		{name: "action_as_number", in: `{"action":42,"sequence":1742277000000,"msgID":7}`,
			want: confctl.Envelope{Action: "42", Sequence: "1742277000000", MsgID: "7"}},
		{name: "wrong_types_ignored", in: `{"action":true,"sequence":{},"msgID":[1],"msgMode":"full","version":false,"createTime":null,"confID":{"a":1}}`,
			want: confctl.Envelope{}},
		{name: "version_overflow", in: `{"version":1e300,"createTime":"99999999999999999999999"}`,
			want: confctl.Envelope{}},
		{name: "msgMode_null", in: `{"msgMode":null}`, want: confctl.Envelope{}},
		{name: "data_null_kept", in: `{"action":"A","data":null}`,
			want: confctl.Envelope{Action: "A", Data: json.RawMessage("null")}},
		{name: "unknown_members_ignored", in: `{"action":"A","title":"t","pwds":[{"pwd":"1"}]}`,
			want: confctl.Envelope{Action: "A"}},
		{name: "escaped_action", in: `{"action":"Heart\u0042eat"}`, want: confctl.Envelope{Action: "HeartBeat"}},
		{name: "invalid_utf8", in: "{\"action\":\"A\xff\",\"confID\":\"\xc3\x28\"}",
			want: confctl.Envelope{Action: "A\uFFFD", ConfID: "\uFFFD("}},
		{name: "deeply_nested_data", in: deep(5000),
			want: confctl.Envelope{Action: "X", Data: json.RawMessage(strings.Repeat("[", 5000) + strings.Repeat("]", 5000))}},
		{name: "too_deep", in: deep(20000), wantErr: true},
		{name: "leading_whitespace", in: " \n\t{\"action\":\"A\"} \n", want: confctl.Envelope{Action: "A"}},
		{name: "empty", in: ``, wantErr: true},
		{name: "whitespace_only", in: "  \n", wantErr: true},
		{name: "array", in: `[]`, wantErr: true},
		{name: "null", in: `null`, wantErr: true},
		{name: "string", in: `"{\"action\":\"A\"}"`, wantErr: true},
		{name: "number", in: `42`, wantErr: true},
		{name: "invalid_json", in: `{"action":"A",`, wantErr: true},
		{name: "trailing_garbage", in: `{"action":"A"}x`, wantErr: true},
		{name: "two_objects", in: `{"action":"A"}{"action":"B"}`, wantErr: true},
		{name: "nul_byte", in: "\x00", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := confctl.DecodeEnvelope([]byte(tt.in))
			if tt.wantErr {
				if !errors.Is(err, confctl.ErrNotJSONObject) {
					t.Fatalf("err = %v, want ErrNotJSONObject", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("DecodeEnvelope: %v", err)
			}
			if !equalEnvelope(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func equalEnvelope(a, b confctl.Envelope) bool {
	return reflect.DeepEqual(a, b)
}

func TestEnvelopeDataObject(t *testing.T) {
	tests := []struct {
		name   string
		data   string // raw data member; "" means absent
		want   string
		wantOK bool
	}{
		{name: "absent"},
		{name: "object", data: `{"returnCode":0}`, want: `{"returnCode":0}`, wantOK: true},
		{name: "double_encoded", data: `"{\"a\":1}"`, want: `{"a":1}`, wantOK: true},
		{name: "double_encoded_padded", data: `" {\"a\":1} "`, want: `{"a":1}`, wantOK: true},
		{name: "string_not_object", data: `"hello"`},
		{name: "string_array", data: `"[1,2]"`},
		{name: "string_invalid_object", data: `"{\"a\":"`},
		{name: "array", data: `[{"a":1}]`},
		{name: "null", data: `null`},
		{name: "number", data: `1`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := confctl.Envelope{}
			if tt.data != "" {
				e.Data = json.RawMessage(tt.data)
			}
			got, ok := e.DataObject()
			if ok != tt.wantOK || string(got) != tt.want {
				t.Errorf("DataObject() = %q, %v; want %q, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestEnvelopeFamilies(t *testing.T) {
	tests := []struct {
		name                string
		e                   confctl.Envelope
		reply, notification bool
	}{
		{name: "empty"},
		{name: "sequence_only", e: confctl.Envelope{Sequence: "1"}, reply: true},
		{name: "msgID_only", e: confctl.Envelope{MsgID: "m"}, notification: true},
		{name: "msgMode_only", e: confctl.Envelope{HasMsgMode: true}, notification: true},
		{name: "sequence_and_msgID", e: confctl.Envelope{Sequence: "1", MsgID: "m"}, notification: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.e.IsReply(); got != tt.reply {
				t.Errorf("IsReply() = %v, want %v", got, tt.reply)
			}
			if got := tt.e.IsNotification(); got != tt.notification {
				t.Errorf("IsNotification() = %v, want %v", got, tt.notification)
			}
		})
	}
}

func BenchmarkDecodeEnvelope(b *testing.B) {
	frame := readSample(b, "ParticipantsNotify.full.json")
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		if _, err := confctl.DecodeEnvelope(frame); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeMap is the baseline DecodeEnvelope is measured against:
// decoding the same frame into a map[string]any.
func BenchmarkDecodeMap(b *testing.B) {
	frame := readSample(b, "ParticipantsNotify.full.json")
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		var m map[string]any
		if err := json.Unmarshal(frame, &m); err != nil {
			b.Fatal(err)
		}
	}
}
