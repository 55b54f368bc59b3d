package cli

import (
	"testing"
)

func TestGCPercent(t *testing.T) {
	tests := []struct {
		meetings int
		env      string
		want     int
		set      bool
	}{
		{1, "", 0, false},
		{manyMeetings - 1, "", 0, false},
		{manyMeetings, "", manyMeetingsGCPercent, true},
		{10000, "", manyMeetingsGCPercent, true},
		{10000, "100", 0, false}, // the user's GOGC wins
		{10000, "off", 0, false},
	}
	for _, tt := range tests {
		if got, set := gcPercent(tt.meetings, tt.env); got != tt.want || set != tt.set {
			t.Errorf("gcPercent(%d, %q) = %d, %v; want %d, %v", tt.meetings, tt.env, got, set, tt.want, tt.set)
		}
	}
}
