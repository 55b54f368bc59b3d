package recorder

import "testing"

// TestHeartbeatHalfOpen: a request unanswered by the next tick means a
// half-open connection, unless other messages arrived meanwhile (a late
// echo on a busy connection is no reason to drop it).
func TestHeartbeatHalfOpen(t *testing.T) {
	tests := []struct {
		name  string
		steps func(h *heartbeat)
		want  bool // whether the next request may be sent
	}{
		{"first", func(h *heartbeat) {}, true},
		{"answered", func(h *heartbeat) { h.next("a"); h.answer("a") }, true},
		{"unanswered, silent", func(h *heartbeat) { h.next("a") }, false},
		{"unanswered, wrong echo", func(h *heartbeat) { h.next("a"); h.answer("b") }, false},
		{"unanswered, other traffic", func(h *heartbeat) { h.next("a"); h.heard() }, true},
		{"traffic before the request does not count", func(h *heartbeat) { h.heard(); h.next("a") }, false},
		{"traffic then silence", func(h *heartbeat) { h.next("a"); h.heard(); h.next("b") }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h heartbeat
			tt.steps(&h)
			if got := h.next("z"); got != tt.want {
				t.Errorf("next = %v, want %v", got, tt.want)
			}
		})
	}
}
