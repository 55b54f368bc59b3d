package webserver_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/confrec/confrec/internal/webserver"
)

// client makes one connection a request, so none stays open for goleak.
var client = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

// serve serves h on a real loopback address until the test ends and
// returns its base URL.
func serve(t *testing.T, h http.Handler) string {
	t.Helper()
	srv, err := webserver.Listen("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	srv.Start(h)
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return "http://" + srv.Addr().String()
}

func TestBasicAuth(t *testing.T) {
	base := serve(t, webserver.BasicAuth(secretHandler, "confrec", "confrec", "s3cret"))
	tests := []struct {
		name       string
		user, pass string
		noAuth     bool
		want       int
	}{
		{name: "none", noAuth: true, want: 401},
		{name: "wrong_password", user: "confrec", pass: "s3creT", want: 401},
		{name: "password_prefix", user: "confrec", pass: "s3cre", want: 401},
		{name: "wrong_user", user: "admin", pass: "s3cret", want: 401},
		{name: "empty", want: 401},
		{name: "right", user: "confrec", pass: "s3cret", want: 200},
	}
	for _, path := range []string{"/", "/metrics"} {
		for _, tt := range tests {
			req, err := http.NewRequest(http.MethodGet, base+path, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !tt.noAuth {
				req.SetBasicAuth(tt.user, tt.pass)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("%s %s: %d, want %d", path, tt.name, resp.StatusCode, tt.want)
			}
			if tt.want == 401 && (resp.Header.Get("WWW-Authenticate") != `Basic realm="confrec", charset="UTF-8"` || strings.Contains(string(body), "the secret")) {
				t.Errorf("%s %s: challenge %q, body %.60q", path, tt.name, resp.Header.Get("WWW-Authenticate"), body)
			}
		}
	}
}

func TestServer(t *testing.T) {
	srv, err := webserver.Listen("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	// The address is taken: a second Listen says so at once.
	if _, err := webserver.Listen(srv.Addr().String(), nil); err == nil || !strings.Contains(err.Error(), "listen for http") {
		t.Errorf("Listen on a taken address: %v", err)
	}
	// Closed without being started: the address is free again.
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := webserver.Listen(srv.Addr().String(), nil)
	if err != nil {
		t.Fatalf("Listen after Close: %v", err)
	}
	again.Start(http.NotFoundHandler())
	if err := again.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := again.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := client.Get("http://" + again.Addr().String() + "/metrics"); err == nil {
		t.Error("a closed server still answers")
	}
	if _, err := webserver.Listen("127.0.0.1", nil); err == nil {
		t.Error("Listen without a port succeeded")
	}
}

// secretHandler answers what only an authenticated client may read.
var secretHandler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
	io.WriteString(w, "the secret\n")
})
