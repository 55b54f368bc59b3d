package store_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/confrec/confrec/store"
)

func ExampleOpen() {
	dir, err := os.MkdirTemp("", "confrec-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)

	db, err := store.Open(filepath.Join(dir, "confrec.db"), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()

	// Append returns once both frames are on disk. The store numbers them.
	at := time.Date(2025, 3, 18, 2, 0, 0, 0, time.UTC)
	err = db.Append(context.Background(), "986512347",
		store.Frame{Time: at, Dir: store.Out, Op: store.Text, Payload: []byte(`{"action":"HeartBeat","sequence":"1"}`)},
		store.Frame{Time: at.Add(40 * time.Millisecond), Dir: store.In, Op: store.Text, Payload: []byte(`{"action":"HeartBeat","sequence":"1","data":{"returnCode":0}}`)},
	)
	if err != nil {
		fmt.Println(err)
		return
	}

	c, err := db.Frames("986512347", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	for c.Next() {
		f := c.Frame()
		fmt.Println(f.Seq, f.Time.Format("15:04:05.000"), f.Dir, f.Op, string(f.Payload))
	}
	if err := c.Err(); err != nil {
		fmt.Println(err)
	}
	// Output:
	// 1 02:00:00.000 out text {"action":"HeartBeat","sequence":"1"}
	// 2 02:00:00.040 in text {"action":"HeartBeat","sequence":"1","data":{"returnCode":0}}
}

func ExampleDB_Verify() {
	dir, err := os.MkdirTemp("", "confrec-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)

	db, err := store.Open(filepath.Join(dir, "confrec.db"), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()

	at := time.Date(2025, 3, 18, 2, 0, 0, 0, time.UTC)
	for i := range 3 {
		f := store.Frame{Time: at.Add(time.Duration(i) * time.Second), Dir: store.In, Op: store.Text, Payload: fmt.Appendf(nil, `{"n":%d}`, i)}
		if err := db.Enqueue("986512347", f); err != nil {
			fmt.Println(err)
			return
		}
	}
	if err := db.Flush(context.Background()); err != nil {
		fmt.Println(err)
		return
	}

	// Verify recomputes the hash chain over the stored frames. On damage it
	// returns a *store.ChainError naming the first frame found wrong.
	if err := db.Verify("986512347"); err != nil {
		fmt.Println("damaged:", err)
		return
	}
	m, err := db.Meeting("986512347")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d frames verified\n", m.Frames)
	// Output:
	// 3 frames verified
}

// A recorder holds its database locked for writing; it serves snapshots on
// a socket in a directory of its user's, and a reader fetches a consistent
// copy and opens that instead.
func ExampleListenSnapshotSocket() {
	dir, err := os.MkdirTemp("", "confrec-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)

	// The recorder's side.
	path := filepath.Join(dir, "confrec.db")
	db, err := store.Open(path, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()
	at := time.Date(2025, 3, 18, 2, 0, 0, 0, time.UTC)
	if err := db.Append(context.Background(), "986512347", store.Frame{Time: at, Dir: store.In, Op: store.Text, Payload: []byte(`{"n":1}`)}); err != nil {
		fmt.Println(err)
		return
	}
	srv, err := store.ListenSnapshotSocket(db, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx) }()
	defer func() { stop(); <-served }() // before db.Close

	// The reader's side: the file is locked, so ask the recorder for a copy.
	if _, err := store.Open(path, &store.Options{ReadOnly: true, LockTimeout: -1}); !errors.Is(err, store.ErrLocked) {
		fmt.Println("not locked:", err)
		return
	}
	cp := filepath.Join(dir, "snapshot.db")
	if err := store.FetchSnapshotFor(context.Background(), path, cp); err != nil {
		fmt.Println(err)
		return
	}
	snap, err := store.Open(cp, &store.Options{ReadOnly: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer snap.Close()
	m, err := snap.Meeting("986512347")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d frame, chain verified: %v\n", m.Frames, snap.Verify("986512347") == nil)
	// Output:
	// 1 frame, chain verified: true
}
