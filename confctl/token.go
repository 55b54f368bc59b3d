package confctl

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultTokenLifetime is the documented lifetime of a meeting-control
// token, used when a response does not state one.
const DefaultTokenLifetime = 30 * time.Minute

// maxResponseBytes bounds how much of a REST response body is read.
const maxResponseBytes = 8 << 20

// Client calls the two REST endpoints that hand out the tokens needed to
// open the push channel: CreateConfToken (Client.ConfToken) and
// CreateWebSocketToken (Client.WSToken).
//
// The zero value (and a nil *Client) uses DefaultAPIURL and
// http.DefaultClient. A Client holds no mutable state and is safe for
// concurrent use. Its errors never contain a secret or a request URL query.
type Client struct {
	// BaseURL is the REST host, e.g. "https://api.meeting.huaweicloud.com".
	// Empty means DefaultAPIURL. A trailing slash is ignored.
	BaseURL string
	// HTTPClient sends the requests. Nil means http.DefaultClient.
	HTTPClient *http.Client
}

// ConfToken is the result of CreateConfToken.
//
// Token and TmpWSToken are Secrets, so printing or logging a ConfToken does
// not reveal them.
type ConfToken struct {
	// Token is the meeting-control token ("data.token"): it goes into
	// Subscribe and authorizes WSToken and keep-alive calls.
	Token Secret
	// WSURL is the base URL of the WebSocket server; see ConnectURL.
	WSURL string
	// TmpWSToken is "data.tmpWsToken". How it relates to the token from
	// WSToken is undocumented; prefer WSToken.
	TmpWSToken Secret
	// Role is 1 for host, 0 for an ordinary participant.
	Role int
	// ExpireAt is when Token expires: "data.expireTime" (epoch ms) if
	// present, else the time of the response plus Lifetime.
	ExpireAt time.Time
	// Lifetime is "data.confTokenExpireTime" (seconds), or
	// DefaultTokenLifetime if absent.
	Lifetime time.Duration
	// SupportNotifyType lists the notification kinds the server supports.
	SupportNotifyType []string
}

// ConfToken calls CreateConfToken (GET ConfTokenPath?conferenceID=confID)
// for a running meeting. confID is the conferenceID from meeting creation,
// not the vmrConferenceID.
//
// password is the host password, sent as X-Password when non-empty. current,
// when non-empty, is the current token, sent as X-Conference-Authorization
// to keep the session alive; the server then does not check the password.
//
// Errors: ErrMissingConferenceID; an *APIError for an HTTP error, which
// matches ErrMeetingNotRunning when the meeting has not started or has
// ended; ErrInvalidResponse for a body without a token; otherwise a
// transport error (wrapping context errors and *url.Error with its query
// removed).
func (c *Client) ConfToken(ctx context.Context, confID string, password Secret, current Secret) (ConfToken, error) {
	var red Redactor
	red.Add(password.Reveal())
	red.Add(current.Reveal())
	hdr := http.Header{}
	if password != "" {
		hdr.Set("X-Password", password.Reveal())
	}
	hdr.Set("X-Login-Type", "1")
	if current != "" {
		hdr.Set("X-Conference-Authorization", current.Reveal())
	}
	now := time.Now()
	body, err := c.get(ctx, opConfToken, ConfTokenPath, confID, hdr, &red)
	if err != nil {
		return ConfToken{}, err
	}
	var outer struct {
		Data json.RawMessage `json:"data"`
	}
	if err := decodeObject(body, &outer); err != nil {
		return ConfToken{}, fmt.Errorf("%s: %w", opConfToken, err)
	}
	data, ok := objectBytes(outer.Data)
	if !ok {
		return ConfToken{}, fmt.Errorf("%s: %w: no data object", opConfToken, ErrInvalidResponse)
	}
	var raw struct {
		Token               json.RawMessage `json:"token"`
		TmpWSToken          json.RawMessage `json:"tmpWsToken"`
		WSURL               json.RawMessage `json:"wsURL"`
		Role                json.RawMessage `json:"role"`
		ExpireTime          json.RawMessage `json:"expireTime"`
		ConfTokenExpireTime json.RawMessage `json:"confTokenExpireTime"`
		SupportNotifyType   json.RawMessage `json:"supportNotifyType"`
	}
	if err := decodeObject(data, &raw); err != nil {
		return ConfToken{}, fmt.Errorf("%s: %w", opConfToken, err)
	}
	var t ConfToken
	tok, _ := lenientString(raw.Token)
	if tok == "" {
		return ConfToken{}, fmt.Errorf("%s: %w: no token", opConfToken, ErrInvalidResponse)
	}
	t.Token = Secret(tok)
	tmp, _ := lenientString(raw.TmpWSToken)
	t.TmpWSToken = Secret(tmp)
	t.WSURL, _ = lenientString(raw.WSURL)
	t.Role, _ = lenientInt(raw.Role)
	t.Lifetime = DefaultTokenLifetime
	if secs, ok := lenientInt64(raw.ConfTokenExpireTime); ok && secs > 0 && secs < int64(1<<62/time.Second) {
		t.Lifetime = time.Duration(secs) * time.Second
	}
	if ms, ok := lenientInt64(raw.ExpireTime); ok && ms > 0 {
		t.ExpireAt = time.UnixMilli(ms)
	} else {
		t.ExpireAt = now.Add(t.Lifetime)
	}
	t.SupportNotifyType = lenientStrings(raw.SupportNotifyType)
	return t, nil
}

