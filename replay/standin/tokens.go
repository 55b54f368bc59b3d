package standin

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"time"

	"github.com/confrec/confrec/confctl"
)

// Error codes and messages of the REST error bodies. The first two are the
// service's; the others are the stand-in's own (the service's are not
// documented).
const (
	codePasswordError = "MMC.111070001"
	msgPasswordError  = "password error"
	msgNotRunning     = "conference not exist or not running"
	codeTokenInvalid  = "MMC.111071001"
	msgTokenInvalid   = "token invalid or expired"
)

// playback is one replay of the Script: one meeting-control token and its
// keep-alives. Its fields are guarded by Server.mu.
type playback struct {
	id      int       // for logs: tokens are never logged
	m       *meeting  // the meeting it plays
	script  *Script   // m.script
	token   string    // meeting-control token
	expires time.Time // of token
	next    int       // index of the next step to play
	t0      time.Time // what step offsets count from (see Server); zero until known
	ended   bool      // the meeting is over for this playback
	live    *session  // the connection playing it, nil if none
}

// wsToken is an issued, unused WebSocket token.
type wsToken struct {
	pb      *playback
	expires time.Time
}

// newToken returns a fresh random token: 24 random bytes in hex.
func newToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b) // never fails: crypto/rand crashes the program instead
	return hex.EncodeToString(b)
}

// issueWSTokenLocked registers a new WebSocket token for pb. s.mu is held.
func (s *Server) issueWSTokenLocked(pb *playback, now time.Time) string {
	if len(s.wsTokens) >= 64 {
		for t, w := range s.wsTokens {
			if !now.Before(w.expires) {
				delete(s.wsTokens, t)
			}
		}
	}
	t := newToken()
	s.wsTokens[t] = wsToken{pb: pb, expires: now.Add(s.opts.WSTokenLifetime)}
	return t
}

// validPlaybackLocked returns the playback of meeting-control token v (bare
// or "Basic <base64>") if the token is known and not expired. s.mu is held.
func (s *Server) validPlaybackLocked(v string, now time.Time) *playback {
	pb := s.playbacks[confctl.ParseConfToken(v)]
	if pb == nil || !now.Before(pb.expires) {
		return nil
	}
	return pb
}

// confTokenResponse is the body of a CreateConfToken answer.
type confTokenResponse struct {
	Data           confTokenData `json:"data"`
	AddressToken   string        `json:"addressToken"`
	GloablPublicIP string        `json:"gloablPublicIP"` // sic
}

type confTokenData struct {
	Token               string   `json:"token"`
	TmpWSToken          string   `json:"tmpWsToken"`
	WSURL               string   `json:"wsURL"`
	Role                int      `json:"role"`
	ExpireTime          int64    `json:"expireTime"`
	ConfTokenExpireTime int64    `json:"confTokenExpireTime"`
	SupportNotifyType   []string `json:"supportNotifyType"`
}

// requestedMeeting returns the meeting of the request's conferenceID if it
// runs at now. For a meeting it does not play, or one not running, it
// answers 400 (meeting not running) itself and returns nil.
func (s *Server) requestedMeeting(w http.ResponseWriter, r *http.Request, now time.Time) *meeting {
	m := s.meetings[r.URL.Query().Get("conferenceID")]
	if m == nil || !m.running(now) {
		writeAPIError(w, http.StatusBadRequest, confctl.MeetingNotRunningCode, msgNotRunning)
		return nil
	}
	return m
}

