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

// A stand-in enterprise with two meetings, one running and one starting in
// an hour: a client finds the running one with the App ID, reads its host
// password from the online list and joins it. However late it joins, it
// gets every step already due, from the first.
func ExampleNewScheduleServer() {
	running := &standin.Script{ConfID: "986512347", Steps: []standin.Step{
		{Offset: 0, Kind: standin.StepText,
			Payload: []byte(`{"action":"ConfBasicInfoNotify","msgMode":0,"confID":"986512347","title":"Demo"}`)},
		{Offset: time.Hour, Kind: standin.StepText,
			Payload: []byte(`{"action":"ConfDynamicInfoNotify","msgMode":0,"confID":"986512347","state":"Destroyed"}`)},
	}}
	later := &standin.Script{ConfID: "986512348", Steps: running.Steps}
	srv, err := standin.NewScheduleServer([]standin.Scheduled{
		{Script: running, Password: "804122", PasswordListed: true, Subject: "Demo", Organizer: "Ann"},
		{Script: later, Start: time.Hour, Password: "553311", Subject: "Later"},
	}, &standin.ServerOptions{Speed: 1, AppID: "demo-app", AppKey: "demo-app-key"})
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

	access, err := api.AppAuth(ctx, "demo-app", "demo-app-key", "")
	if err != nil {
		fmt.Println(err)
		return
	}
	page, err := api.OnlineMeetings(ctx, access.Token, 0, 20)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("running:", page.Count)
	m := page.Meetings[0]
	fmt.Println(m.ConferenceID, m.Subject, m.Organizer, m.State)

	ct, err := api.ConfToken(ctx, m.ConferenceID, m.ChairPassword(), "")
	if err != nil {
		fmt.Println(err)
		return
	}
	tmp, err := api.WSToken(ctx, m.ConferenceID, ct.Token)
	if err != nil {
		fmt.Println(err)
		return
	}
	c, _, err := websocket.Dial(ctx, confctl.ConnectURL(ct.WSURL, m.ConferenceID, tmp), &websocket.DialOptions{HTTPClient: hc})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.CloseNow()
	if err := c.Write(ctx, websocket.MessageText, confctl.NewSubscribe("1", m.ConferenceID, nil, ct.Token)); err != nil {
		fmt.Println(err)
		return
	}
	for range 2 { // the Subscribe reply and the step due at the start
		_, b, err := c.Read(ctx)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(string(b))
	}
	// Output:
	// running: 1
	// 986512347 Demo Ann Created
	// {"action":"Subscribe","sequence":"1","data":{"returnCode":0,"returnDesc":"SUCCESS"}}
	// {"action":"ConfBasicInfoNotify","msgMode":0,"confID":"986512347","title":"Demo"}
}
