package confctl

import "testing"

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
	}
}
