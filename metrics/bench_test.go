package metrics_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/confrec/confrec/metrics"
	"github.com/confrec/confrec/store"
)

// BenchmarkScrape measures one scrape of /metrics over loopback HTTP, the
// Go and process collectors included, as Prometheus would make it.
func BenchmarkScrape(b *testing.B) {
	m := metrics.New("bench")
	m.StoreCommit(store.CommitStats{Duration: time.Millisecond, FramesIn: 100, FramesOut: 3, Bytes: 40000, Last: time.Now()})
	srv := httptest.NewServer(m.Handler(nil, nil))
	defer srv.Close()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}
	url := srv.URL + "/metrics"
	b.ReportAllocs()
	for b.Loop() {
		resp, err := c.Get(url)
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || n == 0 {
			b.Fatalf("scrape: %d, %d bytes, %v", resp.StatusCode, n, err)
		}
	}
}

// BenchmarkStoreCommit measures the OnCommit hook, which runs on the
// store's writer between commits.
func BenchmarkStoreCommit(b *testing.B) {
	m := metrics.New("bench")
	s := store.CommitStats{Duration: time.Millisecond, FramesIn: 100, FramesOut: 3, Bytes: 40000, Last: time.Now()}
	b.ReportAllocs()
	for b.Loop() {
		s.Last = s.Last.Add(time.Millisecond)
		m.StoreCommit(s)
	}
}
