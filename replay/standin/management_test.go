package standin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/confrec/confrec/confctl"
	"github.com/confrec/confrec/replay/standin"
)

const (
	testAppID              = "stand-in-app"
	testAppKey             = "app-key-0123456789abcdef"
	nonce32                = "0123456789abcdef0123456789abcdef"
	nonce64                = nonce32 + nonce32
	startTimeLayout        = "2006-01-02 15:04"
	managementErrorCodeKey = "error_code"
)

// appAuth POSTs an App ID authentication signed with key for appID (in the
// Authorization header: headerApp) and returns the status and body.
func appAuth(ctx context.Context, t *testing.T, h *harness, key confctl.Secret, headerApp string, req confctl.AppAuthRequest) (int, map[string]any) {
	t.Helper()
	sig := confctl.AppAuthSignature(key, req.AppID, req.UserID, req.ExpireTime, req.Nonce)
	return appAuthRaw(ctx, t, h, confctl.AppAuthorization(sig, headerApp), mustJSON(t, req))
}

// appAuthRaw POSTs body to the App ID authentication with an Authorization
// header (none if empty).
func appAuthRaw(ctx context.Context, t *testing.T, h *harness, authorization string, body []byte) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.srv.URL+confctl.AppAuthPath, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := h.hc.Do(req)
	if err != nil {
		t.Fatalf("POST appauth: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), testAppKey) {
		t.Errorf("answer shows the App Key: %s", b)
	}
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("appauth answer %q: %v", b, err)
	}
	return resp.StatusCode, v
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// enterprise starts a schedule with management APIs of testAppID.
func enterprise(t *testing.T, ms []standin.Scheduled, opts standin.ServerOptions) *harness {
	t.Helper()
	opts.AppID, opts.AppKey, opts.Speed = testAppID, testAppKey, 1
	return startSchedule(t, ms, &opts)
}

// accessToken authenticates with confctl's client and fails the test on
// error.
func (h *harness) accessToken(ctx context.Context) confctl.Secret {
	h.t.Helper()
	tok, err := h.api.AppAuth(ctx, testAppID, testAppKey, "")
	if err != nil {
		h.t.Fatalf("AppAuth: %v", err)
	}
	return tok.Token
}

// TestAppAuth: App ID authentication checks the signature, the App ID, the
// nonce (32 to 64 characters, never seen before) and expireTime, and
// answers every refusal with 401 and an error body.
func TestAppAuth(t *testing.T) {
	ctx := testCtx(t)
	h := enterprise(t, []standin.Scheduled{{Script: textScript("1", time.Hour)}}, standin.ServerOptions{})
	req := func(nonce string) confctl.AppAuthRequest {
		return confctl.AppAuthRequest{AppID: testAppID, ClientType: confctl.AppAuthClientType, Nonce: nonce}
	}
	soon := time.Now().Add(time.Minute).Unix()
	tests := []struct {
		name      string
		key       confctl.Secret
		headerApp string
		req       confctl.AppAuthRequest
		wantOK    bool
	}{
		{"ok", testAppKey, testAppID, req("a" + nonce32[1:]), true},
		{"nonce_64", testAppKey, testAppID, req("b" + nonce64[1:]), true},
		{"for_a_user", testAppKey, testAppID, confctl.AppAuthRequest{AppID: testAppID, Nonce: "c" + nonce32[1:], UserID: "bob"}, true},
		{"expire_time_soon", testAppKey, testAppID, confctl.AppAuthRequest{AppID: testAppID, Nonce: "d" + nonce32[1:], ExpireTime: soon}, true},
		{"nonce_reused", testAppKey, testAppID, req("a" + nonce32[1:]), false},
		{"wrong_key", "another-key", testAppID, req("e" + nonce32[1:]), false},
		{"other_app_in_header", testAppKey, "another-app", req("f" + nonce32[1:]), false},
		{"other_app_in_body", testAppKey, "another-app", confctl.AppAuthRequest{AppID: "another-app", Nonce: "g" + nonce32[1:]}, false},
		{"nonce_31", testAppKey, testAppID, req(nonce32[1:]), false},
		{"nonce_65", testAppKey, testAppID, req("h" + nonce64), false},
		{"expire_time_past", testAppKey, testAppID, confctl.AppAuthRequest{AppID: testAppID, Nonce: "i" + nonce32[1:], ExpireTime: 1_600_000_000}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := appAuth(ctx, t, h, tt.key, tt.headerApp, tt.req)
			if !tt.wantOK {
				if status != http.StatusUnauthorized || body[managementErrorCodeKey] == nil || body["error_msg"] == nil {
					t.Errorf("HTTP %d %v, want 401 with error_code and error_msg", status, body)
				}
				return
			}
			if status != http.StatusOK {
				t.Fatalf("HTTP %d %v, want 200", status, body)
			}
			tok, _ := body["accessToken"].(string)
			period, _ := body["validPeriod"].(float64)
			exp, _ := body["expireTime"].(float64)
			user, _ := body["user"].(map[string]any)
			if tok == "" || period <= 0 || exp <= float64(time.Now().Unix()) || user == nil {
				t.Errorf("answer %v lacks accessToken, validPeriod, expireTime or user", body)
			}
			if tt.req.ExpireTime != 0 && int64(exp) != tt.req.ExpireTime {
				t.Errorf("expireTime %v, want the requested %d", exp, tt.req.ExpireTime)
			}
			if tt.req.UserID != "" && user["userId"] != tt.req.UserID {
				t.Errorf("user %v, want userId %s", user, tt.req.UserID)
			}
		})
	}
	for name, hdr := range map[string]string{
		"no_authorization":      "",
		"not_hmac":              "Basic " + nonce32,
		"bad_base64_access":     "HMAC-SHA256 signature=00,access=%%%",
		"signature_of_the_body": "HMAC-SHA256 signature=" + nonce64 + ",access=c3RhbmQtaW4tYXBw",
	} {
		t.Run(name, func(t *testing.T) {
			status, body := appAuthRaw(ctx, t, h, hdr, mustJSON(t, req("j"+nonce32[1:])))
			if status != http.StatusUnauthorized || body[managementErrorCodeKey] == nil {
				t.Errorf("HTTP %d %v, want 401 with error_code", status, body)
			}
		})
	}
	t.Run("body_not_json", func(t *testing.T) {
		sig := confctl.AppAuthSignature(testAppKey, testAppID, "", 0, nonce32)
		status, _ := appAuthRaw(ctx, t, h, confctl.AppAuthorization(sig, testAppID), []byte("appId="+testAppID))
		if status != http.StatusUnauthorized {
			t.Errorf("HTTP %d, want 401", status)
		}
	})

	// confctl's client: a token, or a 401 APIError for a wrong key.
	if tok := h.accessToken(ctx); tok == "" {
		t.Error("AppAuth gave an empty token")
	}
	var apiErr *confctl.APIError
	if _, err := h.api.AppAuth(ctx, testAppID, "not-the-key", ""); !errors.As(err, &apiErr) || apiErr.Status != 401 {
		t.Errorf("AppAuth with a wrong key: %v, want HTTP 401", err)
	}
}

