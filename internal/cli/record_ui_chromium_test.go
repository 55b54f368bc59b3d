package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The live page of record --ui is checked in a real browser: Debian's
// chromium, headless, driven over the DevTools protocol. Like the report's
// tests these fail rather than skip without it.

// uiURL is where a recording's log says it serves its live page.
var uiURL = regexp.MustCompile(`msg="serving live page" url=(\S+)`)

// livePage is a page open in chromium, and what it did.
type livePage struct {
	c   *cdp
	sid string
}

// openLivePage opens a blank page in a fresh chromium that reports its
// console, its exceptions and its requests.
func openLivePage(t *testing.T) *livePage {
	t.Helper()
	c, sid := openChromium(t)
	for _, domain := range []string{"Runtime", "Log", "Network", "Page"} {
		c.call(sid, domain+".enable", map[string]any{})
	}
	return &livePage{c: c, sid: sid}
}

// open loads url and waits until it has loaded.
func (p *livePage) open(url string) {
	p.c.events = nil
	p.c.call(p.sid, "Page.navigate", map[string]any{"url": url})
	p.c.waitEvent("Page.loadEventFired")
}

// eval returns the value of a JavaScript expression (a promise is
// awaited), as JSON.
func (p *livePage) eval(expr string) string {
	p.c.t.Helper()
	var r struct {
		Result struct {
			Value json.RawMessage
		}
		ExceptionDetails *struct{ Text string }
	}
	json.Unmarshal(p.c.call(p.sid, "Runtime.evaluate", map[string]any{"expression": expr, "awaitPromise": true, "returnByValue": true}), &r)
	if r.ExceptionDetails != nil {
		p.c.t.Fatalf("%s: %s", expr, r.ExceptionDetails.Text)
	}
	return string(r.Result.Value)
}

// when returns the browser's clock when cond, a JavaScript expression,
// first holds: at once when it holds now, else at the change of the page
// that makes it hold (no polling).
func (p *livePage) when(cond string) time.Time {
	p.c.t.Helper()
	v := p.eval(`new Promise(done => {
  const check = () => { if (` + cond + `) { obs.disconnect(); done(Date.now()); } };
  const obs = new MutationObserver(check);
  obs.observe(document.body, {subtree: true, childList: true, characterData: true, attributes: true});
  check();
})`)
	var msec int64
	if err := json.Unmarshal([]byte(v), &msec); err != nil {
		p.c.t.Fatalf("when %s: %s", cond, v)
	}
	return time.UnixMilli(msec)
}

// problems returns what the page did wrong so far: exceptions, console
// errors, log errors (a failed load) and requests to any other origin
// than origin.
func (p *livePage) problems(origin string) []string {
	var out []string
	for _, ev := range p.c.events {
		var v struct {
			Type             string
			Entry            struct{ Level, Text, URL string }
			ExceptionDetails struct {
				Text      string
				Exception struct{ Description string }
			}
			Request struct{ URL string }
		}
		json.Unmarshal(ev.Params, &v)
		switch {
		case ev.Method == "Runtime.exceptionThrown":
			out = append(out, "exception: "+v.ExceptionDetails.Text+" "+v.ExceptionDetails.Exception.Description)
		case ev.Method == "Runtime.consoleAPICalled" && (v.Type == "error" || v.Type == "assert"):
			out = append(out, "console."+v.Type+": "+string(ev.Params))
		case ev.Method == "Log.entryAdded" && v.Entry.Level == "error":
			out = append(out, "log: "+v.Entry.Text+" "+v.Entry.URL)
		case ev.Method == "Network.requestWillBeSent" && !strings.HasPrefix(v.Request.URL, origin):
			out = append(out, "request elsewhere: "+v.Request.URL)
		}
	}
	return out
}

// liveTitle is the live scenario's meeting title: markup, to be shown as
// text.
const liveTitle = `<b>Live & "ui"</b> <img src=x onerror=console.error(1)>`

// liveScenario writes a meeting where Zoë joins 5 s after the connection
// opens and leaves 4 s later; then the meeting goes on for an hour.
func liveScenario(t *testing.T, confID string) string {
	t.Helper()
	title, _ := json.Marshal(liveTitle)
	notify := func(at time.Duration, action string, mode int, rest string) genFrame {
		return genFrame{offset: at, payload: fmt.Appendf(nil, `{"action":%q,"msgID":"%s-%d","msgMode":%d,"confID":%q%s}`,
			action, action, at.Milliseconds(), mode, confID, rest)}
	}
	return writeScenario(t, confID, []genFrame{
		notify(100*time.Millisecond, "ConfBasicInfoNotify", 0, `,"title":`+string(title)),
		notify(150*time.Millisecond, "ConfDynamicInfoNotify", 0, `,"state":"Created"`),
		notify(200*time.Millisecond, "ParticipantsNotify", 0, `,"data":[{"pid":"p-lina","mode":0,"pinfoMap":{"NAME":"Li Na","ROLE":"1","STATE":"0","MUTE":"0"}}]`),
		notify(5*time.Second, "ParticipantsNotify", 1, `,"data":[{"pid":"p-zoe","mode":0,"pinfoMap":{"NAME":"Zoë Müller","ROLE":"0","STATE":"0","MUTE":"1"}}]`),
		notify(5500*time.Millisecond, "SpeakerChangeNotify", 0, `,"data":[{"pid":"p-zoe","name":"Zoë Müller","speakingVolume":60}]`),
		notify(9*time.Second, "ParticipantsNotify", 1, `,"data":[{"pid":"p-zoe","mode":1}]`),
		notify(time.Hour, "ConfDynamicInfoNotify", 0, `,"state":"Destroyed"`), // the stand-in closes after its last step
	}, false)
}

