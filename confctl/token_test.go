package confctl_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/confrec/confrec/confctl"
)

const (
	testConfID   = "986512347"
	testPassword = "804122-host-pw"
	testToken    = "stb7e1c09a4d2f3b8e6a5c0d9f1e2a3b4c5d6e7f8a9b0c1d2e3"
	testTmp      = "tmpWs-9f1e2a3b4c5d6e7f8a9b0c1d"
	testWSToken  = "ws-3b4c5d6e7f8a9b0c1d2e3f4a5b6c"
)

// secrets lists every value that must never appear in an error or a
// printed result.
var secrets = []string{testPassword, testToken, testTmp, testWSToken,
	base64.StdEncoding.EncodeToString([]byte(testPassword)),
	base64.StdEncoding.EncodeToString([]byte(testToken))}

// apiServer is a real HTTP server over loopback whose handler is set per
// test. Each request's URL and headers are sent on reqs.
type apiServer struct {
	*httptest.Server
	reqs chan *http.Request
}

func newAPIServer(t *testing.T, h http.HandlerFunc) *apiServer {
	t.Helper()
	s := &apiServer{reqs: make(chan *http.Request, 4)}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r2 := r.Clone(context.Background())
		select {
		case s.reqs <- r2:
		default:
		}
		h(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *apiServer) client() *confctl.Client {
	return &confctl.Client{BaseURL: s.URL + "/", HTTPClient: s.Client()}
}

// lastRequest returns the request the server saw.
func (s *apiServer) lastRequest(t *testing.T) *http.Request {
	t.Helper()
	select {
	case r := <-s.reqs:
		return r
	default:
		t.Fatal("server saw no request")
		return nil
	}
}

func reply(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

// assertNoSecrets fails if any secret appears in any rendering of vs.
func assertNoSecrets(t *testing.T, vs ...any) {
	t.Helper()
	for _, v := range vs {
		if v == nil {
			continue
		}
		texts := []string{fmt.Sprintf("%v", v), fmt.Sprintf("%+v", v), fmt.Sprintf("%#v", v), fmt.Sprintf("%s", v)}
		if err, ok := v.(error); ok {
			texts = append(texts, err.Error())
			var ae *confctl.APIError
			if errors.As(err, &ae) {
				texts = append(texts, fmt.Sprintf("%#v", *ae))
			}
		}
		for _, text := range texts {
			for _, s := range secrets {
				if strings.Contains(text, s) {
					t.Errorf("secret %q leaked in %s", s, text)
				}
			}
		}
	}
}

func TestConfToken(t *testing.T) {
	okBody := `{"data":{"token":"` + testToken + `","tmpWsToken":"` + testTmp + `","wsURL":"wss://192.0.2.7:443",
		"role":1,"expireTime":1742278800000,"confTokenExpireTime":1800,"userID":"u","orgID":"58213",
		"supportNotifyType":["ConfBasicInfoNotify","ParticipantsNotify"]},"addressToken":"a","gloablPublicIP":"192.0.2.8"}`
	tests := []struct {
		name              string
		password, current confctl.Secret
		handler           http.HandlerFunc
		wantHeader        map[string]string // "" means must be absent
		want              confctl.ConfToken // ExpireAt zero means now+Lifetime
		wantErr           error             // matched with errors.Is
		wantTemporary     bool
		wantStatus        int
	}{
		{
			name: "password", password: testPassword, handler: reply(200, okBody),
			wantHeader: map[string]string{"X-Password": testPassword, "X-Login-Type": "1", "X-Conference-Authorization": ""},
			want: confctl.ConfToken{Token: testToken, TmpWSToken: testTmp, WSURL: "wss://192.0.2.7:443", Role: 1,
				ExpireAt: time.UnixMilli(1742278800000), Lifetime: 30 * time.Minute,
				SupportNotifyType: []string{"ConfBasicInfoNotify", "ParticipantsNotify"}},
		},
		{
			name: "keep_alive", current: testToken, handler: reply(200, okBody),
			wantHeader: map[string]string{"X-Password": "", "X-Login-Type": "1", "X-Conference-Authorization": testToken},
			want: confctl.ConfToken{Token: testToken, TmpWSToken: testTmp, WSURL: "wss://192.0.2.7:443", Role: 1,
				ExpireAt: time.UnixMilli(1742278800000), Lifetime: 30 * time.Minute,
				SupportNotifyType: []string{"ConfBasicInfoNotify", "ParticipantsNotify"}},
		},
		{
			name: "no_expiry_defaults", password: testPassword,
			handler: reply(200, `{"data":{"token":"`+testToken+`","wsURL":"wss://h"}}`),
			want:    confctl.ConfToken{Token: testToken, WSURL: "wss://h", Lifetime: 30 * time.Minute},
		},
		{
			name: "lenient_types", password: testPassword,
			handler: reply(200, `{"data":{"token":"`+testToken+`","role":"0","confTokenExpireTime":"600","expireTime":null}}`),
			want:    confctl.ConfToken{Token: testToken, Lifetime: 10 * time.Minute},
		},
		{
			name: "data_double_encoded", password: testPassword,
			handler: reply(200, `{"data":"{\"token\":\"`+testToken+`\",\"expireTime\":\"1742278800000\"}"}`),
			want:    confctl.ConfToken{Token: testToken, Lifetime: 30 * time.Minute, ExpireAt: time.UnixMilli(1742278800000)},
		},
		{name: "400_not_running", password: testPassword, wantStatus: 400,
			handler: reply(400, `{"error_code":"MMC.111070001","error_msg":"conference not started"}`),
			wantErr: confctl.ErrMeetingNotRunning},
		{name: "404_not_running", password: testPassword, wantStatus: 404,
			handler: reply(404, ``), wantErr: confctl.ErrMeetingNotRunning},
		{name: "code_not_running_on_500", password: testPassword, wantStatus: 500,
			handler: reply(500, `{"error_code":"MMC.111070005","error_msg":"meeting ended"}`),
			wantErr: confctl.ErrMeetingNotRunning},
		{name: "500_temporary", password: testPassword, wantStatus: 500, wantTemporary: true,
			handler: reply(500, `internal error`)},
		{name: "503_temporary", password: testPassword, wantStatus: 503, wantTemporary: true,
			handler: reply(503, `{"error_code":"USG.000000001","error_msg":"busy"}`)},
		{name: "401_temporary", current: testToken, wantStatus: 401, wantTemporary: true,
			handler: reply(401, `{"error_code":"MMC.111071001","error_msg":"token `+testToken+` expired"}`)},
		{name: "429_temporary", password: testPassword, wantStatus: 429, wantTemporary: true,
			handler: reply(429, ``)},
		{name: "403_permanent", password: testPassword, wantStatus: 403,
			handler: reply(403, `{"error_code":"MMC.111070002","error_msg":"wrong password `+testPassword+`"}`)},
		{name: "ok_without_token", password: testPassword,
			handler: reply(200, `{"data":{"wsURL":"wss://h"}}`), wantErr: confctl.ErrInvalidResponse},
		{name: "ok_not_json", password: testPassword,
			handler: reply(200, `<html>`+testPassword+`</html>`), wantErr: confctl.ErrInvalidResponse},
		{name: "ok_array", password: testPassword,
			handler: reply(200, `[]`), wantErr: confctl.ErrInvalidResponse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newAPIServer(t, tt.handler)
			before := time.Now()
			got, err := srv.client().ConfToken(context.Background(), testConfID, tt.password, tt.current)
			after := time.Now()
			t.Logf("err: %v", err)
			assertNoSecrets(t, err, got, &got)

			r := srv.lastRequest(t)
			if r.Method != http.MethodGet || r.URL.Path != confctl.ConfTokenPath || r.URL.Query().Get("conferenceID") != testConfID {
				t.Errorf("request = %s %s", r.Method, r.URL)
			}
			for k, v := range tt.wantHeader {
				if got := r.Header.Get(k); got != v || (v == "" && len(r.Header.Values(k)) > 0) {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}

			if tt.wantStatus != 0 {
				var ae *confctl.APIError
				if !errors.As(err, &ae) {
					t.Fatalf("err = %v, want *APIError", err)
				}
				if ae.Status != tt.wantStatus || ae.Temporary() != tt.wantTemporary {
					t.Errorf("APIError = %+v, Temporary() = %v; want status %d, temporary %v",
						ae, ae.Temporary(), tt.wantStatus, tt.wantTemporary)
				}
				if !strings.HasPrefix(err.Error(), "create conference token: HTTP ") {
					t.Errorf("Error() = %q", err)
				}
				if strings.Contains(err.Error(), "?") || strings.Contains(err.Error(), srv.URL) {
					t.Errorf("Error() names the URL: %q", err)
				}
			}
			if got := errors.Is(err, confctl.ErrMeetingNotRunning); got != (tt.wantErr == confctl.ErrMeetingNotRunning) {
				t.Errorf("errors.Is(err, ErrMeetingNotRunning) = %v for %v", got, err)
			}
			if tt.wantErr != nil || tt.wantStatus != 0 {
				if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
					t.Errorf("err = %v, want %v", err, tt.wantErr)
				}
				if err == nil {
					t.Error("err = nil")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := tt.want
			if want.ExpireAt.IsZero() {
				if got.ExpireAt.Before(before.Add(want.Lifetime)) || got.ExpireAt.After(after.Add(want.Lifetime)) {
					t.Errorf("ExpireAt = %v, want now+%v", got.ExpireAt, want.Lifetime)
				}
				want.ExpireAt = got.ExpireAt
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got  %#v\nwant %#v", got, want)
			}
			if got.Token.Reveal() != testToken {
				t.Errorf("Token.Reveal() = %q", got.Token.Reveal())
			}
		})
	}
}

func TestWSToken(t *testing.T) {
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(testToken))
	// acceptBoth answers like the service: the token bare or Basic-encoded.
	acceptBoth := func(body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if confctl.ParseConfToken(r.Header.Get("X-Conference-Authorization")) != testToken {
				reply(401, `{"error_code":"MMC.111071001","error_msg":"unauthorized"}`)(w, r)
				return
			}
			reply(200, body)(w, r)
		}
	}
	tests := []struct {
		name          string
		token         confctl.Secret
		handler       http.HandlerFunc
		wantAuth      string
		want          confctl.Secret
		wantErr       error
		wantStatus    int
		wantTemporary bool
	}{
		{name: "flat_shape", token: testToken, wantAuth: testToken,
			handler: acceptBoth(`{"webSocketToken":"` + testWSToken + `"}`), want: testWSToken},
		{name: "nested_shape", token: testToken, wantAuth: testToken,
			handler: acceptBoth(`{"returnCode":0,"data":{"webSocketToken":"` + testWSToken + `"}}`), want: testWSToken},
		{name: "basic_prefixed_token", token: confctl.Secret(basic), wantAuth: basic,
			handler: acceptBoth(`{"webSocketToken":"` + testWSToken + `"}`), want: testWSToken},
		{name: "wrong_token_401", token: "not-the-token", wantAuth: "not-the-token",
			handler: acceptBoth(`{}`), wantStatus: 401, wantTemporary: true},
		{name: "return_code_nonzero", token: testToken, wantAuth: testToken, wantStatus: 200,
			handler: reply(200, `{"returnCode":1001,"returnDesc":"failed for `+testToken+`"}`)},
		{name: "404_is_not_not_running_here", token: testToken, wantAuth: testToken, wantStatus: 404,
			handler: reply(404, ``)},
		{name: "code_not_running", token: testToken, wantAuth: testToken, wantStatus: 400,
			handler: reply(400, `{"error_code":"MMC.111070005"}`), wantErr: confctl.ErrMeetingNotRunning},
		{name: "403_permanent", token: testToken, wantAuth: testToken, wantStatus: 403,
			handler: reply(403, `{"error_code":"MMC.111070003","error_msg":"no permission"}`)},
		{name: "empty_body", token: testToken, wantAuth: testToken,
			handler: reply(200, ``), wantErr: confctl.ErrInvalidResponse},
		{name: "no_token", token: testToken, wantAuth: testToken,
			handler: reply(200, `{"returnCode":0,"data":{}}`), wantErr: confctl.ErrInvalidResponse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newAPIServer(t, tt.handler)
			got, err := srv.client().WSToken(context.Background(), testConfID, tt.token)
			t.Logf("err: %v", err)
			assertNoSecrets(t, err, got)

			r := srv.lastRequest(t)
			if r.URL.Path != confctl.WSTokenPath || r.URL.Query().Get("conferenceID") != testConfID {
				t.Errorf("request = %s %s", r.Method, r.URL)
			}
			if a := r.Header.Get("X-Conference-Authorization"); a != tt.wantAuth {
				t.Errorf("X-Conference-Authorization = %q, want %q", a, tt.wantAuth)
			}
			if tt.wantStatus != 0 {
				var ae *confctl.APIError
				if !errors.As(err, &ae) {
					t.Fatalf("err = %v, want *APIError", err)
				}
				if ae.Status != tt.wantStatus || ae.Temporary() != tt.wantTemporary || ae.Op != "create websocket token" {
					t.Errorf("APIError = %+v, Temporary() = %v", ae, ae.Temporary())
				}
			}
			if got := errors.Is(err, confctl.ErrMeetingNotRunning); got != (tt.wantErr == confctl.ErrMeetingNotRunning) {
				t.Errorf("errors.Is(err, ErrMeetingNotRunning) = %v for %v", got, err)
			}
			if tt.wantErr != nil || tt.wantStatus != 0 {
				if err == nil || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) {
					t.Errorf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Reveal() != tt.want.Reveal() {
				t.Errorf("WSToken = %q, want %q", got.Reveal(), tt.want.Reveal())
			}
		})
	}
}

func TestClientTransportErrors(t *testing.T) {
	// A server that is gone: the dial fails.
	gone := httptest.NewServer(http.NotFoundHandler())
	goneURL := gone.URL
	gone.Close()

	canceled, cancel := context.WithCancel(context.Background())
	cancel()

	tests := []struct {
		name    string
		ctx     context.Context
		baseURL string
		confID  string
		wantIs  error
	}{
		{name: "connection_refused", ctx: context.Background(), baseURL: goneURL, confID: testConfID},
		{name: "canceled", ctx: canceled, baseURL: goneURL, confID: testConfID, wantIs: context.Canceled},
		{name: "bad_base_url", ctx: context.Background(), baseURL: "http://[::1", confID: testConfID},
		{name: "missing_conf_id", ctx: context.Background(), baseURL: goneURL, wantIs: confctl.ErrMissingConferenceID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &confctl.Client{BaseURL: tt.baseURL}
			_, err := c.ConfToken(tt.ctx, tt.confID, testPassword, testToken)
			_, err2 := c.WSToken(tt.ctx, tt.confID, testToken)
			for i, err := range []error{err, err2} {
				if err == nil {
					t.Fatal("err = nil")
				}
				t.Logf("err: %v", err)
				assertNoSecrets(t, err)
				prefix := []string{"create conference token: ", "create websocket token: "}[i]
				if !strings.HasPrefix(err.Error(), prefix) {
					t.Errorf("Error() = %q, want prefix %q", err, prefix)
				}
				if strings.Contains(err.Error(), "conferenceID=") {
					t.Errorf("Error() contains the query: %q", err)
				}
				if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
					t.Errorf("err = %v, want %v", err, tt.wantIs)
				}
				if errors.Is(err, confctl.ErrMeetingNotRunning) {
					t.Errorf("transport error matches ErrMeetingNotRunning: %v", err)
				}
				var ue *url.Error
				if tt.name == "connection_refused" && !errors.As(err, &ue) {
					t.Errorf("errors.As(*url.Error) fails for %v", err)
				}
			}
		})
	}
}