// TestOnlineMeetings: the online list holds exactly the meetings running
// at that moment, by start then conference ID, paged, with the chair
// password only where listed.
func TestOnlineMeetings(t *testing.T) {
	ctx := testCtx(t)
	long := func(id string) *standin.Script { return textScript(id, 0, time.Hour) }
	h := enterprise(t, []standin.Scheduled{
		{Script: long("500"), Subject: "Weekly", Organizer: "Ann", VMRConferenceID: "VMR-1", Password: "pw500", PasswordListed: true},
		{Script: long("400"), Subject: "Board", VMRConferenceID: "VMR-1", Password: "pw400"},
		{Script: long("100"), Start: 30 * time.Millisecond, Password: "pw100", PasswordListed: true},
		{Script: long("200"), Start: time.Hour, Password: "pw200", PasswordListed: true},
		{Script: textScript("300")}, // ended as it started
	}, standin.ServerOptions{})
	tok := h.accessToken(ctx)

	// Meeting 100 starts 30ms after the others: wait for it.
	var page confctl.OnlinePage
	for {
		var err error
		page, err = h.api.OnlineMeetings(ctx, tok, 0, 20)
		if err != nil {
			t.Fatalf("OnlineMeetings: %v", err)
		}
		if page.Count >= 3 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("meeting 100 never listed: %+v", page)
		case <-time.After(10 * time.Millisecond):
		}
	}
	if got := ids(page.Meetings); page.Count != 3 || !reflect.DeepEqual(got, []string{"400", "500", "100"}) || page.Skipped != 0 {
		t.Fatalf("online meetings %v (count %d, skipped %d), want 400 500 100 (count 3)", got, page.Count, page.Skipped)
	}
	byID := map[string]confctl.ConferenceInfo{}
	for _, m := range page.Meetings {
		byID[m.ConferenceID] = m
		if m.State != confctl.StateCreated {
			t.Errorf("meeting %s state %q, want Created", m.ConferenceID, m.State)
		}
		st, err := time.Parse(startTimeLayout, m.StartTime)
		if err != nil || st.Sub(time.Now().UTC()).Abs() > 2*time.Minute {
			t.Errorf("meeting %s startTime %q: want this minute as %q in UTC (%v)", m.ConferenceID, m.StartTime, startTimeLayout, err)
		}
	}
	if w := byID["500"]; w.Subject != "Weekly" || w.Organizer != "Ann" || w.VMRConferenceID != "VMR-1" || w.ChairPassword() != "pw500" {
		t.Errorf("meeting 500: %+v, want subject, organizer, VMR and chair password pw500", w)
	}
	if b := byID["400"]; b.Subject != "Board" || b.VMRConferenceID != "VMR-1" || len(b.PasswordEntry) != 0 {
		t.Errorf("meeting 400: %+v, want subject, the shared VMR and no password", b)
	}
	if c := byID["100"]; c.ChairPassword() != "pw100" {
		t.Errorf("meeting 100: chair password %q, want pw100", c.ChairPassword().Reveal())
	}

	// Pages.
	for _, tt := range []struct {
		offset, limit int
		want          []string
	}{
		{0, 2, []string{"400", "500"}},
		{2, 2, []string{"100"}},
		{1, 1, []string{"500"}},
		{3, 2, nil},
		{99, 500, nil},
	} {
		p, err := h.api.OnlineMeetings(ctx, tok, tt.offset, tt.limit)
		if err != nil {
			t.Fatalf("OnlineMeetings(%d, %d): %v", tt.offset, tt.limit, err)
		}
		if got := ids(p.Meetings); p.Count != 3 || p.Offset != tt.offset || p.Limit != tt.limit || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("OnlineMeetings(%d, %d) = %v offset %d limit %d count %d, want %v count 3", tt.offset, tt.limit, got, p.Offset, p.Limit, p.Count, tt.want)
		}
	}

	// The raw answers: limit clamped and defaulted, bad parameters refused,
	// the access token checked.
	online := h.srv.URL + confctl.OnlineMeetingsPath + "?queryAll=true"
	auth := map[string]string{"X-Access-Token": tok.Reveal()}
	for _, tt := range []struct {
		name       string
		query      string
		hdr        map[string]string
		wantStatus int
		wantLimit  float64
	}{
		{"default_limit", "", auth, 200, 20},
		{"limit_0", "&limit=0", auth, 200, 20},
		{"limit_clamped", "&limit=1000", auth, 200, 500},
		{"limit_not_a_number", "&limit=ten", auth, 400, 0},
		{"offset_negative", "&offset=-1", auth, 400, 0},
		{"offset_huge", "&offset=9223372036854775807&limit=500", auth, 200, 500},
		{"no_token", "", nil, 401, 0},
		{"unknown_token", "", map[string]string{"X-Access-Token": "nope"}, 401, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			status, body := getJSON(ctx, t, h.hc, online+tt.query, tt.hdr)
			if status != tt.wantStatus {
				t.Fatalf("HTTP %d %v, want %d", status, body, tt.wantStatus)
			}
			if status != 200 {
				if body[managementErrorCodeKey] == nil {
					t.Errorf("error body %v has no error_code", body)
				}
				return
			}
			if body["limit"] != tt.wantLimit || body["count"] != float64(3) {
				t.Errorf("limit %v count %v, want %v and 3", body["limit"], body["count"], tt.wantLimit)
			}
			if _, ok := body["data"].([]any); !ok {
				t.Errorf("data %v is not a list", body["data"])
			}
		})
	}

	// An expired access token is refused.
	short := enterprise(t, []standin.Scheduled{{Script: long("1")}}, standin.ServerOptions{AccessTokenLifetime: time.Nanosecond})
	var apiErr *confctl.APIError
	if _, err := short.api.OnlineMeetings(ctx, short.accessToken(ctx), 0, 20); !errors.As(err, &apiErr) || apiErr.Status != 401 {
		t.Errorf("OnlineMeetings with an expired token: %v, want HTTP 401", err)
	}
}

