package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestImportHARHeaderCredentials: the credentials a HAR's request headers
// carry are redacted wherever the frames show them, also as they stand
// inside the header: the token of "Authorization: Bearer <token>" and the
// (long) values of a Cookie header, not only the whole header value.
func TestImportHARHeaderCredentials(t *testing.T) {
	t.Parallel()
	const (
		bearer = "BEARERTOKEN0123456789abcdef"
		sid    = "COOKIESID0123456789abcdef"
		pw     = "Pw-778899"
	)
	rest := map[string]any{"_resourceType": "xhr", "startedDateTime": "2025-03-18T01:59:59.000Z", "time": 10,
		"request": map[string]any{"method": "GET", "url": "https://api.example.invalid/v1/mmc/control/conferences/token?conferenceID=555000111",
			"httpVersion": "HTTP/1.1", "queryString": []any{}, "cookies": []any{}, "headersSize": -1, "bodySize": 0,
			"headers": []any{
				map[string]string{"name": "Authorization", "value": "Bearer " + bearer},
				map[string]string{"name": "Cookie", "value": "sid=" + sid + "; lang=en"},
				map[string]string{"name": "X-Password", "value": pw},
			}},
		"response": map[string]any{"status": 200, "statusText": "OK", "httpVersion": "HTTP/1.1", "headers": []any{}, "cookies": []any{},
			"content": map[string]any{"size": 0, "mimeType": "application/json"}, "redirectURL": "", "headersSize": -1, "bodySize": 0},
		"timings": map[string]int{"send": 0, "wait": 0, "receive": 0}}
	frame := `{"action":"ChatNotify","msgID":"m1","a":"` + bearer + `","b":"sid=` + sid + `","c":"` + pw + `","lang":"en"}`
	ws := map[string]any{"_resourceType": "websocket", "startedDateTime": "2025-03-18T02:00:00.000Z", "time": 1000,
		"request": map[string]any{"method": "GET", "url": "wss://m.invalid/cms/open/websocket/confctl/increment/conn?confID=555000111",
			"httpVersion": "HTTP/1.1", "headers": []any{}, "queryString": []any{}, "cookies": []any{}, "headersSize": -1, "bodySize": 0},
		"response": map[string]any{"status": 101, "statusText": "Switching Protocols", "httpVersion": "HTTP/1.1", "headers": []any{}, "cookies": []any{},
			"content": map[string]any{"size": 0, "mimeType": "x-unknown"}, "redirectURL": "", "headersSize": -1, "bodySize": 0},
		"timings":            map[string]int{"send": 0, "wait": 0, "receive": 0},
		"_webSocketMessages": []any{map[string]any{"type": "receive", "time": 1742263200.5, "opcode": 1, "data": frame}}}
	har, err := json.Marshal(map[string]any{"log": map[string]any{"version": "1.2", "creator": map[string]string{"name": "x", "version": "1"},
		"pages": []any{}, "entries": []any{rest, ws}}})
	if err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(t.TempDir(), "imported.db")
	mustRun(t, nil, "--db", db, "import", "har", writeFile(t, "creds.har", string(har)))
	recs := exported(t, db, "555000111")
	if len(recs) != 1 {
		t.Fatalf("%d frames imported, want 1", len(recs))
	}
	if p := string(payload(t, recs[0])); !strings.Contains(p, `"lang":"en"`) {
		t.Errorf("the frame lost what is no secret: %s", p)
	}
	raw, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	checkNotShown(t, map[string][]byte{"the database file": raw}, bearer, sid, pw)
}
