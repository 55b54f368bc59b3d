package cli

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/confrec/confrec/confctl"
	"github.com/confrec/confrec/replay/standin"
)

// Modes of a managementFront.
const (
	frontPass      int32 = iota // every request passes
	frontAbort                  // management calls lose their connection
	frontMalformed              // the online list answers what is not one
)

// managementFront is a reverse proxy in front of a stand-in enterprise
// whose management calls (App ID auth, online list, meeting details) fail
// as its mode says; the token flow and the push channel always pass.
type managementFront struct {
	*httptest.Server
	mode atomic.Int32
}

func startManagementFront(t *testing.T, target string) *managementFront {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	f := &managementFront{}
	proxy := httputil.NewSingleHostReverseProxy(u)
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		management := strings.HasPrefix(r.URL.Path, "/v1/mmc/management/") || r.URL.Path == confctl.AppAuthPath
		switch mode := f.mode.Load(); {
		case management && mode == frontAbort:
			panic(http.ErrAbortHandler) // the connection is cut: the client sees a transport error
		case r.URL.Path == confctl.OnlineMeetingsPath && mode == frontMalformed:
			io.WriteString(w, `{"offset":0,"count":3,"data":{"conferenceID":"1"}}`)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(f.Close)
	return f
}

// TestDiscoverAPIFaults: the management API unreachable at start, an
// online list that is not one, and the API unreachable later are each
// logged, turn /readyz 503 and are retried at each poll; the meetings
// being recorded go on whole, and a meeting that started meanwhile is
// recorded once the API answers again, from its first frame.
func TestDiscoverAPIFaults(t *testing.T) {
	t.Parallel()
	a := scheduled(t, "760000001", 2*time.Second, 2)
	b := scheduled(t, "760000002", 6*time.Second, 1)
	a.PasswordListed, b.PasswordListed = true, true
	e := startEnterprise(t, []standin.Scheduled{a, b}, nil)
	front := startManagementFront(t, e.srv.URL)
	front.mode.Store(frontAbort)
	db := t.TempDir() + "/faults.db"
	r := startRecord(t, nil, `msg="serving metrics"`, discoverArgs(db, front.URL, appKeyFile(t),
		"--poll", "300ms", "--metrics-listen", "127.0.0.1:0")...)
	base := "http://" + metricsAddr.FindStringSubmatch(r.logs.String())[1]
	readyz := func() int { code, _ := httpGet(t, base+"/readyz", "", ""); return code }

	waitLog(t, r, regexp.MustCompile(`app ID authentication failed: retrying at each poll`), 1, time.Now().Add(5*time.Second))
	if code := readyz(); code != http.StatusServiceUnavailable {
		t.Errorf("readyz with the API unreachable at start: %d, want 503", code)
	}
	front.mode.Store(frontPass)
	waitLog(t, r, regexp.MustCompile(`meeting discovered.*meeting=`+a.Script.ConfID), 1, e.started.Add(a.Start+2*time.Second))
	waitFor(t, "readyz 200 once the API answers", 3*time.Second, func() bool { return readyz() == http.StatusOK })

	steps := []struct {
		mode int32
		log  string
	}{
		{frontMalformed, `discovery poll failed.*data is not a list`},
		{frontAbort, `discovery poll failed`},
	}
	for _, st := range steps {
		before := len(regexp.MustCompile(st.log).FindAllString(r.logs.String(), -1))
		front.mode.Store(st.mode)
		waitLog(t, r, regexp.MustCompile(st.log), before+1, time.Now().Add(3*time.Second))
		waitFor(t, "readyz 503", 3*time.Second, func() bool { return readyz() == http.StatusServiceUnavailable })
	}
	// Meeting b started while the API failed; once it answers, b is found.
	time.Sleep(time.Until(e.started.Add(b.Start + 500*time.Millisecond)))
	front.mode.Store(frontPass)
	waitLog(t, r, regexp.MustCompile(`msg="recording ended" meeting=\d+ how=meeting-ended`), 2, e.lastEnd().Add(20*time.Second))
	if code := readyz(); code != http.StatusOK {
		t.Errorf("readyz after the faults: %d, want 200", code)
	}
	if err := r.stop(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	for _, m := range []*standin.Scheduled{&a, &b} {
		samePayloads(t, notifications(t, exported(t, db, m.Script.ConfID)), sent(m))
	}
}

// TestRecordWait: record --conf-id ID --wait waits for a meeting that has
// not started and records it whole; without --wait it exits 1 at once.
func TestRecordWait(t *testing.T) {
	t.Parallel()
	m := scheduled(t, "770000001", 3*time.Second, 1)
	e := startEnterprise(t, []standin.Scheduled{m}, nil)
	env := []string{"CONFREC_HOST_PASSWORD=" + m.Password.Reveal()}
	db := t.TempDir() + "/wait.db"
	args := []string{"--db", db, "record", "--conf-id", m.Script.ConfID, "--api-url", e.srv.URL}

	res := run(t, env, args...)
	if res.code != 1 || !strings.Contains(res.stderr, "is not running") {
		t.Errorf("without --wait: exit %d, stderr %q; want exit 1 saying it is not running", res.code, res.stderr)
	}
	res = run(t, env, append(args, "--wait")...)
	if res.code != 0 || !strings.Contains(res.stderr, "waiting for the meeting to start") {
		t.Fatalf("with --wait: exit %d\n%s", res.code, res.stderr)
	}
	samePayloads(t, notifications(t, exported(t, db, m.Script.ConfID)), sent(&m))
	if res := run(t, env, "--db", db, "record", "--ws-url", "ws://127.0.0.1:1/c?confID=1&tmpToken=x", "--wait"); res.code != 2 {
		t.Errorf("--wait with --ws-url: exit %d, want 2\n%s", res.code, res.stderr)
	}
}