func ids(ms []confctl.ConferenceInfo) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.ConferenceID)
	}
	return out
}

// TestOnlineConfDetail: a running meeting's details, with the chair
// password only where listed; any other meeting is not running.
func TestOnlineConfDetail(t *testing.T) {
	ctx := testCtx(t)
	h := enterprise(t, []standin.Scheduled{
		{Script: textScript("1", time.Hour), Subject: "Listed", Password: "pw1", PasswordListed: true},
		{Script: textScript("2", time.Hour), Subject: "Unlisted", Password: "pw2"},
		{Script: textScript("3", time.Hour), Start: time.Hour, Password: "pw3", PasswordListed: true},
	}, standin.ServerOptions{})
	tok := h.accessToken(ctx)
	for _, tt := range []struct {
		id, subject string
		chair       confctl.Secret
	}{{"1", "Listed", "pw1"}, {"2", "Unlisted", ""}} {
		ci, err := h.api.OnlineConfDetail(ctx, tok, tt.id)
		if err != nil {
			t.Fatalf("OnlineConfDetail(%s): %v", tt.id, err)
		}
		if ci.ConferenceID != tt.id || ci.Subject != tt.subject || ci.State != confctl.StateCreated || ci.ChairPassword() != tt.chair {
			t.Errorf("OnlineConfDetail(%s) = %+v, want subject %s and its chair password only if listed", tt.id, ci, tt.subject)
		}
	}
	for _, id := range []string{"3", "999"} {
		var apiErr *confctl.APIError
		_, err := h.api.OnlineConfDetail(ctx, tok, id)
		if !errors.As(err, &apiErr) || apiErr.Status != 400 || !errors.Is(err, confctl.ErrMeetingNotRunning) {
			t.Errorf("OnlineConfDetail(%s): %v, want HTTP 400 meeting not running", id, err)
		}
	}
	status, body := getJSON(ctx, t, h.hc, h.srv.URL+confctl.OnlineConfDetailPath+"?conferenceID=2",
		map[string]string{"X-Access-Token": tok.Reveal()})
	wantData := map[string]any{"offset": float64(0), "limit": float64(0), "count": float64(0), "data": []any{}}
	if status != 200 || !reflect.DeepEqual(body["data"], wantData) || body["conferenceData"] == nil {
		t.Errorf("HTTP %d %v, want conferenceData and an empty participants page", status, body)
	}
	if status, _ := getJSON(ctx, t, h.hc, h.srv.URL+confctl.OnlineConfDetailPath+"?conferenceID=1", nil); status != 401 {
		t.Errorf("without an access token: HTTP %d, want 401", status)
	}
}