// WSToken calls CreateWebSocketToken (GET WSTokenPath?conferenceID=confID)
// with token (from ConfToken, bare or as "Basic <base64>") as
// X-Conference-Authorization. The result is valid for one minute and for
// one connection only: fetch a new one for every connect.
//
// Both documented body shapes are accepted: {"webSocketToken":"..."} and
// {"returnCode":0,"data":{"webSocketToken":"..."}}. Errors are as for
// ConfToken.
func (c *Client) WSToken(ctx context.Context, confID string, token Secret) (Secret, error) {
	var red Redactor
	red.Add(token.Reveal())
	red.Add(ParseConfToken(token.Reveal()))
	hdr := http.Header{}
	if token != "" {
		hdr.Set("X-Conference-Authorization", token.Reveal())
	}
	body, err := c.get(ctx, opWSToken, WSTokenPath, confID, hdr, &red)
	if err != nil {
		return "", err
	}
	var raw struct {
		WebSocketToken json.RawMessage `json:"webSocketToken"`
		Data           json.RawMessage `json:"data"`
	}
	if err := decodeObject(body, &raw); err != nil {
		return "", fmt.Errorf("%s: %w", opWSToken, err)
	}
	ws, _ := lenientString(raw.WebSocketToken)
	if ws == "" {
		if data, ok := objectBytes(raw.Data); ok {
			var inner struct {
				WebSocketToken json.RawMessage `json:"webSocketToken"`
			}
			if decodeObject(data, &inner) == nil {
				ws, _ = lenientString(inner.WebSocketToken)
			}
		}
	}
	if ws == "" {
		return "", fmt.Errorf("%s: %w: no webSocketToken", opWSToken, ErrInvalidResponse)
	}
	return Secret(ws), nil
}

// ConnectURL returns the URL that opens the push channel:
// wsURL (without trailing slashes) + ConnectPath + "?confID=..&tmpToken=..".
// The result contains tmpToken: log it only through Redactor.RedactURL.
func ConnectURL(wsURL, confID string, tmpToken Secret) string {
	return strings.TrimRight(wsURL, "/") + ConnectPath +
		"?confID=" + url.QueryEscape(confID) +
		"&tmpToken=" + url.QueryEscape(tmpToken.Reveal())
}

// get sends GET base+path?conferenceID=confID with hdr and returns the body
// of a 2xx response whose returnCode, if any, is 0. red holds the call's
// secrets; every error text goes through it.
func (c *Client) get(ctx context.Context, op, path, confID string, hdr http.Header, red *Redactor) ([]byte, error) {
	if confID == "" {
		return nil, fmt.Errorf("%s: %w", op, ErrMissingConferenceID)
	}
	return c.do(ctx, http.MethodGet, op, path, url.Values{"conferenceID": {confID}}, hdr, nil, red)
}

