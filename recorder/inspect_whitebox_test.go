package recorder

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/confrec/confrec/confctl"
)

func TestMayHoldDestroyed(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{`{"action":"ConfDynamicInfoNotify","state":"Destroyed"}`, true},
		{`{"state":"DESTROYED"}`, true},
		{`{"state":"deſtroyed"}`, true},
		{`{"state":"\u0044estroyed"}`, true},
		{`{"state":"Created"}`, false},
		{`{"state":"troye"}`, false},
		{``, false},
	} {
		if got := mayHoldDestroyed([]byte(tc.in)); got != tc.want {
			t.Errorf("mayHoldDestroyed(%s) = %v, want %v", tc.in, got, tc.want)
		}
		// Whenever the state is Destroyed, the prefilter must say so.
		var f notifyFields
		if json.Unmarshal([]byte(tc.in), &f) == nil {
			if state, _ := text(f.State); strings.EqualFold(state, "Destroyed") && !mayHoldDestroyed([]byte(tc.in)) {
				t.Errorf("%s holds Destroyed but the prefilter misses it", tc.in)
			}
		}
	}
}

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
