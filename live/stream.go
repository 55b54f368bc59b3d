package live

import (
	"net/http"
	"time"
)

// keepAlive is how often a quiet stream gets a comment line, so that a
// page that went away is noticed and proxies keep the stream open.
const keepAlive = 15 * time.Second

// serveEvents streams the list, or with ?meeting=ID one meeting, as
// Server-Sent Events until the page goes away, the hub drops it (too
// slow) or the Handler closes.
func (h *Handler) serveEvents(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	h.streams.Add(1)
	h.mu.Unlock()
	defer h.streams.Done()

	c, err := h.hub.subscribe(r.URL.Query().Get("meeting"), h.opts.Buffer)
	if err != nil {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	defer h.hub.unsubscribe(c)

	rc := http.NewResponseController(w)
	// The stream outlives the server's read timeout, which would cancel
	// the request; each write has its own deadline instead.
	if err := rc.SetReadDeadline(time.Time{}); err != nil {
		http.Error(w, "streaming not supported", http.StatusInternalServerError)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/event-stream")
	hd.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	write := func(b []byte) bool {
		rc.SetWriteDeadline(time.Now().Add(h.opts.WriteTimeout))
		if _, err := w.Write(b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !write([]byte("retry: 2000\n\n")) {
		return
	}
	ping := time.NewTicker(keepAlive)
	defer ping.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-c.gone:
			return
		case m := <-c.out:
			if !write(m) {
				h.opts.Logger.Debug("live page gone", "meeting", c.topic)
				return
			}
		case <-ping.C:
			if !write([]byte(": keep-alive\n\n")) {
				return
			}
		}
	}
}
