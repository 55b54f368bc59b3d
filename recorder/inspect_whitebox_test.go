package recorder

import (
	"encoding/json"
	"strings"
	"testing"
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
