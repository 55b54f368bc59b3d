// Package metrics makes a confrec recorder watchable: its Prometheus
// metrics and its health, over HTTP.
//
// # Basics
//
// [New] returns [*Metrics]: every confrec_* metric, on a registry of its own
// ([Metrics.Registry]) with the Go runtime's and the process's collectors.
// The recording feeds it through three hooks, none of which logs or blocks:
//
//   - [Metrics.StoreCommit] is store.Options.OnCommit: frames and bytes
//     committed (so confrec_frames_stored_total is what the database holds),
//     commit times, the newest frame's time;
//   - *Metrics is a recorder.Observer: [Metrics.SessionStarted],
//     [Metrics.Reconnect], [Metrics.TokenFailure];
//   - [Metrics.SetQueue] takes a function read at each scrape, such as
//     store.DB.QueuedFrames.
//
// Whoever decides what to record sets the meeting gauges
// ([Metrics.SetRecording], [Metrics.AddRecording],
// [Metrics.SetUnrecordable]) and counts discovery polls
// ([Metrics.DiscoveryPoll]).
//
// [Metrics.Handler] serves /metrics, /livez and /readyz; the health
// endpoints run checks (a [Check] is a name and a function returning why it
// fails) and answer in the manner of Kubernetes ("[+]store ok", ?verbose).
// Package internal/webserver serves it, behind a password when asked.
//
// # Caveats
//
// No metric has a meeting's ID as a label: meetings are many and their IDs
// are not for every reader of a dashboard. The health endpoints' verbose
// reasons may name files (the database's path): serve them beyond loopback
// only behind a password.
//
// The example shows the endpoints at work.
package metrics