func TestConnectURL(t *testing.T) {
	tests := []struct {
		name, wsURL, confID string
		tmp                 confctl.Secret
		want                string
	}{
		{"plain", "wss://192.0.2.1:443", "986512347", "abc",
			"wss://192.0.2.1:443/cms/open/websocket/confctl/increment/conn?confID=986512347&tmpToken=abc"},
		{"trailing_slashes", "wss://h//", "1", "t", "wss://h/cms/open/websocket/confctl/increment/conn?confID=1&tmpToken=t"},
		{"escaped", "wss://h", "a b&c", "x+y/z=", "wss://h/cms/open/websocket/confctl/increment/conn?confID=a+b%26c&tmpToken=x%2By%2Fz%3D"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := confctl.ConnectURL(tt.wsURL, tt.confID, tt.tmp); got != tt.want {
				t.Errorf("ConnectURL = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestAPIErrorText(t *testing.T) {
	tests := []struct {
		err  *confctl.APIError
		want string
	}{
		{&confctl.APIError{Op: "create conference token", Status: 400, Code: "MMC.1", Message: "bad"},
			"create conference token: HTTP 400: MMC.1: bad"},
		{&confctl.APIError{Op: "create websocket token", Status: 500}, "create websocket token: HTTP 500"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
	codes := confctl.MeetingNotRunningCodes()
	codes[0] = "x"
	if confctl.MeetingNotRunningCodes()[0] != confctl.MeetingNotRunningCode {
		t.Error("MeetingNotRunningCodes shares its slice")
	}
}
