// Package natstest runs a NATS server with JetStream inside a test's
// process, for the tests of the packages that publish to and consume from
// it (natsfeed, the CLI's record --nats and archive).
package natstest

import (
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Options are what a test may change of the server.
type Options struct {
	// Port is the port to listen on, on 127.0.0.1; 0 chooses a free one.
	// Give the port of a server shut down to start it again there.
	Port int
	// SyncAlways makes the server sync every write to disk.
	SyncAlways bool
}

// Start runs a NATS server with JetStream, its store in dir, until tb ends
// or it is shut down (Shutdown, then WaitForShutdown). A server started
// again in the same dir finds its streams and consumers.
func Start(tb testing.TB, dir string, o *Options) *server.Server {
	tb.Helper()
	if o == nil {
		o = &Options{}
	}
	port := o.Port
	if port == 0 {
		port = -1
	}
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: port, JetStream: true, StoreDir: dir,
		SyncAlways: o.SyncAlways, NoLog: true, NoSigs: true})
	if err != nil {
		tb.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		tb.Fatal("the NATS server did not start within 10 s")
	}
	tb.Cleanup(func() {
		s.Shutdown()
		s.WaitForShutdown()
	})
	return s
}
