package standin

import (
	"crypto/subtle"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/confrec/confrec/confctl"
)

// Error codes and messages of the management APIs: the stand-in's own
// (the service's are not documented), but for "meeting not running".
const (
	codeAppAuthFailed  = "USG.000000004"
	codeBadParameter   = "MMC.111070400"
	codeUnavailable    = "MMC.111070503"
	msgUnavailable     = "service unavailable"
	msgBadAuthHeader   = "Authorization is not an App ID signature"
	msgBadAuthBody     = "body is not an App ID authentication request"
	msgUnknownApp      = "unknown App ID"
	msgBadNonce        = "nonce must be 32 to 64 characters"
	msgNonceReused     = "nonce used before"
	msgExpiredRequest  = "expireTime has passed"
	msgBadSignature    = "signature does not match"
	msgBadOffsetLimit  = "offset and limit must be non-negative integers"
	maxAppAuthBody     = 64 << 10
	defaultOnlineLimit = 20
	startTimeLayout    = "2006-01-02 15:04"
)

// SetManagementDown makes the management APIs (App ID authentication, the
// online meetings and one meeting's details) answer HTTP 503 while down is
// true, as when that part of the service fails; the token flow and the
// push channel go on. It is safe for concurrent use.
func (s *Server) SetManagementDown(down bool) {
	s.managementDown.Store(down)
}

// managementUp answers 503 itself and returns false while the management
// APIs are down.
func (s *Server) managementUp(w http.ResponseWriter) bool {
	if s.managementDown.Load() {
		writeAPIError(w, http.StatusServiceUnavailable, codeUnavailable, msgUnavailable)
		return false
	}
	return true
}

// appAuthResponse is the body of an App ID authentication's answer.
type appAuthResponse struct {
	AccessToken string      `json:"accessToken"`
	ValidPeriod int64       `json:"validPeriod"` // seconds
	ExpireTime  int64       `json:"expireTime"`  // Unix seconds
	User        appAuthUser `json:"user"`
}

type appAuthUser struct {
	UserID    string `json:"userId"`
	Name      string `json:"name"`
	AdminType int    `json:"adminType"` // 0: the enterprise's default administrator
}

// handleAppAuth serves App ID authentication.
func (s *Server) handleAppAuth(w http.ResponseWriter, r *http.Request) {
	if !s.managementUp(w) {
		return
	}
	refuse := func(msg string) {
		s.log.Info("app ID authentication refused", "reason", msg, "remote", r.RemoteAddr)
		writeAPIError(w, http.StatusUnauthorized, codeAppAuthFailed, msg)
	}
	sig, appID, ok := confctl.ParseAppAuthorization(r.Header.Get("Authorization"))
	if !ok {
		refuse(msgBadAuthHeader)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxAppAuthBody))
	var req confctl.AppAuthRequest
	if err != nil || json.Unmarshal(body, &req) != nil {
		refuse(msgBadAuthBody)
		return
	}
	now := time.Now()
	switch {
	case appID != s.opts.AppID || req.AppID != s.opts.AppID:
		refuse(msgUnknownApp)
		return
	case len(req.Nonce) < 32 || len(req.Nonce) > 64:
		refuse(msgBadNonce)
		return
	case req.ExpireTime != 0 && req.ExpireTime <= now.Unix():
		refuse(msgExpiredRequest)
		return
	}
	want := confctl.AppAuthSignature(s.opts.AppKey, req.AppID, req.UserID, req.ExpireTime, req.Nonce)
	if subtle.ConstantTimeCompare([]byte(sig), []byte(want)) != 1 {
		refuse(msgBadSignature)
		return
	}
	expires := now.Add(s.opts.AccessTokenLifetime)
	if req.ExpireTime != 0 && time.Unix(req.ExpireTime, 0).Before(expires) {
		expires = time.Unix(req.ExpireTime, 0)
	}

	s.mu.Lock()
	if _, seen := s.nonces[req.Nonce]; seen {
		s.mu.Unlock()
		refuse(msgNonceReused)
		return
	}
	s.nonces[req.Nonce] = struct{}{}
	if len(s.accessTokens) >= 64 {
		for t, exp := range s.accessTokens {
			if !now.Before(exp) {
				delete(s.accessTokens, t)
			}
		}
	}
	tok := newToken()
	s.accessTokens[tok] = expires
	s.mu.Unlock()

	user := req.UserID
	if user == "" {
		user = "admin"
	}
	s.log.Debug("access token issued", "user", user, "remote", r.RemoteAddr)
	writeJSON(w, http.StatusOK, appAuthResponse{
		AccessToken: tok,
		ValidPeriod: int64(expires.Sub(now) / time.Second),
		ExpireTime:  expires.Unix(),
		User:        appAuthUser{UserID: user, Name: user},
	})
}

