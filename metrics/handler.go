package metrics

import (
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Check is one named health check of /livez or /readyz: Check returns nil
// when healthy, else why not. It runs at every request to its endpoint, so
// it must be cheap and safe for concurrent use.
type Check struct {
	Name  string
	Check func() error
}

// ping is the check that always passes: an endpoint that answers works.
var ping = Check{Name: "ping", Check: func() error { return nil }}

// Handler returns the HTTP handler of m's endpoints:
//
//   - /metrics: every metric in the Prometheus exposition format (text, or
//     what the scraper negotiates);
//   - /livez: the process works: ping and the live checks;
//   - /readyz: the process does its job: ping and the ready checks.
//
// /livez and /readyz answer 200 when every check passes and 503 when one
// fails, in the style of Kubernetes' health endpoints: "ok" when all pass,
// else one line per check ("[+]store ok", "[-]discovery failed: reason
// withheld") and "readyz check failed". With ?verbose every check is
// listed, failures with their reason. Other paths are 404; methods other
// than GET and HEAD are 405.
func (m *Metrics) Handler(live, ready []Check) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
	mux.Handle("GET /livez", checksHandler("livez", live))
	mux.Handle("GET /readyz", checksHandler("readyz", ready))
	return mux
}

// checksHandler serves the checks of the endpoint name, after ping. It
// copies checks: the caller's slice may change afterwards.
func checksHandler(name string, checks []Check) http.Handler {
	all := append([]Check{ping}, checks...)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, verbose := r.URL.Query()["verbose"]
		var b strings.Builder
		failed := false
		for _, c := range all {
			err := c.Check()
			switch {
			case err == nil:
				fmt.Fprintf(&b, "[+]%s ok\n", c.Name)
			case verbose:
				failed = true
				fmt.Fprintf(&b, "[-]%s failed: %s\n", c.Name, oneLine(err.Error()))
			default:
				failed = true
				fmt.Fprintf(&b, "[-]%s failed: reason withheld\n", c.Name)
			}
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Cache-Control", "no-store")
		switch {
		case failed:
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintf(&b, "%s check failed\n", name)
		case verbose:
			fmt.Fprintf(&b, "%s check passed\n", name)
		default:
			b.Reset()
			b.WriteString("ok\n")
		}
		io.WriteString(w, b.String())
	})
}

// oneLine keeps a reason on its line: every run of white space, line
// breaks included, becomes one space.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
