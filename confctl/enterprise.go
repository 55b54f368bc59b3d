package confctl

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Enterprise REST endpoints: what a recorder needs to find every running
// meeting of an enterprise without a person naming it.
const (
	// AppAuthPath is App ID authentication (POST): an access token for the
	// management APIs from an App ID and its App Key.
	AppAuthPath = "/v2/usg/acs/auth/appauth"
	// OnlineMeetingsPath lists the meetings running now (GET, paged).
	OnlineMeetingsPath = "/v1/mmc/management/conferences/online"
	// OnlineConfDetailPath is one running meeting's details (GET,
	// ?conferenceID=).
	OnlineConfDetailPath = "/v1/mmc/management/conferences/online/confDetail"
)

// Meeting states of ConferenceInfo.State.
const (
	StateSchedule  = "Schedule"
	StateCreating  = "Creating"
	StateCreated   = "Created"
	StateDestroyed = "Destroyed"
)

// MaxOnlinePage is the largest page OnlineMeetings may ask for.
const MaxOnlinePage = 500

// AppAuthClientType is the clientType of an App ID authentication by an
// API client.
const AppAuthClientType = 72

// Operation names of the enterprise calls, in APIError.Op.
const (
	opAppAuth        = "app ID authentication"
	opOnlineMeetings = "list online meetings"
	opConfDetail     = "meeting details"
)

// AppAuthSignature returns the signature of an App ID authentication:
// HexEncode(HMAC-SHA256(appKey, appID + ":" + userID + ":" + expireTime +
// ":" + nonce)).
func AppAuthSignature(appKey Secret, appID, userID string, expireTime int64, nonce string) string {
	m := hmac.New(sha256.New, []byte(appKey.Reveal()))
	m.Write([]byte(appID + ":" + userID + ":" + strconv.FormatInt(expireTime, 10) + ":" + nonce))
	return hex.EncodeToString(m.Sum(nil))
}

// AppAuthorization returns the Authorization header of an App ID
// authentication: "HMAC-SHA256 signature=SIG,access=BASE64(appID)".
func AppAuthorization(signature, appID string) string {
	return "HMAC-SHA256 signature=" + signature + ",access=" + base64.StdEncoding.EncodeToString([]byte(appID))
}

// ParseAppAuthorization reads the signature and App ID of an App ID
// authentication's Authorization header; ok is false when it is not one.
func ParseAppAuthorization(h string) (signature, appID string, ok bool) {
	rest, found := strings.CutPrefix(strings.TrimSpace(h), "HMAC-SHA256 ")
	if !found {
		return "", "", false
	}
	for part := range strings.SplitSeq(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "signature":
			signature = v
		case "access":
			// access is base64 and may end in '=': take the rest of the part.
			_, v, _ = strings.Cut(strings.TrimSpace(part), "access=")
			b, err := base64.StdEncoding.DecodeString(v)
			if err != nil {
				return "", "", false
			}
			appID = string(b)
		}
	}
	return signature, appID, signature != "" && appID != ""
}

// AppAuthRequest is the body of an App ID authentication.
type AppAuthRequest struct {
	AppID      string `json:"appId"`
	ClientType int    `json:"clientType"`
	// ExpireTime is when the token should expire, Unix seconds; 0 never.
	ExpireTime int64  `json:"expireTime"`
	Nonce      string `json:"nonce"`
	// UserID is the user the token acts for; empty: the enterprise's
	// default administrator.
	UserID string `json:"userId"`
}

// AccessToken is the result of App ID authentication. Token is a Secret.
type AccessToken struct {
	// Token goes into X-Access-Token of every management call.
	Token Secret
	// ExpireAt is when Token expires: "expireTime" (Unix seconds) if given,
	// else the answer's time plus "validPeriod" (seconds), else 12 hours.
	ExpireAt time.Time
}

