package standin_test

import (
	"errors"
	"net/http"
	"testing"

	"github.com/confrec/confrec/confctl"
	"github.com/confrec/confrec/replay/standin"
)

// TestServerSeveralMeetings: one server plays two meetings; each request is
// routed by its conference ID and a token of one meeting opens nothing of
// the other.
func TestServerSeveralMeetings(t *testing.T) {
	ctx := testCtx(t)
	a := &standin.Script{ConfID: "111", Steps: []standin.Step{text("a1"), text("a2")}}
	b := &standin.Script{ConfID: "222", Steps: []standin.Step{text("b1")}}
	srv, err := standin.NewServer([]*standin.Script{a, b}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{}
	t.Cleanup(func() { srv.Close(); tr.CloseIdleConnections() })
	hc := &http.Client{Transport: tr}
	api := &confctl.Client{BaseURL: srv.URL, HTTPClient: hc}

	for _, tt := range []struct {
		script *standin.Script
		want   []string
	}{{a, []string{"a1", "a2"}}, {b, []string{"b1"}}} {
		h := &harness{t: t, srv: srv, hc: hc, api: api, id: tt.script.ConfID}
		ct := h.confToken(ctx, "", "")
		c := h.dial(ctx, ct)
		h.subscribe(ctx, c, "000000000000000000000000000001", ct.Token)
		msgs, _ := readUntilEnd(ctx, c)
		var got []string
		for _, m := range msgs {
			got = append(got, m.data)
		}
		if len(got) != len(tt.want) || got[0] != tt.want[0] || got[len(got)-1] != tt.want[len(tt.want)-1] {
			t.Errorf("meeting %s played %q, want %q", tt.script.ConfID, got, tt.want)
		}
	}

	ctA, err := api.ConfToken(ctx, "111", "", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := api.WSToken(ctx, "222", ctA.Token); err == nil {
		t.Error("a token of meeting 111 got a WebSocket token for meeting 222")
	}
	if _, err := api.ConfToken(ctx, "333", "", ""); !errors.Is(err, confctl.ErrMeetingNotRunning) {
		t.Errorf("unknown meeting: %v, want ErrMeetingNotRunning", err)
	}
	if _, err := standin.NewServer([]*standin.Script{a, a}, nil); !errors.Is(err, standin.ErrDuplicateConfID) {
		t.Errorf("two scripts of one meeting: %v, want ErrDuplicateConfID", err)
	}
	if _, err := standin.NewServer(nil, nil); !errors.Is(err, standin.ErrNoScript) {
		t.Errorf("no scripts: %v, want ErrNoScript", err)
	}
}
