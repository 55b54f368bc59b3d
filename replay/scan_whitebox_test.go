package replay

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"testing"
)

// scenarioPayloads returns the frames of the basic scenario.
func scenarioPayloads(tb testing.TB) [][]byte {
	tb.Helper()
	b, err := os.ReadFile("../testdata/scenario-basic.jsonl")
	if err != nil {
		tb.Fatal(err)
	}
	var out [][]byte
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var l struct {
			Frame json.RawMessage `json:"frame"`
		}
		if json.Unmarshal(sc.Bytes(), &l) == nil && len(l.Frame) > 0 {
			out = append(out, l.Frame)
		}
	}
	return out
}

// FuzzScanFrame checks the fast path against the reference: whenever
// scanFrame accepts a frame, it decodes it exactly as decodeLenient does.
func FuzzScanFrame(f *testing.F) {
	for _, p := range scenarioPayloads(f) {
		f.Add(p)
	}
	for _, p := range []string{
		`{"action":"ParticipantsNotify","msgMode":1,"version":2,"data":[{"pid":"a","mode":0,"pinfoMap":{"MUTE":"1","NAME":"Zoë"}},{"pid":"b","mode":1}]}`,
		`{"action":"ParticipantsNotify","Action":"x","data":[]}`,
		`{"action":"ParticipantsNotify","msgMode":"1","data":[{"pid":1,"pinfoMap":{"MUTE":1,"X":null}}]}`,
		`{"action":"InviteResultNotify","data":[{"callNumber":"+1","errorCode":"0","role":"1"},2]}`,
		`{"action":"ConfBasicInfoNotify","title":"a\"b","owner":null,"startTime":17,"scheduledStartTime":{"x":[1,"]"]}}`,
		`{"action":"SpeakerChangeNotify","data":null,"msgMode":-0,"version":-9223372036854775808,"createTime":1e3}`,
		` {"data":[{"pid":"a","pid":"b"}], "msgid":"x"} `,
		`{"x":[01],"action":"A"}`,
		`{"x":"\u00e9\n","y":[true,false,null,-1.5e+3,{"z":{}}],"action":"A"} `,
		`{"action":"A"} x`,
		`{"action":"A",}`,
		`{"action" "A"}`,
		`{"x":tru,"action":"A"}`,
	} {
		f.Add([]byte(p))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var fast, ref wireFrame
		fast.MsgMode, ref.MsgMode = -1, -1
		if !bytes.HasPrefix(bytes.TrimLeft(b, " \t\r\n"), []byte("{")) || !scanFrame(b, &fast) {
			return
		}
		if !json.Valid(b) {
			t.Fatalf("scanFrame accepted invalid JSON %q", b)
		}
		if err := decodeLenient(b, &ref); err != nil {
			t.Fatalf("scanFrame accepted what decodeLenient rejects: %v", err)
		}
		fast.spare, ref.spare = nil, nil
		if !reflect.DeepEqual(fast, ref) {
			t.Errorf("scanFrame and decodeLenient differ on %s:\nfast %#v\n ref %#v", b, fast, ref)
		}
	})
}

// TestScanFrameAcceptsTheScenario: the fast path reads every notification
// of the basic scenario (none needs the lenient decoder but the captions,
// whose version and createTime are strings).
func TestScanFrameAcceptsTheScenario(t *testing.T) {
	for _, p := range scenarioPayloads(t) {
		var w wireFrame
		if !scanFrame(p, &w) && !bytes.Contains(p, []byte(`"RealTimeSubtitleNotify"`)) {
			t.Errorf("scanFrame gave up on %s", p)
		}
	}
}

var decodePayloads = [][]byte{
	[]byte(`{"action":"ParticipantsNotify","version":123,"msgMode":1,"createTime":1742263200000,"msgID":"8a3f0c2d9e1b4f5a8a3f0c2d9e1b4f5a","confID":"986512347","data":[{"pid":"dxai13h2dk26cqb7qfb2o2o1aeof240s","mode":0,"pinfoMap":{"MUTE":"1"}}]}`),
	[]byte(`{"action":"SpeakerChangeNotify","version":1742263200000,"msgMode":0,"createTime":1742263200000,"msgID":"8a3f0c2d9e1b4f5a8a3f0c2d9e1b4f5a","confID":"986512347","data":[{"pid":"dxai13h2dk26cqb7qfb2o2o1aeof240s","name":"Person 12","speakingVolume":80},{"pid":"0jffbk1wfgbias908vhdpi9dufygdrz6","name":"Person 13","speakingVolume":70}]}`),
	[]byte(`{"action":"NetConditionNotify","version":57,"msgMode":1,"createTime":1742263200000,"msgID":"8a3f0c2d9e1b4f5a8a3f0c2d9e1b4f5a","confID":"986512347","data":[{"mode":0,"participantID":"dxai13h2dk26cqb7qfb2o2o1aeof240s","netInfo":"good","lostPacketRate":"0","delay":"42","jitter":"3","fluxIn":"1850","fluxOut":"1920","bandwidth":4096,"audioCodecType":"AACLD","videoCodecType":"H264HP"}]}`),
}

// BenchmarkDecodeFrame compares the fast path, the lenient decoder and a
// plain decode into map[string]any on three typical notifications.
func BenchmarkDecodeFrame(b *testing.B) {
	b.Run("scan", func(b *testing.B) {
		var w wireFrame
		b.ReportAllocs()
		for i := range b.N {
			_ = decodeFrame(decodePayloads[i%len(decodePayloads)], &w)
		}
	})
	b.Run("lenient", func(b *testing.B) {
		var w wireFrame
		b.ReportAllocs()
		for i := range b.N {
			_ = decodeLenient(decodePayloads[i%len(decodePayloads)], &w)
		}
	})
	b.Run("map_baseline", func(b *testing.B) {
		b.ReportAllocs()
		for i := range b.N {
			var m map[string]any
			_ = json.Unmarshal(decodePayloads[i%len(decodePayloads)], &m)
		}
	})
}
