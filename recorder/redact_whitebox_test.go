package recorder

import (
	"bytes"
	"testing"

	"github.com/confrec/confrec/confctl"
)

func TestRedactReceived(t *testing.T) {
	r := &recorder{red: new(confctl.Redactor)}
	r.red.Add("host-pw-secret")
	r.red.Add("control-token-secret")
	tests := []struct {
		name    string
		in      string
		changed bool
	}{
		{"no_secret", `{"action":"ParticipantsNotify","data":[{"pid":"p"}]}`, false},
		{"empty", "", false},
		{"password", `{"pwds":[{"role":"chair","pwd":"host-pw-secret"}]}`, true},
		{"token", `x control-token-secret y`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := []byte(tt.in)
			out, changed := r.redact(in)
			if changed != tt.changed || bytes.Equal(out, in) == changed {
				t.Errorf("redact(%q) = %q, %v; want changed %v", in, out, changed, tt.changed)
			}
			if string(in) != tt.in {
				t.Errorf("redact changed its argument to %q", in)
			}
		})
	}
}

// TestRedactReceivedNoMatchAllocs guards the common case of the read loop:
// a frame without a secret costs no allocation.
func TestRedactReceivedNoMatchAllocs(t *testing.T) {
	r := &recorder{red: new(confctl.Redactor)}
	r.red.Add("host-pw-secret")
	r.red.Add("control-token-secret")
	frame := bytes.Repeat([]byte(`{"action":"ParticipantsNotify","data":[{"pid":"p","name":"n"}]}`), 100)
	if n := testing.AllocsPerRun(100, func() { r.redact(frame) }); n != 0 {
		t.Errorf("redact of a frame without a secret made %v allocations, want 0", n)
	}
}