// TestRecordUIInChromium records a meeting from the stand-in with --ui and
// watches it in headless chromium: the list shows it (its title as text,
// never markup), a participant who joins appears within 2 s of joining
// in the stand-in and goes when she leaves; the page logs no error and
// requests nothing from another origin; SIGINT stops the recording cleanly
// with the page still open.
func TestRecordUIInChromium(t *testing.T) {
	const confID = "555000777"
	srv := startServe(t, serveEnv(), "--scenario", liveScenario(t, confID), "--speed", "1")
	page := openLivePage(t)
	db := filepath.Join(t.TempDir(), "live.db")
	rec := startRecord(t, recordEnv(), "msg=connected", "--db", db, "record", "--conf-id", confID,
		"--api-url", srv.URL, "--heartbeat", "1h", "--ui", "127.0.0.1:0")
	logs := rec.logs.String()
	u := uiURL.FindStringSubmatch(logs)
	if u == nil {
		t.Fatalf("record does not log its live page and connection:\n%s", logs)
	}
	base := u[1]
	origin := strings.TrimSuffix(base, "/")

	page.open(base)
	page.when(`document.querySelector("#recording tbody a")?.textContent === ` + jsString(liveTitle))
	if got := page.eval(`document.querySelectorAll("#recording b, #recording img").length`); got != "0" {
		t.Errorf("the title became markup: %s elements", got)
	}

	page.open(base + "meeting/" + confID)
	present := `document.querySelector("#people tbody").textContent.includes("Zoë Müller")`
	joined := page.when(present)
	left := page.when("!" + present)
	page.when(`document.querySelectorAll("#lanes rect").length === 2 && !document.querySelector("#lanes rect.open ~ rect.open")`)
	page.when(`document.querySelector("#ranking tbody").textContent.includes("Zoë Müller")`)
	if got := page.eval(`document.getElementById("title").textContent`); got != jsString(liveTitle) {
		t.Errorf("title %s, want %s", got, jsString(liveTitle))
	}
	for _, p := range page.problems(origin) {
		t.Errorf("page: %s", p)
	}

	// Stopped with the page's stream open: the recording ends as always.
	if err := rec.stop(os.Interrupt); err != nil {
		t.Fatalf("record after SIGINT: %v\n%s", err, rec.logs)
	}
	// Within 2 s of the stand-in's join and leave: the frames' receive
	// times, on loopback.
	for _, c := range []struct {
		what  string
		sent  time.Time
		shown time.Time
	}{
		{"joined", receivedAt(t, db, confID, `"p-zoe","mode":0`), joined},
		{"left", receivedAt(t, db, confID, `"p-zoe","mode":1`), left},
	} {
		t.Logf("Zoë %s: on the page %v later", c.what, c.shown.Sub(c.sent))
		if c.shown.Sub(c.sent) > 2*time.Second {
			t.Errorf("Zoë %s: on the page %v later, want at most 2s", c.what, c.shown.Sub(c.sent))
		}
	}
	if strings.Contains(rec.logs.String(), "level=WARN") || strings.Contains(rec.logs.String(), "level=ERROR") {
		t.Errorf("record logged a problem:\n%s", rec.logs)
	}
	if _, err := http.Get(base); err == nil {
		t.Error("the live page is still served after record ended")
	}
}

// jsString is s as a JavaScript (JSON) string literal.
func jsString(s string) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(s)
	return strings.TrimSpace(b.String())
}

// receivedAt returns when the recording of db received the first frame of
// confID whose payload holds sub: on loopback, when the stand-in sent it.
func receivedAt(t *testing.T, db, confID, sub string) time.Time {
	t.Helper()
	r := mustRun(t, nil, "--db", db, "export", "frames", confID, "--dir", "in")
	for line := range strings.Lines(r.stdout) {
		var f struct {
			Time    time.Time
			Payload string
		}
		if err := json.Unmarshal([]byte(line), &f); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(f.Payload, sub) {
			return f.Time
		}
	}
	t.Fatalf("no frame holds %s:\n%s", sub, r.stdout)
	return time.Time{}
}
