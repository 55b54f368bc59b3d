package live

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"io/fs"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/confrec/confrec/store"
)

// page holds the page's files: one HTML document, its script, its style
// and its icon.
//
//go:embed page
var page embed.FS

// Content-Security-Policy of the page and of the reports: the page loads
// its own files only; a report runs no script and needs only its inline
// style.
const (
	pageCSP   = "default-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
	reportCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

// Handler serves the live page of one store (see the package doc for its
// paths). It is safe for concurrent use. Close must be called: it ends
// the streams and stops the goroutine that reads the store.
type Handler struct {
	db     *store.DB // a Reader handle, closed by Close
	opts   Options
	mux    *http.ServeMux
	hub    *hub
	cancel context.CancelFunc

	mu      sync.Mutex // guards closed and streams.Add against Close
	closed  bool
	streams sync.WaitGroup // the /events requests running
	hubDone chan struct{}
}

// NewHandler returns the live page of db, which is typically the DB a
// recorder writes to. It starts one goroutine, which reads db only while a
// page is open; Close stops it.
func NewHandler(db *store.DB, opts *Options) *Handler {
	o := opts.withDefaults()
	// The Handler's reads live as long as it does: Close ends them.
	ctx, cancel := context.WithCancel(context.Background())
	h := &Handler{db: db.Reader(ctx), opts: o, cancel: cancel, hubDone: make(chan struct{})}
	h.hub = newHub(h.db, &o)
	go func() {
		defer close(h.hubDone)
		h.hub.run(ctx)
	}()
	files, _ := fs.Sub(page, "page") // cannot fail: the directory is embedded
	static := http.FileServerFS(files)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", h.serveApp)
	mux.HandleFunc("GET /meeting/{id}", h.serveApp)
	mux.Handle("GET /live.js", static)
	mux.Handle("GET /live.css", static)
	mux.Handle("GET /favicon.svg", static)
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/favicon.svg", http.StatusMovedPermanently)
	})
	mux.HandleFunc("GET /events", h.serveEvents)
	mux.HandleFunc("GET /report/{id}", h.serveReport)
	h.mux = mux
	return h
}

// ServeHTTP serves the page, its events and the reports.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", pageCSP)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("Cache-Control", "no-store")
	h.mux.ServeHTTP(w, r)
}

// Close ends every page's stream, stops the goroutine that reads the
// store and waits for them. It does not close the store. Additional calls
// return nil.
func (h *Handler) Close() error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil
	}
	h.closed = true
	h.mu.Unlock()
	h.cancel()
	<-h.hubDone
	h.streams.Wait()
	return h.db.Close()
}

// serveApp serves the page's HTML, which shows the list or, at
// /meeting/ID, that meeting.
func (h *Handler) serveApp(w http.ResponseWriter, r *http.Request) {
	if id := r.PathValue("id"); id != "" {
		if _, err := h.db.Meeting(id); errors.Is(err, store.ErrMeetingNotFound) {
			http.Error(w, "no such meeting", http.StatusNotFound)
			return
		}
	}
	b, err := page.ReadFile("page/index.html")
	if err != nil {
		http.Error(w, "page missing", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	http.ServeContent(w, r, "index.html", time.Time{}, bytes.NewReader(b))
}

// serveReport serves the finished report of a meeting not being recorded;
// one being recorded is sent to its live view.
func (h *Handler) serveReport(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	m, err := h.db.Meeting(id)
	switch {
	case errors.Is(err, store.ErrMeetingNotFound) || (err == nil && h.opts.Report == nil):
		http.Error(w, "no such report", http.StatusNotFound)
		return
	case err != nil:
		h.opts.Logger.Warn("live page: report", "meeting", id, "err", err)
		http.Error(w, "cannot read the meeting", http.StatusInternalServerError)
		return
	}
	if n := len(m.Sessions); n > 0 && m.Sessions[n-1].End.IsZero() {
		http.Redirect(w, r, "/meeting/"+url.PathEscape(id), http.StatusSeeOther)
		return
	}
	// Written whole before it is sent: an error is then a status, not a
	// page cut short.
	var buf bytes.Buffer
	db := h.db.Reader(r.Context())
	defer db.Close()
	if err := h.opts.Report(r.Context(), &buf, db, id); err != nil {
		h.opts.Logger.Warn("live page: report", "meeting", id, "err", err)
		http.Error(w, "cannot write the report", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Security-Policy", reportCSP)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(buf.Bytes())
}
