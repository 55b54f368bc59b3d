package metrics

import (
	"runtime"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/confrec/confrec/store"
)

// namespace starts every metric's name.
const namespace = "confrec"

// The api label values of confrec_token_failures_total. TokenFailure counts
// any other name as APIOther, so that the label's values stay few.
const (
	APIConfToken  = "conf_token"  // CreateConfToken and its keep-alive
	APIWSToken    = "ws_token"    // CreateWebSocketToken
	APIAppAuth    = "app_auth"    // the enterprise App ID authentication
	APIOnlineList = "online_list" // the list of online meetings
	APIConfDetail = "conf_detail" // a meeting's details
	APIOther      = "other"
)

// apis are the api label values created at zero by New.
var apis = []string{APIConfToken, APIWSToken, APIAppAuth, APIOnlineList, APIConfDetail, APIOther}

// Metrics holds a recorder process's metrics on a registry of its own, with
// the Go runtime's and the process's. The zero value is not usable: call
// New. All methods are safe for concurrent use and cheap enough to call for
// every commit or event; none logs or blocks.
type Metrics struct {
	reg *prometheus.Registry

	framesIn, framesOut prometheus.Counter
	frameBytes          prometheus.Counter
	recording           prometheus.Gauge
	unrecordable        prometheus.Gauge
	sessions            prometheus.Counter
	reconnects          prometheus.Counter
	tokenFailures       *prometheus.CounterVec
	polls, pollErrors   prometheus.Counter
	commitSeconds       prometheus.Histogram
	lastFrame           prometheus.Gauge

	lastFrameNanos atomic.Int64               // the newest frame time set in lastFrame
	queue          atomic.Pointer[func() int] // read by the queue gauge at scrape time

}

// New returns Metrics with every metric registered on a new registry, at
// zero (counters of every label value included), and
// confrec_build_info{version,goversion} at 1. version is confrec's
// version as the caller knows it.
func New(version string) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	framesStored := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "frames_stored_total",
		Help: "Frames committed to the store, by direction (in: received from the service, out: sent by confrec).",
	}, []string{"direction"})
	m.framesIn = framesStored.WithLabelValues("in")
	m.framesOut = framesStored.WithLabelValues("out")
	m.frameBytes = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: namespace, Name: "frame_bytes_total",
		Help: "Payload bytes of the frames committed to the store.",
	})
	m.recording = prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: namespace, Name: "meetings_recording",
		Help: "Meetings being recorded.",
	})
	m.unrecordable = prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: namespace, Name: "meetings_unrecordable",
		Help: "Meetings found running that cannot be recorded.",
	})
	m.sessions = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: namespace, Name: "sessions_total",
		Help: "Connections established to the meeting-control WebSocket (store sessions begun).",
	})
	m.reconnects = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: namespace, Name: "reconnects_total",
		Help: "Connection attempts after a session ended or a connect failed.",
	})
	m.tokenFailures = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "token_failures_total",
		Help: "Failed calls to the meeting service's token and management APIs, by API.",
	}, []string{"api"})
	for _, api := range apis {
		m.tokenFailures.WithLabelValues(api)
	}
	m.polls = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: namespace, Name: "discovery_polls_total",
		Help: "Polls for running meetings to record.",
	})
	m.pollErrors = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: namespace, Name: "discovery_errors_total",
		Help: "Polls for running meetings that failed.",
	})
	m.commitSeconds = prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: namespace, Name: "store_commit_seconds",
		Help: "Time of the store's commits (one bbolt transaction each, with its fsync).",
		// From half a millisecond to about eight seconds.
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 15),
	})
	queue := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: namespace, Name: "store_queue_frames",
		Help: "Frames queued for the store and not yet committed.",
	}, m.queued)
	m.lastFrame = prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: namespace, Name: "last_frame_timestamp_seconds",
		Help: "Receive time of the newest frame committed to the store, in seconds since the Unix epoch (0 before the first).",
	})
	build := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: namespace, Name: "build_info",
		Help: "Always 1, labelled with confrec's version and the Go version that built it.",
	}, []string{"version", "goversion"})
	build.WithLabelValues(version, runtime.Version()).Set(1)

	m.reg.MustRegister(
		framesStored, m.frameBytes, m.recording, m.unrecordable, m.sessions, m.reconnects, m.tokenFailures,
		m.polls, m.pollErrors, m.commitSeconds, queue, m.lastFrame, build,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

// Registry returns the registry that holds m's metrics, for a caller that
// adds its own or gathers them without HTTP.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// StoreCommit counts one commit of the store's writer: its frames by
// direction, their bytes, its duration and its newest frame. Give it as
// store.Options.OnCommit.
func (m *Metrics) StoreCommit(s store.CommitStats) {
	m.framesIn.Add(float64(s.FramesIn))
	m.framesOut.Add(float64(s.FramesOut))
	m.frameBytes.Add(float64(s.Bytes))
	m.commitSeconds.Observe(s.Duration.Seconds())
	if s.Last.IsZero() {
		return
	}
	// Only the writer calls this, but keep the newest against any order.
	ns := s.Last.UnixNano()
	for {
		cur := m.lastFrameNanos.Load()
		if ns <= cur {
			return
		}
		if m.lastFrameNanos.CompareAndSwap(cur, ns) {
			m.lastFrame.Set(float64(ns) / 1e9)
			return
		}
	}
}

// SetQueue makes confrec_store_queue_frames read fn at every scrape, such
// as a store.DB's QueuedFrames. fn must be cheap and safe for concurrent
// use; nil reads 0.
func (m *Metrics) SetQueue(fn func() int) {
	if fn == nil {
		m.queue.Store(nil)
		return
	}
	m.queue.Store(&fn)
}

func (m *Metrics) queued() float64 {
	if fn := m.queue.Load(); fn != nil {
		return float64((*fn)())
	}
	return 0
}

// SetRecording sets how many meetings are being recorded.
func (m *Metrics) SetRecording(n int) { m.recording.Set(float64(n)) }

// AddRecording adds delta (1 when a meeting's recording starts, -1 when it
// ends) to the meetings being recorded. Use it or SetRecording, not both.
func (m *Metrics) AddRecording(delta int) { m.recording.Add(float64(delta)) }

// SetUnrecordable sets how many meetings found running cannot be recorded.
func (m *Metrics) SetUnrecordable(n int) { m.unrecordable.Set(float64(n)) }

// DiscoveryPoll counts a poll for running meetings, failed when err is not
// nil.
func (m *Metrics) DiscoveryPoll(err error) {
	m.polls.Inc()
	if err != nil {
		m.pollErrors.Inc()
	}
}

// TokenFailure counts a failed call to the meeting service's api, one of
// the API constants (another name counts as APIOther). With SessionStarted
// and Reconnect it makes *Metrics a recorder.Observer.
func (m *Metrics) TokenFailure(api string) {
	switch api {
	case APIConfToken, APIWSToken, APIAppAuth, APIOnlineList, APIConfDetail:
	default:
		api = APIOther
	}
	m.tokenFailures.WithLabelValues(api).Inc()
}

// SessionStarted counts a connection established. The meeting is not a
// label: confIDs are many and private.
func (m *Metrics) SessionStarted(confID string) { m.sessions.Inc() }

// Reconnect counts a connection attempt after a session ended or a
// connect failed.
func (m *Metrics) Reconnect(confID string) { m.reconnects.Inc() }
