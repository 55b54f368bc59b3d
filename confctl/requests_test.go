package confctl_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/confrec/confrec/confctl"
)

// sampleToken is the meeting-control token inside the sample frames.
const sampleToken = "stb7e1c09a4d2f3b8e6a5c0d9f1e2a3b4c5d6e7f8a9b0c1d2e3"

func compactSample(t *testing.T, name string) string {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Compact(&buf, readSample(t, name)); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestHeartBeatSequence(t *testing.T) {
	tests := []struct {
		name string
		t    time.Time
		want string
	}{
		{"sample", time.UnixMilli(1742277000000), "000000000000000001742277000000"},
		{"doc_example", time.UnixMilli(1611993655770), "000000000000000001611993655770"},
		{"other_zone", time.UnixMilli(1742277000123).In(time.FixedZone("CST", 8*3600)), "000000000000000001742277000123"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := confctl.HeartBeatSequence(tt.t)
			if got != tt.want || len(got) != 30 {
				t.Errorf("HeartBeatSequence = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestBuildersMatchSamples(t *testing.T) {
	const seq = "000000000000000001742277000010"
	tests := []struct {
		name   string
		sample string
		got    []byte
	}{
		{"heartbeat", "HeartBeat.request.json", confctl.NewHeartBeat("000000000000000001742277000000")},
		{"heartbeat_reply", "HeartBeat.reply.json", confctl.NewHeartBeatReply("000000000000000001742277000000")},
		{"subscribe", "Subscribe.request.json",
			confctl.NewSubscribe(seq, "986512347", confctl.DefaultSubscribeTypes(), confctl.Secret(sampleToken))},
		{"subscribe_default_types", "Subscribe.request.json",
			confctl.NewSubscribe(seq, "986512347", nil, confctl.Secret(sampleToken))},
		{"subscribe_reply", "Subscribe.reply.json", confctl.NewReply(confctl.ActionSubscribe, seq, 0, "SUCCESS")},
		{"confcontrol_reply", "ConfControl.reply.json",
			confctl.NewReply(confctl.ActionConfControl, "000000000000000001742277069000", 0, "SUCCESS")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if want := compactSample(t, tt.sample); string(tt.got) != want {
				t.Errorf("got  %s\nwant %s", tt.got, want)
			}
		})
	}
}

func TestBuildersEscape(t *testing.T) {
	seq := "a\"b<&>\\c"
	for _, frame := range [][]byte{
		confctl.NewHeartBeat(seq),
		confctl.NewReply(confctl.ActionSubscribe, seq, 7, "bad \"thing\""),
		confctl.NewSubscribe(seq, "x\"y", []string{"A\"B"}, "tok\"en"),
	} {
		e, err := confctl.DecodeEnvelope(frame)
		if err != nil || e.Sequence != seq {
			t.Errorf("DecodeEnvelope(%s) = %+v, %v; want sequence %q", frame, e, err, seq)
		}
	}
}

func TestSubscribeRoundTrip(t *testing.T) {
	types := []string{confctl.ActionParticipants, confctl.ActionNetCondition}
	frame := confctl.NewSubscribe("s1", "986512347", types, confctl.Secret(sampleToken))
	e, err := confctl.DecodeEnvelope(frame)
	if err != nil {
		t.Fatal(err)
	}
	if e.Action != confctl.ActionSubscribe || !e.IsReply() {
		t.Fatalf("envelope = %+v", e)
	}
	req, err := confctl.ParseSubscribe(e.Data)
	if err != nil {
		t.Fatal(err)
	}
	if req.ConferenceID != "986512347" || !reflect.DeepEqual(req.SubscribeType, types) {
		t.Errorf("ParseSubscribe = %#v", req)
	}
	if !strings.HasPrefix(req.ConfToken, "Basic ") {
		t.Errorf("ConfToken not Basic-prefixed")
	}
	if got := confctl.ParseConfToken(req.ConfToken); got != sampleToken {
		t.Errorf("ParseConfToken = %q, want the token", got)
	}
}

func TestParseSubscribe(t *testing.T) {
	tests := []struct {
		name    string
		data    string // raw data member; "" means absent
		want    confctl.SubscribeRequest
		wantErr bool
	}{
		{name: "double_encoded",
			data: `"{\"conferenceID\":\"1\",\"subscribeType\":[\"A\",\"B\"],\"confToken\":\"Basic dG9rZW4=\"}"`,
			want: confctl.SubscribeRequest{ConferenceID: "1", SubscribeType: []string{"A", "B"}, ConfToken: "Basic dG9rZW4="}},
		{name: "object",
			data: `{"conferenceID":"1","subscribeType":["A"],"confToken":"token"}`,
			want: confctl.SubscribeRequest{ConferenceID: "1", SubscribeType: []string{"A"}, ConfToken: "token"}},
		{name: "no_conference_id_like_official_example",
			data: `{"subscribeType":["A"],"confToken":"t"}`,
			want: confctl.SubscribeRequest{SubscribeType: []string{"A"}, ConfToken: "t"}},
		{name: "lenient_types",
			data: `{"conferenceID":986512347,"subscribeType":["A",1,null,{"x":1},"B"],"confToken":true}`,
			want: confctl.SubscribeRequest{ConferenceID: "986512347", SubscribeType: []string{"A", "1", "B"}}},
		{name: "single_type_string",
			data: `{"subscribeType":"A"}`,
			want: confctl.SubscribeRequest{SubscribeType: []string{"A"}}},
		{name: "empty_object", data: `{}`},
		{name: "absent", wantErr: true},
		{name: "null", data: `null`, wantErr: true},
		{name: "array", data: `[]`, wantErr: true},
		{name: "string_not_object", data: `"subscribe"`, wantErr: true},
		{name: "string_invalid", data: `"{\"a\":"`, wantErr: true},
		{name: "invalid_json", data: `{"a":`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var data json.RawMessage
			if tt.data != "" {
				data = json.RawMessage(tt.data)
			}
			got, err := confctl.ParseSubscribe(data)
			if tt.wantErr {
				if !errors.Is(err, confctl.ErrInvalidSubscribe) {
					t.Fatalf("err = %v, want ErrInvalidSubscribe", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v (tokens %q, %q)", got, tt.want, got.ConfToken, tt.want.ConfToken)
			}
		})
	}
}

func TestParseSubscribeSample(t *testing.T) {
	e, err := confctl.DecodeEnvelope(readSample(t, "Subscribe.request.json"))
	if err != nil {
		t.Fatal(err)
	}
	req, err := confctl.ParseSubscribe(e.Data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(req.SubscribeType, confctl.DefaultSubscribeTypes()) || req.ConferenceID != "986512347" {
		t.Errorf("ParseSubscribe = %#v", req)
	}
	if got := confctl.ParseConfToken(req.ConfToken); got != sampleToken {
		t.Errorf("ParseConfToken = %q, want %q", got, sampleToken)
	}
}

func TestParseConfToken(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"basic", "Basic dG9rZW4=", "token"},
		{"basic_lowercase", "basic dG9rZW4=", "token"},
		{"basic_sample", "Basic c3RiN2UxYzA5YTRkMmYzYjhlNmE1YzBkOWYxZTJhM2I0YzVkNmU3ZjhhOWIwYzFkMmUz", sampleToken},
		{"bare", sampleToken, sampleToken},
		{"bare_base64_looking_is_kept", "dG9rZW4=", "dG9rZW4="},
		{"basic_not_base64", "Basic not*base64", "Basic not*base64"},
		{"basic_empty", "Basic ", "Basic "},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := confctl.ParseConfToken(tt.in); got != tt.want {
				t.Errorf("ParseConfToken(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSubscribeRequestRedacts(t *testing.T) {
	req := confctl.SubscribeRequest{ConferenceID: "1", SubscribeType: []string{"A"}, ConfToken: "Basic " + sampleToken}
	var logBuf bytes.Buffer
	slog.New(slog.NewJSONHandler(&logBuf, nil)).Info("subscribe", "req", req)
	for _, s := range []string{
		fmt.Sprint(req), fmt.Sprintf("%v %+v %#v %s", req, req, req, req), fmt.Sprintf("%v", &req), logBuf.String(),
	} {
		if strings.Contains(s, sampleToken) {
			t.Errorf("token leaked: %s", s)
		}
		if !strings.Contains(s, "[redacted]") {
			t.Errorf("no redaction marker in %s", s)
		}
	}
}

func TestActions(t *testing.T) {
	a, b := confctl.DefaultSubscribeTypes(), confctl.DefaultSubscribeTypes()
	if len(a) != 9 || a[0] != confctl.ActionConfBasicInfo || a[8] != confctl.ActionInterpreterGroup {
		t.Errorf("DefaultSubscribeTypes = %v", a)
	}
	a[0] = "changed"
	if b[0] != confctl.ActionConfBasicInfo || confctl.DefaultSubscribeTypes()[0] != confctl.ActionConfBasicInfo {
		t.Error("DefaultSubscribeTypes shares its slice")
	}
	for action, want := range map[string]bool{
		confctl.ActionSubscribe: true, confctl.ActionHeartBeat: true, confctl.ActionConfControl: true,
		confctl.ActionParticipants: false, "": false, "heartbeat": false,
	} {
		if got := confctl.IsReplyAction(action); got != want {
			t.Errorf("IsReplyAction(%q) = %v, want %v", action, got, want)
		}
	}
}
