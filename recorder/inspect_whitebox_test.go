package recorder

import (
	"slices"
	"testing"

	"github.com/confrec/confrec/confctl"
)

func TestMayLearnFrom(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{`{"action":"HeartBeat","sequence":"1"}`, true},
		{`{"action":"ConfBasicInfoNotify","title":"x"}`, true},
		{`{"action":"ConfDynamicInfoNotify","state":"Destroyed"}`, true},
		{`{"action":"Heart\u0042eat","sequence":"1"}`, true}, // an escape may spell it
		{`{"action":"ParticipantsNotify","data":[]}`, false},
		{`{"action":"heartbeat"}`, false}, // not the action inspect learns from
		{`not json`, false},
		{``, false},
	} {
		if got := mayLearnFrom([]byte(tc.in)); got != tc.want {
			t.Errorf("mayLearnFrom(%s) = %v, want %v", tc.in, got, tc.want)
		}
		// Whenever the action is one inspect learns from, the prefilter
		// must let the message through.
		if action, _ := confctl.Peek([]byte(tc.in)); slices.Contains([]string{confctl.ActionHeartBeat, confctl.ActionConfBasicInfo, confctl.ActionConfDynamicInfo}, action) && !mayLearnFrom([]byte(tc.in)) {
			t.Errorf("%s has action %s but the prefilter misses it", tc.in, action)
		}
	}
}
