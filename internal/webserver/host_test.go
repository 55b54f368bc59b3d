package webserver_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/confrec/confrec/internal/webserver"
)

func TestLoopbackHost(t *testing.T) {
	h := webserver.LoopbackHost(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	tests := []struct {
		host string
		want int
	}{
		{"127.0.0.1:9090", 200},
		{"127.0.0.1", 200},
		{"127.1.2.3:80", 200},
		{"localhost:9090", 200},
		{"LocalHost", 200},
		{"[::1]:9090", 200},
		{"::1", 200},
		{"evil.example:9090", 421},
		{"evil.example", 421},
		{"127.0.0.1.evil.example:80", 421},
		{"localhost.evil.example", 421},
		{"10.0.0.1:9090", 421},
		{"0.0.0.0:9090", 421},
		{"", 421},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.Host = tt.host
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tt.want {
				t.Errorf("Host %q: %d, want %d", tt.host, w.Code, tt.want)
			}
		})
	}
}
