package standin_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/coder/websocket"

	"github.com/confrec/confrec/confctl"
	"github.com/confrec/confrec/replay/standin"
)

// A client goes through the whole token flow against a Server playing a
// two-step script as fast as possible.
func ExampleNewServer() {
	script := &standin.Script{ConfID: "986512347", Steps: []standin.Step{
		{Offset: 0, Kind: standin.StepText,
			Payload: []byte(`{"action":"ConfBasicInfoNotify","msgMode":0,"confID":"986512347","title":"Demo"}`)},
		{Offset: 3 * time.Second, Kind: standin.StepText,
			Payload: []byte(`{"action":"ConfDynamicInfoNotify","msgMode":0,"confID":"986512347","state":"Destroyed"}`)},
	}}
	srv, err := standin.NewServer([]*standin.Script{script}, &standin.ServerOptions{Password: "804122"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()

	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}
	api := &confctl.Client{BaseURL: srv.URL, HTTPClient: hc}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	ct, err := api.ConfToken(ctx, "986512347", "804122", "")
	if err != nil {
		fmt.Println(err)
		return
	}
	tmp, err := api.WSToken(ctx, "986512347", ct.Token)
	if err != nil {
		fmt.Println(err)
		return
	}
	c, _, err := websocket.Dial(ctx, confctl.ConnectURL(ct.WSURL, "986512347", tmp), &websocket.DialOptions{HTTPClient: hc})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.CloseNow()

	if err := c.Write(ctx, websocket.MessageText, confctl.NewSubscribe("1", "986512347", nil, ct.Token)); err != nil {
		fmt.Println(err)
		return
	}
	for {
		_, b, err := c.Read(ctx)
		var ce websocket.CloseError
		if errors.As(err, &ce) {
			fmt.Println("closed:", int(ce.Code), ce.Reason)
			return
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(string(b))
	}
	// Output:
	// {"action":"Subscribe","sequence":"1","data":{"returnCode":0,"returnDesc":"SUCCESS"}}
	// {"action":"ConfBasicInfoNotify","msgMode":0,"confID":"986512347","title":"Demo"}
	// {"action":"ConfDynamicInfoNotify","msgMode":0,"confID":"986512347","state":"Destroyed"}
	// closed: 1000 meeting ended
}