// AppAuth authenticates App appID with its App Key (POST AppAuthPath) and
// returns an access token for the management APIs. userID is the user the
// token acts for (empty: the enterprise's default administrator). The key
// itself is never sent: only a signature of a fresh nonce.
//
// Errors are as for ConfToken: an *APIError for an HTTP error (401 or 403
// for a refused key: APIError.Temporary tells which failures to retry),
// ErrInvalidResponse for a body without a token, or a transport error.
func (c *Client) AppAuth(ctx context.Context, appID string, appKey Secret, userID string) (AccessToken, error) {
	var red Redactor
	red.Add(appKey.Reveal())
	nb := make([]byte, 24)
	_, _ = rand.Read(nb) // never fails: crypto/rand crashes the program instead
	req := AppAuthRequest{AppID: appID, ClientType: AppAuthClientType, Nonce: hex.EncodeToString(nb), UserID: userID}
	body, err := json.Marshal(req)
	if err != nil {
		return AccessToken{}, fmt.Errorf("%s: %w", opAppAuth, err)
	}
	hdr := http.Header{}
	hdr.Set("Authorization", AppAuthorization(AppAuthSignature(appKey, appID, userID, req.ExpireTime, req.Nonce), appID))
	hdr.Set("X-Token-Type", "LongTicket")
	now := time.Now()
	out, err := c.do(ctx, http.MethodPost, opAppAuth, AppAuthPath, nil, hdr, body, &red)
	if err != nil {
		return AccessToken{}, err
	}
	var raw struct {
		AccessToken json.RawMessage `json:"accessToken"`
		ValidPeriod json.RawMessage `json:"validPeriod"`
		ExpireTime  json.RawMessage `json:"expireTime"`
	}
	if err := decodeObject(out, &raw); err != nil {
		return AccessToken{}, fmt.Errorf("%s: %w", opAppAuth, err)
	}
	tok, _ := lenientString(raw.AccessToken)
	if tok == "" {
		return AccessToken{}, fmt.Errorf("%s: %w: no accessToken", opAppAuth, ErrInvalidResponse)
	}
	t := AccessToken{Token: Secret(tok), ExpireAt: now.Add(12 * time.Hour)}
	if secs, ok := lenientInt64(raw.ExpireTime); ok && secs > now.Unix() && secs < 1<<40 {
		t.ExpireAt = time.Unix(secs, 0)
	} else if secs, ok := lenientInt64(raw.ValidPeriod); ok && secs > 0 && secs < 1<<40 {
		t.ExpireAt = now.Add(time.Duration(secs) * time.Second)
	}
	return t, nil
}

// PasswordEntry is one entry of ConferenceInfo.PasswordEntry.
type PasswordEntry struct {
	// Role is "chair" (host) or "general" (guest).
	Role string `json:"conferenceRole"`
	// Password is that role's password.
	Password Secret `json:"-"`
}

// ConferenceInfo is what the management APIs say of one meeting: the
// fields a recorder uses. Absent or unusable members are zero.
type ConferenceInfo struct {
	ConferenceID    string
	ConfUUID        string
	VMRConferenceID string
	Subject         string
	StartTime       string
	EndTime         string
	// State is one of the State* constants.
	State string
	// UserUUID is the organizer's user UUID; Organizer their name
	// ("scheduserName").
	UserUUID  string
	Organizer string
	// PasswordEntry holds the meeting's passwords, where the caller may
	// see them.
	PasswordEntry []PasswordEntry
}

// ChairPassword returns the host ("chair") password of PasswordEntry, or ""
// when the caller was not given it.
func (ci *ConferenceInfo) ChairPassword() Secret {
	for _, e := range ci.PasswordEntry {
		if e.Role == "chair" && e.Password != "" {
			return e.Password
		}
	}
	return ""
}

// rawConferenceInfo is a ConferenceInfo as sent, each member read
// leniently.
type rawConferenceInfo struct {
	ConferenceID    lenientText      `json:"conferenceID"`
	ConfUUID        lenientText      `json:"confUUID"`
	VMRConferenceID lenientText      `json:"vmrConferenceID"`
	Subject         lenientText      `json:"subject"`
	StartTime       lenientText      `json:"startTime"`
	EndTime         lenientText      `json:"endTime"`
	State           lenientText      `json:"conferenceState"`
	UserUUID        lenientText      `json:"userUUID"`
	Organizer       lenientText      `json:"scheduserName"`
	PasswordEntry   lenientPasswords `json:"passwordEntry"`
}

// info returns r as a ConferenceInfo.
func (r *rawConferenceInfo) info() ConferenceInfo {
	return ConferenceInfo{
		ConferenceID: string(r.ConferenceID), ConfUUID: string(r.ConfUUID), VMRConferenceID: string(r.VMRConferenceID),
		Subject: string(r.Subject), StartTime: string(r.StartTime), EndTime: string(r.EndTime),
		State: string(r.State), UserUUID: string(r.UserUUID), Organizer: string(r.Organizer),
		PasswordEntry: r.PasswordEntry,
	}
}

// lenientText is a member read with LenientString: a string, or a number's
// text; anything else is "".
type lenientText string

