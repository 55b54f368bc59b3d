package discover_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/confrec/confrec/confctl"
)

// TestOnlineListPageByPage: a long online list is dealt with page by page:
// when the last page is asked for, the meetings of the pages before it are
// no longer held (40 MB of subjects here), only their IDs.
func TestOnlineListPageByPage(t *testing.T) {
	if raceEnabled {
		t.Skip("measures the heap, and takes long with -race; TestUnrecordableDetailsOncePerRun runs the same code")
	}
	const pages, per = 20, 100
	subject := strings.Repeat("s", 20000)
	var heapAtLast atomic.Uint64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case confctl.AppAuthPath:
			json.NewEncoder(w).Encode(map[string]any{"accessToken": "access-token-0123456789", "validPeriod": 3600})
		case confctl.OnlineMeetingsPath:
			offset, _ := strconv.Atoi(r.URL.Query().Get("offset"))
			if offset == (pages-1)*per {
				runtime.GC()
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				heapAtLast.Store(ms.HeapAlloc)
			}
			data := make([]json.RawMessage, 0, per)
			for i := range per {
				ci := running(fmt.Sprint(offset+i+1), "uuid", "")
				ci.State, ci.Subject = confctl.StateDestroyed, subject
				data = append(data, confctl.EncodeConferenceInfo(ci))
			}
			json.NewEncoder(w).Encode(map[string]any{"offset": offset, "count": pages * per, "data": data})
		default:
			http.Error(w, "not here", http.StatusNotFound)
		}
	}))
	defer srv.Close()
	d, logs := newDiscoverer(t, &managementAPI{Server: srv}, time.Hour)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	for d.Ready() != nil {
		if ctx.Err() != nil {
			t.Fatalf("the poll never finished: %v\n%s", d.Ready(), logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if heap := heapAtLast.Load(); heap == 0 || heap > 20<<20 {
		t.Errorf("heap at the last page: %d MB, want under 20 MB (the pages before it hold %d MB of subjects)",
			heap>>20, (pages-1)*per*len(subject)>>20)
	}
}
