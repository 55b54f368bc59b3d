package confctl_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/confrec/confrec/confctl"
)

const (
	testAppID  = "app-7f3e"
	testAppKey = confctl.Secret("appkey-5c0d9f1e2a3b4c5d6e7f")
	testAccess = "access-0a1b2c3d4e5f60718293a4b5"
)

// TestAppAuth: AppAuth signs a fresh nonce with the App Key (which it never
// sends), and reads the token and its expiry tolerantly; a refusal is an
// *APIError whose text holds no secret.
func TestAppAuth(t *testing.T) {
	t.Parallel()
	future := time.Now().Add(3 * time.Hour).Truncate(time.Second)
	tests := []struct {
		name    string
		status  int
		body    string
		want    time.Time // zero: an error is wanted
		wantErr error
	}{
		{"expireTime in seconds", 200, `{"accessToken":"` + testAccess + `","expireTime":` + jsonInt(future.Unix()) + `}`, future, nil},
		{"expireTime as a string", 200, `{"accessToken":"` + testAccess + `","expireTime":"` + jsonInt(future.Unix()) + `"}`, future, nil},
		{"refused", 401, `{"error_code":"USG.000000003","error_msg":"signature ` + testAppKey.Reveal() + ` invalid"}`, time.Time{}, nil},
		{"no token", 200, `{"validPeriod":3600}`, time.Time{}, confctl.ErrInvalidResponse},
		{"not JSON", 200, `<html>`, time.Time{}, confctl.ErrInvalidResponse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sigOK bool
			srv := newAPIServer(t, func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				var req confctl.AppAuthRequest
				_ = json.Unmarshal(body, &req)
				sig, appID, ok := confctl.ParseAppAuthorization(r.Header.Get("Authorization"))
				sigOK = ok && appID == testAppID && r.Method == http.MethodPost && r.URL.Path == confctl.AppAuthPath &&
					sig == confctl.AppAuthSignature(testAppKey, req.AppID, req.UserID, req.ExpireTime, req.Nonce) &&
					len(req.Nonce) >= 32 && len(req.Nonce) <= 64 && req.ClientType == confctl.AppAuthClientType &&
					!strings.Contains(string(body)+r.Header.Get("Authorization"), testAppKey.Reveal())
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			})
			tok, err := srv.client().AppAuth(t.Context(), testAppID, testAppKey, "")
			if !sigOK {
				t.Error("the request was not a signed App ID authentication without the key")
			}
			if tt.want.IsZero() {
				if err == nil || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) {
					t.Fatalf("err %v, want one matching %v", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), testAppKey.Reveal()) {
					t.Errorf("error holds the App Key: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tok.Token.Reveal() != testAccess || !tok.ExpireAt.Equal(tt.want) {
				t.Errorf("token %q expiring %v, want %q and %v", tok.Token.Reveal(), tok.ExpireAt, testAccess, tt.want)
			}
		})
	}
}

func jsonInt(n int64) string { b, _ := json.Marshal(n); return string(b) }

// TestOnlineMeetings: a page is read tolerantly, an entry without a
// conferenceID is skipped and counted, the chair password is found, and the
// access token goes in X-Access-Token.
func TestOnlineMeetings(t *testing.T) {
	t.Parallel()
	srv := newAPIServer(t, func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if r.Header.Get("X-Access-Token") != testAccess || q.Get("queryAll") != "true" || q.Get("limit") != "500" || q.Get("offset") != "2" {
			w.WriteHeader(401)
			return
		}
		io.WriteString(w, `{"offset":"2","limit":500,"count":4,"data":[
			{"conferenceID":"111","subject":"Board","conferenceState":"Created","scheduserName":"Chen","vmrConferenceID":"9001",
			 "passwordEntry":[{"conferenceRole":"general","password":"g1"},{"conferenceRole":"chair","password":"c1"}]},
			{"conferenceID":222,"conferenceState":"Created","passwordEntry":"hidden"},
			{"subject":"no id"},
			17]}`)
	})
	p, err := srv.client().OnlineMeetings(t.Context(), testAccess, 2, 9999)
	if err != nil {
		t.Fatal(err)
	}
	if p.Offset != 2 || p.Limit != 500 || p.Count != 4 || p.Skipped != 2 || len(p.Meetings) != 2 {
		t.Fatalf("page %+v", p)
	}
	m := p.Meetings[0]
	if m.ConferenceID != "111" || m.Subject != "Board" || m.Organizer != "Chen" || m.VMRConferenceID != "9001" ||
		m.State != confctl.StateCreated || m.ChairPassword().Reveal() != "c1" {
		t.Errorf("first meeting %+v", m)
	}
	if m := p.Meetings[1]; m.ConferenceID != "222" || m.ChairPassword() != "" {
		t.Errorf("second meeting %+v", m)
	}
}