func (t *lenientText) UnmarshalJSON(b []byte) error {
	s, _ := LenientString(b)
	*t = lenientText(s)
	return nil
}

// lenientPasswords is a passwordEntry: a list of {conferenceRole,
// password} objects; anything else is none, and an element that is no
// object is left out.
type lenientPasswords []PasswordEntry

func (ps *lenientPasswords) UnmarshalJSON(b []byte) error {
	type entry struct {
		Role     lenientText `json:"conferenceRole"`
		Password lenientText `json:"password"`
	}
	*ps = nil
	var entries []entry
	if json.Unmarshal(b, &entries) != nil {
		// Not a list, or an element that is no object: element by element.
		var raws []json.RawMessage
		if json.Unmarshal(b, &raws) != nil {
			return nil
		}
		entries = entries[:0]
		for _, r := range raws {
			var e entry
			if json.Unmarshal(r, &e) == nil {
				entries = append(entries, e)
			}
		}
	}
	for _, e := range entries {
		*ps = append(*ps, PasswordEntry{Role: string(e.Role), Password: Secret(e.Password)})
	}
	return nil
}

// decodeConferenceInfo reads one ConferenceInfo object (or a JSON string
// holding one) tolerantly; ok is false when raw is neither.
func decodeConferenceInfo(raw json.RawMessage) (ConferenceInfo, bool) {
	b, ok := objectBytes(raw)
	if !ok {
		return ConferenceInfo{}, false
	}
	var r rawConferenceInfo
	if json.Unmarshal(b, &r) != nil {
		return ConferenceInfo{}, false
	}
	return r.info(), true
}

// OnlinePage is one page of OnlineMeetings.
type OnlinePage struct {
	// Offset and Limit echo the request; Count is the number of meetings
	// running in all (every page).
	Offset, Limit, Count int
	// Meetings are this page's meetings. An entry that is not an object,
	// or has no conferenceID, is left out and counted in Skipped.
	Meetings []ConferenceInfo
	// Skipped counts the entries left out.
	Skipped int
}

// add adds ci to the page's meetings, or counts it skipped when it has no
// conferenceID.
func (p *OnlinePage) add(ci ConferenceInfo) {
	if ci.ConferenceID == "" {
		p.Skipped++
		return
	}
	p.Meetings = append(p.Meetings, ci)
}

// OnlineMeetings asks for one page of the meetings running now (GET
// OnlineMeetingsPath with queryAll=true: every user's meetings, for an
// enterprise administrator's token). limit is at most MaxOnlinePage.
//
// Errors are as for AppAuth; a body that is not an object, or whose data is
// not a list, is ErrInvalidResponse.
func (c *Client) OnlineMeetings(ctx context.Context, accessToken Secret, offset, limit int) (OnlinePage, error) {
	var red Redactor
	red.Add(accessToken.Reveal())
	limit = min(max(limit, 1), MaxOnlinePage)
	q := url.Values{
		"offset":   {strconv.Itoa(max(offset, 0))},
		"limit":    {strconv.Itoa(limit)},
		"queryAll": {"true"},
	}
	hdr := http.Header{}
	hdr.Set("X-Access-Token", accessToken.Reveal())
	body, err := c.do(ctx, http.MethodGet, opOnlineMeetings, OnlineMeetingsPath, q, hdr, nil, &red)
	if err != nil {
		return OnlinePage{}, err
	}
	p, err := decodeOnlinePage(body, offset, limit)
	if err != nil {
		return OnlinePage{}, fmt.Errorf("%s: %w", opOnlineMeetings, err)
	}
	return p, nil
}

// decodeOnlinePage reads an online-list page; offset and limit are the
// request's, used when the page does not echo them.
func decodeOnlinePage(body []byte, offset, limit int) (OnlinePage, error) {
	// Every entry an object, as the service sends them: one pass.
	var fast struct {
		Offset json.RawMessage     `json:"offset"`
		Limit  json.RawMessage     `json:"limit"`
		Count  json.RawMessage     `json:"count"`
		Data   []rawConferenceInfo `json:"data"`
	}
	if b := bytes.TrimSpace(body); len(b) > 0 && b[0] == '{' && json.Unmarshal(b, &fast) == nil {
		p := newOnlinePage(fast.Offset, fast.Limit, fast.Count, offset, limit)
		for i := range fast.Data {
			p.add(fast.Data[i].info())
		}
		return p, nil
	}
	// Otherwise entry by entry, so that an entry of another shape (or an
	// object in a string) is read as well as it can be.
	var raw struct {
		Offset json.RawMessage `json:"offset"`
		Limit  json.RawMessage `json:"limit"`
		Count  json.RawMessage `json:"count"`
		Data   json.RawMessage `json:"data"`
	}
	if err := decodeObject(body, &raw); err != nil {
		return OnlinePage{}, err
	}
	p := newOnlinePage(raw.Offset, raw.Limit, raw.Count, offset, limit)
	var data []json.RawMessage
	if d := bytes.TrimSpace(raw.Data); len(d) > 0 && string(d) != "null" && json.Unmarshal(d, &data) != nil {
		return OnlinePage{}, fmt.Errorf("%w: data is not a list", ErrInvalidResponse)
	}
	for _, e := range data {
		ci, _ := decodeConferenceInfo(e)
		p.add(ci)
	}
	return p, nil
}