// handleConfToken serves CreateConfToken.
//
// With X-Conference-Authorization holding a valid token of a running
// playback, it keeps the token alive: same token, new expiry, no password
// check. With an unknown or expired token it re-authenticates if
// X-Password is present (a new token and a new playback), and answers 401
// otherwise. A token whose playback ended gets 400 (meeting not running).
// Without X-Conference-Authorization it checks the password and starts a
// new playback.
func (s *Server) handleConfToken(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	m := s.requestedMeeting(w, r, now)
	if m == nil {
		return
	}
	auth := r.Header.Get("X-Conference-Authorization")
	password, hasPassword := r.Header.Get("X-Password"), r.Header.Get("X-Password") != ""

	s.mu.Lock()
	var pb *playback
	if auth != "" {
		if known := s.playbacks[confctl.ParseConfToken(auth)]; known != nil && known.ended {
			s.mu.Unlock()
			writeAPIError(w, http.StatusBadRequest, confctl.MeetingNotRunningCode, msgNotRunning)
			return
		}
		pb = s.validPlaybackLocked(auth, now)
		if pb != nil && pb.m != m {
			pb = nil // a token of another meeting
		}
		if pb == nil && !hasPassword {
			s.mu.Unlock()
			writeAPIError(w, http.StatusUnauthorized, codeTokenInvalid, msgTokenInvalid)
			return
		}
	}
	keepAlive := pb != nil
	if pb == nil {
		if !passwordOK(m.password, password) {
			s.mu.Unlock()
			s.log.Info("conference token refused: wrong password", "remote", r.RemoteAddr)
			writeAPIError(w, http.StatusUnauthorized, codePasswordError, msgPasswordError)
			return
		}
		s.lastID++
		pb = &playback{id: s.lastID, token: newToken(), m: m, script: m.script}
		if s.schedule {
			pb.t0 = m.start
		}
		s.playbacks[pb.token] = pb
	}
	pb.expires = now.Add(s.opts.TokenLifetime)
	resp := confTokenResponse{Data: confTokenData{
		Token:               pb.token,
		TmpWSToken:          s.issueWSTokenLocked(pb, now),
		WSURL:               s.wsURL(r),
		Role:                1,
		ExpireTime:          pb.expires.UnixMilli(),
		ConfTokenExpireTime: int64(s.opts.TokenLifetime / time.Second),
		SupportNotifyType:   confctl.DefaultSubscribeTypes(),
	}}
	id := pb.id
	s.mu.Unlock()

	s.log.Debug("conference token issued", "playback", id, "keep_alive", keepAlive, "remote", r.RemoteAddr)
	writeJSON(w, http.StatusOK, resp)
}

// handleWSToken serves CreateWebSocketToken.
func (s *Server) handleWSToken(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	m := s.requestedMeeting(w, r, now)
	if m == nil {
		return
	}
	s.mu.Lock()
	pb := s.validPlaybackLocked(r.Header.Get("X-Conference-Authorization"), now)
	switch {
	case pb == nil || pb.m != m:
		s.mu.Unlock()
		writeAPIError(w, http.StatusUnauthorized, codeTokenInvalid, msgTokenInvalid)
		return
	case pb.ended:
		s.mu.Unlock()
		writeAPIError(w, http.StatusBadRequest, confctl.MeetingNotRunningCode, msgNotRunning)
		return
	}
	t := s.issueWSTokenLocked(pb, now)
	id := pb.id
	s.mu.Unlock()

	s.log.Debug("websocket token issued", "playback", id, "remote", r.RemoteAddr)
	writeJSON(w, http.StatusOK, struct {
		WebSocketToken string `json:"webSocketToken"`
	}{t})
}

// passwordOK reports whether p is the host password want (any p when want
// is empty).
func passwordOK(want confctl.Secret, p string) bool {
	if want == "" {
		return true
	}
	return subtle.ConstantTimeCompare([]byte(p), []byte(want.Reveal())) == 1
}

// wsURL returns the wsURL handed out: the host the client reached.
func (s *Server) wsURL(r *http.Request) string {
	host := r.Host
	if host == "" {
		host = s.ln.Addr().String()
	}
	return "ws://" + host
}

// writeAPIError writes the service's error body.
func writeAPIError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, struct {
		Code string `json:"error_code"`
		Msg  string `json:"error_msg"`
	}{code, msg})
}

// writeJSON writes v as a JSON body with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil { // only fixed struct types are passed
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(status)
	_, _ = w.Write(b) // the client is gone if this fails
}
