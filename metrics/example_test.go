package metrics_test

import (
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/confrec/confrec/metrics"
	"github.com/confrec/confrec/store"
)

// The recording feeds the metrics (here by hand: record gives StoreCommit
// to store.Options.OnCommit and the Metrics to recorder.Options.Observer),
// and Handler serves them with the health checks.
func Example() {
	m := metrics.New("v1.0.0")
	m.StoreCommit(store.CommitStats{Duration: time.Millisecond, FramesIn: 69, FramesOut: 2, Bytes: 24539})
	m.SessionStarted("986512347")
	m.SetRecording(1)

	var storeErr error // what db.CheckWritable returns
	h := m.Handler(nil, []metrics.Check{{Name: "store", Check: func() error { return storeErr }}})

	show := func(path string) {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
		fmt.Printf("GET %s: %d\n", path, w.Code)
		for line := range strings.Lines(w.Body.String()) {
			if !strings.HasPrefix(line, "#") && (strings.HasPrefix(line, "confrec_frames") || !strings.HasPrefix(path, "/metrics")) {
				fmt.Print(line)
			}
		}
	}
	show("/metrics")
	show("/readyz")
	storeErr = errors.New("commit to confrec.db: no space left on device")
	show("/readyz?verbose")
	show("/livez")
	// Output:
	// GET /metrics: 200
	// confrec_frames_stored_total{direction="in"} 69
	// confrec_frames_stored_total{direction="out"} 2
	// GET /readyz: 200
	// ok
	// GET /readyz?verbose: 503
	// [+]ping ok
	// [-]store failed: commit to confrec.db: no space left on device
	// readyz check failed
	// GET /livez: 200
	// ok
}