// newOnlinePage is a page with the offset, limit and count a page states;
// offset and limit are the request's, used when the page does not echo them.
func newOnlinePage(rawOffset, rawLimit, rawCount json.RawMessage, offset, limit int) OnlinePage {
	p := OnlinePage{Offset: offset, Limit: limit}
	if n, ok := lenientInt(rawOffset); ok {
		p.Offset = n
	}
	if n, ok := lenientInt(rawLimit); ok {
		p.Limit = n
	}
	p.Count, _ = lenientInt(rawCount)
	return p
}

// OnlineConfDetail asks for one running meeting's details (GET
// OnlineConfDetailPath): the "conferenceData" of the answer, with
// passwordEntry where the caller may see it. Errors are as for
// OnlineMeetings.
func (c *Client) OnlineConfDetail(ctx context.Context, accessToken Secret, confID string) (ConferenceInfo, error) {
	var red Redactor
	red.Add(accessToken.Reveal())
	hdr := http.Header{}
	hdr.Set("X-Access-Token", accessToken.Reveal())
	if confID == "" {
		return ConferenceInfo{}, fmt.Errorf("%s: %w", opConfDetail, ErrMissingConferenceID)
	}
	body, err := c.do(ctx, http.MethodGet, opConfDetail, OnlineConfDetailPath, url.Values{"conferenceID": {confID}}, hdr, nil, &red)
	if err != nil {
		return ConferenceInfo{}, err
	}
	var raw struct {
		ConferenceData json.RawMessage `json:"conferenceData"`
	}
	if err := decodeObject(body, &raw); err != nil {
		return ConferenceInfo{}, fmt.Errorf("%s: %w", opConfDetail, err)
	}
	ci, ok := decodeConferenceInfo(raw.ConferenceData)
	if !ok {
		return ConferenceInfo{}, fmt.Errorf("%s: %w: no conferenceData object", opConfDetail, ErrInvalidResponse)
	}
	return ci, nil
}

// EncodeConferenceInfo returns ci as the service writes it (the members
// decodeConferenceInfo reads), passwords in the clear: for stand-ins.
func EncodeConferenceInfo(ci ConferenceInfo) json.RawMessage {
	type entry struct {
		Role     string `json:"conferenceRole"`
		Password string `json:"password"`
	}
	v := struct {
		ConferenceID    string  `json:"conferenceID"`
		ConfUUID        string  `json:"confUUID,omitempty"`
		VMRConferenceID string  `json:"vmrConferenceID,omitempty"`
		VMRFlag         int     `json:"vmrFlag"`
		Subject         string  `json:"subject"`
		StartTime       string  `json:"startTime,omitempty"`
		EndTime         string  `json:"endTime,omitempty"`
		State           string  `json:"conferenceState"`
		UserUUID        string  `json:"userUUID,omitempty"`
		Organizer       string  `json:"scheduserName,omitempty"`
		PasswordEntry   []entry `json:"passwordEntry,omitempty"`
	}{
		ConferenceID: ci.ConferenceID, ConfUUID: ci.ConfUUID, VMRConferenceID: ci.VMRConferenceID,
		Subject: ci.Subject, StartTime: ci.StartTime, EndTime: ci.EndTime, State: ci.State,
		UserUUID: ci.UserUUID, Organizer: ci.Organizer,
	}
	if ci.VMRConferenceID != "" {
		v.VMRFlag = 1
	}
	for _, e := range ci.PasswordEntry {
		v.PasswordEntry = append(v.PasswordEntry, entry{e.Role, e.Password.Reveal()})
	}
	b, _ := json.Marshal(v) // strings and ints only: never fails
	return b
}
