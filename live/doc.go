// Package live serves a web page that shows the meetings a recorder is
// recording as they happen, read from its store while it writes.
//
// # Basics
//
// [NewHandler] returns a [*Handler], an http.Handler over one open
// [store.DB] (the recorder's own: it reads through [store.DB.Reader], no
// copy). It serves:
//
//   - / : the page, one HTML file with its script and style (page/), which
//     lists the meetings being recorded (a meeting whose last session has
//     no end) and the last ones recorded;
//   - /meeting/ID : the same page showing one meeting being recorded: who
//     is present, who speaks, the presence lanes and the speaking ranking;
//   - /events : the Server-Sent Events that page reads (?meeting=ID for
//     one meeting);
//   - /report/ID : a meeting recorded, as [Options.Report] writes it.
//
// Data flows one way: recorder → store → fold → page. One goroutine of the
// Handler, the hub (hub.go), waits for the store's commits
// ([store.DB.Committed]), at most once per [Options.Interval], and then
// reads only the frames committed since: each meeting being recorded has a
// tracker (tracker.go) that keeps a store cursor, a replay.Folder and a
// replay.Attendance, and turns what changed into messages (view.go) that
// it hands to every page watching (stream.go). Nothing is read while no
// page is open.
//
// # Caveats
//
// A page that does not keep up, so that more than [Options.Buffer]
// messages wait for it, or one write to it takes longer than
// [Options.WriteTimeout], is disconnected (its browser reconnects and
// starts afresh): a page never slows the recording. [Handler.Close] ends
// every stream and the hub and waits for them; call it before the store's
// Close and before the HTTP server's.
//
// Every text from the service (titles, names) reaches the page as JSON
// and is shown with textContent, never parsed as HTML. Frames are stored
// redacted; the page shows no more than the report does. The page loads
// nothing from the network: its Content-Security-Policy is default-src
// 'self'. The Handler checks no password: put it behind one (package
// internal/webserver's BasicAuth) when it listens beyond loopback.
//
// The example shows a Handler answering a page.
package live
