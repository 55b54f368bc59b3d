package natsfeed_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/confrec/confrec/natsfeed"
	"github.com/confrec/confrec/store"
)

// A recorder's database published to JetStream and archived into another
// database, through a NATS server in the same process.
func Example() {
	dir, _ := os.MkdirTemp("", "natsfeed-example")
	defer os.RemoveAll(dir)
	srv, _ := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: filepath.Join(dir, "nats"), NoLog: true, NoSigs: true})
	go srv.Start()
	srv.ReadyForConnections(10 * time.Second)
	defer srv.WaitForShutdown()
	defer srv.Shutdown()
	nc, _ := nats.Connect(srv.ClientURL())
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := natsfeed.EnsureStream(ctx, js, 1); err != nil {
		fmt.Println(err)
		return
	}

	rec, _ := store.Open(filepath.Join(dir, "rec.db"), nil)
	defer rec.Close()
	rec.Append(ctx, "986512347", store.Frame{Time: time.Now(), Dir: store.In, Op: store.Text, Payload: []byte(`{"action":"HeartBeat"}`)})
	pub, _ := natsfeed.NewPublisher(rec, js, natsfeed.PublisherOptions{Recorder: "rec-1"})
	if err := pub.PublishCommitted(ctx); err != nil {
		fmt.Println(err)
		return
	}

	arch, _ := store.Open(filepath.Join(dir, "archive.db"), nil)
	defer arch.Close()
	done := make(chan error)
	go func() { done <- natsfeed.NewArchiver(arch, js, natsfeed.ArchiverOptions{}).Run(ctx) }()
	defer func() { cancel(); <-done }()
	for range 500 {
		if m, err := arch.Meeting("986512347"); err == nil && m.Frames == 1 {
			r, _ := rec.Meeting("986512347")
			fmt.Println("archived:", m.Frames, "frame; same chain head:", m.ChainHead == r.ChainHead)
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	fmt.Println("not archived")
	// Output: archived: 1 frame; same chain head: true
}