// TestCallback: a callback made by NewCallback parses and checks; one that
// was altered, signed with another key, stale or from the future does not.
func TestCallback(t *testing.T) {
	t.Parallel()
	now := time.Now()
	good := confctl.NewCallback(testAppKey, testAppID, "n0nce0123456789abcdef0123456789ab", confctl.EventStarted, "986512347", now)
	tests := []struct {
		name string
		body []byte
		key  confctl.Secret
		ok   bool
	}{
		{"good", good, testAppKey, true},
		{"another key", good, "other", false},
		{"altered meeting", []byte(strings.Replace(string(good), "986512347", "986512348", 1)), testAppKey, false},
		{"stale", confctl.NewCallback(testAppKey, testAppID, "n1", confctl.EventStarted, "1", now.Add(-6*time.Minute)), testAppKey, false},
		{"future", confctl.NewCallback(testAppKey, testAppID, "n2", confctl.EventStarted, "1", now.Add(6*time.Minute)), testAppKey, false},
		{"another app", confctl.NewCallback(testAppKey, "app-other", "n3", confctl.EventStarted, "1", now), testAppKey, false},
		{"not JSON", []byte("meeting.started"), testAppKey, false},
		{"no signature", []byte(`{"appID":"` + testAppID + `","timestamp":1,"nonce":"n","eventInfo":{"event":"meeting.started"}}`), testAppKey, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cb, err := confctl.ParseCallback(tt.body)
			if err == nil {
				err = cb.Check(tt.key, testAppID, now, 5*time.Minute)
			}
			if (err == nil) != tt.ok {
				t.Fatalf("err %v, want ok %v", err, tt.ok)
			}
			if err != nil && !errors.Is(err, confctl.ErrBadCallback) {
				t.Errorf("err %v does not match ErrBadCallback", err)
			}
			if tt.ok && (cb.Event != confctl.EventStarted || cb.MeetingID != "986512347") {
				t.Errorf("callback %+v", cb)
			}
		})
	}
}

// FuzzParseCallback: no input panics, and a callback that parses and
// checks is one whose signature the key made.
func FuzzParseCallback(f *testing.F) {
	now := time.UnixMilli(1_780_000_000_000)
	f.Add(confctl.NewCallback(testAppKey, testAppID, "nonce", confctl.EventStarted, "1", now))
	f.Add([]byte(`{"appID":1,"timestamp":"5","nonce":2,"signature":"x","eventInfo":"{\"event\":\"meeting.end\",\"payload\":[]}"}`))
	f.Add([]byte(`{"eventInfo":{"payload":{"meetingInfo":"x"}}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		cb, err := confctl.ParseCallback(body)
		if err != nil {
			return
		}
		if cb.Check(testAppKey, "", now, time.Hour) == nil &&
			cb.Signature != confctl.CallbackSignature(testAppKey, cb.AppID, cb.Timestamp, cb.Nonce, cb.EventInfo) {
			t.Fatal("checked a callback the key did not sign")
		}
	})
}

// FuzzOnlineMeetingsPage: no page body panics the decoder, and every
// meeting it returns has a conferenceID.
func FuzzOnlineMeetingsPage(f *testing.F) {
	f.Add([]byte(`{"count":1,"data":[{"conferenceID":"1","passwordEntry":[{"conferenceRole":"chair","password":"x"}]}]}`))
	f.Add([]byte(`{"data":[{"conferenceID":{}},null,"x",{"passwordEntry":{}}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := confctl.DecodeOnlinePage(body, 0, 500)
		if err != nil {
			return
		}
		for _, m := range p.Meetings {
			if m.ConferenceID == "" {
				t.Fatal("a meeting without a conferenceID")
			}
		}
	})
}
