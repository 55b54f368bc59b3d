package standin

import (
	"math"
	"testing"
	"time"
)

func TestScaleOffset(t *testing.T) {
	tests := []struct {
		name  string
		off   time.Duration
		speed float64
		want  time.Duration
	}{
		{"as_fast_as_possible", time.Hour, 0, 0},
		{"real_time", 1500 * time.Millisecond, 1, 1500 * time.Millisecond},
		{"ten_times", 1500 * time.Millisecond, 10, 150 * time.Millisecond},
		{"half_speed", time.Second, 0.5, 2 * time.Second},
		{"infinite", time.Second, math.Inf(1), 0},
		{"zero_offset", 0, 2, 0},
		{"negative_offset", -time.Second, 1, 0},
		{"overflow", time.Duration(math.MaxInt64), 1e-9, time.Duration(math.MaxInt64)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := scaleOffset(tt.off, tt.speed); got != tt.want {
				t.Errorf("scaleOffset(%v, %v) = %v, want %v", tt.off, tt.speed, got, tt.want)
			}
		})
	}
}