// TestManagementDown: while down the management APIs answer 503 and the
// token flow goes on; back up, the same access token works again.
func TestManagementDown(t *testing.T) {
	ctx := testCtx(t)
	h := enterprise(t, []standin.Scheduled{{Script: textScript("1", 0, time.Hour)}}, standin.ServerOptions{})
	tok := h.accessToken(ctx)
	h.srv.SetManagementDown(true)
	calls := map[string]func() error{
		"appauth": func() error { _, err := h.api.AppAuth(ctx, testAppID, testAppKey, ""); return err },
		"online":  func() error { _, err := h.api.OnlineMeetings(ctx, tok, 0, 20); return err },
		"detail":  func() error { _, err := h.api.OnlineConfDetail(ctx, tok, "1"); return err },
	}
	for name, call := range calls {
		var apiErr *confctl.APIError
		if err := call(); !errors.As(err, &apiErr) || apiErr.Status != http.StatusServiceUnavailable {
			t.Errorf("%s while down: %v, want HTTP 503", name, err)
		}
	}
	ct := h.confToken(ctx, "", "")
	c := h.dial(ctx, ct)
	h.subscribe(ctx, c, "1", ct.Token)
	expectText(ctx, t, c, []byte("1:0"))

	h.srv.SetManagementDown(false)
	for name, call := range calls {
		if err := call(); err != nil {
			t.Errorf("%s back up: %v", name, err)
		}
	}
}

// TestManagementNotServed: without an App Key the management paths do not
// exist.
func TestManagementNotServed(t *testing.T) {
	ctx := testCtx(t)
	h := startSchedule(t, []standin.Scheduled{{Script: textScript("1", time.Hour)}}, &standin.ServerOptions{Speed: 1})
	plain := start(t, textScript("2", 0), nil)
	for _, srv := range []*harness{h, plain} {
		for _, r := range []struct{ method, path string }{
			{http.MethodPost, confctl.AppAuthPath},
			{http.MethodGet, confctl.OnlineMeetingsPath},
			{http.MethodGet, confctl.OnlineConfDetailPath + "?conferenceID=1"},
		} {
			req, err := http.NewRequestWithContext(ctx, r.method, srv.srv.URL+r.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := srv.hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusNotFound {
				t.Errorf("%s %s: HTTP %d, want 404", r.method, r.path, resp.StatusCode)
			}
		}
	}
}

// TestManagementPlainServer: NewServer's meetings run as long as the
// Server, so the online list holds all of them.
func TestManagementPlainServer(t *testing.T) {
	ctx := testCtx(t)
	srv, err := standin.NewServer([]*standin.Script{textScript("2", 0), textScript("1", 0)},
		&standin.ServerOptions{AppID: testAppID, AppKey: testAppKey})
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{}
	t.Cleanup(func() {
		srv.Close()
		tr.CloseIdleConnections()
	})
	h := &harness{t: t, srv: srv, hc: &http.Client{Transport: tr}}
	h.api = &confctl.Client{BaseURL: srv.URL, HTTPClient: h.hc}
	page, err := h.api.OnlineMeetings(ctx, h.accessToken(ctx), 0, 20)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(page.Meetings); !reflect.DeepEqual(got, []string{"1", "2"}) {
		t.Errorf("online meetings %v, want 1 2", got)
	}
}