// accessOK answers the error itself and returns false unless the
// management APIs are up and the request carries a valid access token.
func (s *Server) accessOK(w http.ResponseWriter, r *http.Request, now time.Time) bool {
	if !s.managementUp(w) {
		return false
	}
	tok := r.Header.Get("X-Access-Token")
	s.mu.Lock()
	exp, ok := s.accessTokens[tok]
	s.mu.Unlock()
	if !ok || tok == "" || !now.Before(exp) {
		writeAPIError(w, http.StatusUnauthorized, codeTokenInvalid, msgTokenInvalid)
		return false
	}
	return true
}

// onlinePage is the body of the online meetings' answer.
type onlinePage struct {
	Offset int               `json:"offset"`
	Limit  int               `json:"limit"`
	Count  int               `json:"count"`
	Data   []json.RawMessage `json:"data"`
}

// handleOnlineMeetings serves the meetings running now. queryAll is
// implied: the access token is the enterprise administrator's.
func (s *Server) handleOnlineMeetings(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	if !s.accessOK(w, r, now) {
		return
	}
	q := r.URL.Query()
	offset, ok1 := queryInt(q, "offset", 0)
	limit, ok2 := queryInt(q, "limit", defaultOnlineLimit)
	if !ok1 || !ok2 {
		writeAPIError(w, http.StatusBadRequest, codeBadParameter, msgBadOffsetLimit)
		return
	}
	if limit == 0 {
		limit = defaultOnlineLimit
	}
	limit = min(limit, confctl.MaxOnlinePage)
	var running []*meeting
	for _, m := range s.order {
		if m.running(now) {
			running = append(running, m)
		}
	}
	page := onlinePage{Offset: offset, Limit: limit, Count: len(running), Data: []json.RawMessage{}}
	lo := min(offset, len(running))
	for _, m := range running[lo : lo+min(limit, len(running)-lo)] {
		page.Data = append(page.Data, confctl.EncodeConferenceInfo(m.info()))
	}
	writeJSON(w, http.StatusOK, page)
}

// handleOnlineConfDetail serves one running meeting's details.
func (s *Server) handleOnlineConfDetail(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	if !s.accessOK(w, r, now) {
		return
	}
	m := s.requestedMeeting(w, r, now)
	if m == nil {
		return
	}
	writeJSON(w, http.StatusOK, struct {
		ConferenceData json.RawMessage `json:"conferenceData"`
		Data           onlinePage      `json:"data"` // participants: none listed
	}{confctl.EncodeConferenceInfo(m.info()), onlinePage{Data: []json.RawMessage{}}})
}

// info returns what the management APIs say of m while it runs.
func (m *meeting) info() confctl.ConferenceInfo {
	ci := confctl.ConferenceInfo{
		ConferenceID:    m.script.ConfID,
		ConfUUID:        m.confUUID,
		VMRConferenceID: m.vmrID,
		Subject:         m.subject,
		StartTime:       m.start.UTC().Format(startTimeLayout),
		State:           confctl.StateCreated,
		Organizer:       m.organizer,
	}
	if !m.end.IsZero() {
		ci.EndTime = m.end.UTC().Format(startTimeLayout)
	}
	if m.listed && m.password != "" {
		ci.PasswordEntry = []confctl.PasswordEntry{{Role: "chair", Password: m.password}}
	}
	return ci
}

// queryInt reads the non-negative integer query parameter name, def when
// absent; ok is false for anything else.
func queryInt(q url.Values, name string, def int) (n int, ok bool) {
	v := q.Get(name)
	if v == "" {
		return def, true
	}
	n, err := strconv.Atoi(v)
	return n, err == nil && n >= 0
}