// do sends method base+path?query with hdr and body (nil: none) and returns
// the body of a 2xx response whose returnCode, if any, is 0. It follows no
// redirect. red holds the call's secrets; every error text goes through it.
func (c *Client) do(ctx context.Context, method, op, path string, query url.Values, hdr http.Header, body []byte, red *Redactor) ([]byte, error) {
	base, hc := DefaultAPIURL, http.DefaultClient
	if c != nil && c.BaseURL != "" {
		base = c.BaseURL
	}
	if c != nil && c.HTTPClient != nil {
		hc = c.HTTPClient
	}
	u := strings.TrimRight(base, "/") + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, red.Err(stripURLError(err)))
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := noRedirects(hc).Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, red.Err(stripURLError(err)))
	}
	defer resp.Body.Close()
	if loc := resp.Header.Get("Location"); loc != "" && resp.StatusCode >= 300 && resp.StatusCode <= 399 {
		return nil, &RedirectError{Op: op, Status: resp.StatusCode, Target: red.RedactString(redirectTarget(req.URL, loc))}
	}
	out, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return nil, fmt.Errorf("%s: read response: %w", op, red.Err(stripURLError(err)))
	}
	code, msg, failed := bodyError(out)
	if resp.StatusCode < 200 || resp.StatusCode > 299 || failed {
		return nil, &APIError{
			Op:      op,
			Status:  resp.StatusCode,
			Code:    red.RedactURL(code),
			Message: red.RedactURL(msg),
		}
	}
	return out, nil
}

// ErrRedirectRefused is matched by a *RedirectError: a token call answered
// with a redirect, which the Client never follows.
var ErrRedirectRefused = errors.New("redirects are not followed, they would carry the password or token to another address: give the URL that answers itself")

// RedirectError is returned when a token call is answered with a redirect
// (HTTP 3xx with a Location). The Client follows none, whatever the
// http.Client's CheckRedirect says: the request's X-Password and
// X-Conference-Authorization headers would go with it to whatever address
// the answer names, in the clear if it is http://. Its Error text names the
// status and the target's scheme://host only, never its path or query.
type RedirectError struct {
	// Op is the failed operation, as in APIError.Op.
	Op string
	// Status is the HTTP status code of the redirect.
	Status int
	// Target is the scheme://host of the redirect's Location, or
	// "an unparsable Location".
	Target string
}

// Error implements error.
func (e *RedirectError) Error() string {
	return fmt.Sprintf("%s: HTTP %d redirect to %s refused: %v", e.Op, e.Status, e.Target, ErrRedirectRefused)
}

// Unwrap returns ErrRedirectRefused.
func (e *RedirectError) Unwrap() error { return ErrRedirectRefused }

// noRedirects returns a copy of hc that hands every redirect back to the
// caller instead of following it.
func noRedirects(hc *http.Client) *http.Client {
	c := *hc
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

// redirectTarget returns the scheme://host of Location loc, resolved
// against the request's URL base.
func redirectTarget(base *url.URL, loc string) string {
	u, err := base.Parse(loc)
	if err != nil || u.Host == "" {
		return "an unparsable Location"
	}
	return u.Scheme + "://" + u.Host
}

// bodyError extracts an error code and message from a response body:
// {"error_code","error_msg"} or {"returnCode","returnDesc"}. failed reports
// a non-zero returnCode, which means failure even with HTTP 200.
func bodyError(body []byte) (code, msg string, failed bool) {
	var raw struct {
		ErrorCode  json.RawMessage `json:"error_code"`
		ErrorMsg   json.RawMessage `json:"error_msg"`
		ReturnCode json.RawMessage `json:"returnCode"`
		ReturnDesc json.RawMessage `json:"returnDesc"`
	}
	if decodeObject(body, &raw) != nil {
		return "", "", false
	}
	code, _ = lenientString(raw.ErrorCode)
	msg, _ = lenientString(raw.ErrorMsg)
	if rc, ok := lenientString(raw.ReturnCode); ok && rc != "0" {
		failed = true
		if code == "" {
			code = rc
		}
		if msg == "" {
			msg, _ = lenientString(raw.ReturnDesc)
		}
	}
	return code, msg, failed
}

// stripURLError returns err with the query removed if it is a *url.Error,
// so that the error text names the endpoint only. The copy is still a
// *url.Error wrapping the same cause.
func stripURLError(err error) error {
	ue, ok := err.(*url.Error)
	if !ok {
		return err
	}
	u := ue.URL
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i]
	}
	return &url.Error{Op: ue.Op, URL: u, Err: ue.Err}
}

// decodeObject decodes a JSON object into v, a struct of json.RawMessage
// fields. It returns an error wrapping ErrInvalidResponse if b is anything
// else; the error never quotes b.
func decodeObject(b []byte, v any) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' || json.Unmarshal(b, v) != nil {
		return fmt.Errorf("%w: body is not a JSON object", ErrInvalidResponse)
	}
	return nil
}
