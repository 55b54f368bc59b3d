package confctl_test

import (
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/confrec/confrec/confctl"
)

func ExampleDecodeEnvelope() {
	frames := []string{
		`{"action":"ParticipantsNotify","version":2,"createTime":1742277130000,"msgID":"962bf258","msgMode":1,"confID":"986512347","data":[{"pid":"3mc0","mode":1}]}`,
		`{"action":"RealTimeSubtitleNotify","version":"1742277070000","msgID":"acf7","msgMode":"0","data":{"isFinal":true}}`,
		`{"action":"HeartBeat","sequence":"000000000000000001742277000000"}`,
		`[]`,
	}
	for _, f := range frames {
		e, err := confctl.DecodeEnvelope([]byte(f))
		if err != nil {
			fmt.Println("error:", errors.Is(err, confctl.ErrNotJSONObject))
			continue
		}
		fmt.Printf("%s notification=%v reply=%v mode=%d version=%d data=%s\n",
			e.Action, e.IsNotification(), e.IsReply(), e.MsgMode, e.Version, e.Data)
	}
	// Output:
	// ParticipantsNotify notification=true reply=false mode=1 version=2 data=[{"pid":"3mc0","mode":1}]
	// RealTimeSubtitleNotify notification=true reply=false mode=0 version=1742277070000 data={"isFinal":true}
	// HeartBeat notification=false reply=true mode=0 version=0 data=
	// error: true
}

func ExampleEnvelope_DataObject() {
	e, _ := confctl.DecodeEnvelope([]byte(`{"action":"ConfControl","sequence":"1","type":"REFRESHTOKEN","data":"{\"conferenceID\":\"986512347\"}"}`))
	obj, ok := e.DataObject()
	fmt.Println(string(obj), ok)
	// Output: {"conferenceID":"986512347"} true
}

func ExampleNewSubscribe() {
	seq := confctl.HeartBeatSequence(time.UnixMilli(1742277000010))
	frame := confctl.NewSubscribe(seq, "986512347", []string{confctl.ActionParticipants}, "token")

	// The frame carries the token; redact it before logging.
	var r confctl.Redactor
	r.Add("token")
	fmt.Println(blankHash(string(r.Redact(frame))))
	// Output:
	// {"action":"Subscribe","sequence":"000000000000000001742277000010","data":"{\"conferenceID\":\"986512347\",\"subscribeType\":[\"ParticipantsNotify\"],\"confToken\":\"[redacted:########]\"}"}
}

// blankHash replaces the hash in markers, which is keyed anew in every
// process, so that the examples' output stays the same.
func blankHash(s string) string {
	return regexp.MustCompile(`\[redacted:[0-9a-f]{8}\]`).ReplaceAllString(s, "[redacted:########]")
}

func ExampleRedactor_RedactURL() {
	u := confctl.ConnectURL("wss://192.0.2.1:443", "986512347", "single-use-token")
	var r confctl.Redactor
	fmt.Println(blankHash(r.RedactURL(u)))
	// Output:
	// wss://192.0.2.1:443/cms/open/websocket/confctl/increment/conn?confID=986512347&tmpToken=[redacted:########]
}

func ExampleSecret() {
	t := confctl.ConfToken{Token: "s3cret", WSURL: "wss://192.0.2.1"}
	fmt.Printf("%v\n", t.Token)
	fmt.Printf("%+v\n", t)
	// Output:
	// [redacted]
	// {Token:[redacted] WSURL:wss://192.0.2.1 TmpWSToken:[redacted] Role:0 ExpireAt:0001-01-01 00:00:00 +0000 UTC Lifetime:0s SupportNotifyType:[]}
}
