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

func ExampleDB_SetHold() {
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
	ctx := context.Background()
	at := time.Date(2025, 3, 18, 2, 0, 0, 0, time.UTC)
	if err := db.Append(ctx, "986512347", store.Frame{Time: at, Dir: store.In, Op: store.Text, Payload: []byte(`{}`)}); err != nil {
		fmt.Println(err)
		return
	}

	// A held meeting cannot be deleted until the hold is released.
	err = db.SetHold(ctx, "986512347", store.Hold{Reason: "case 2026-17", By: "alice", At: at.Add(time.Hour)})
	fmt.Println(err)
	m, _ := db.Meeting("986512347")
	fmt.Println(m.Hold.Reason, m.Hold.By, m.Hold.At.Format(time.RFC3339))
	err = db.DeleteMeeting(ctx, "986512347")
	fmt.Println(errors.Is(err, store.ErrHeld))
	fmt.Println(db.ReleaseHold(ctx, "986512347"))
	fmt.Println(db.DeleteMeeting(ctx, "986512347"))
	// Output:
	// <nil>
	// case 2026-17 alice 2025-03-18T03:00:00Z
	// true
	// <nil>
	// <nil>
}

func ExampleCompact() {
	dir, err := os.MkdirTemp("", "confrec-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "confrec.db")
	db, err := store.Open(path, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	big := make([]byte, 64<<10)
	for i := range 100 {
		db.Enqueue("old", store.Frame{Time: time.Unix(int64(i), 0), Dir: store.In, Op: store.Binary, Payload: big})
	}
	if err := db.Flush(ctx); err != nil { // the frames are in the file
		fmt.Println(err)
		return
	}
	if err := db.DeleteMeeting(ctx, "old"); err != nil {
		fmt.Println(err)
		return
	}
	db.Close() // Compact needs the database to itself

	// The deleted meeting's pages are free inside the file; Compact gives
	// them back to the file system.
	res, err := store.Compact(path, nil)
	fmt.Println(err, res.After < res.Before/10)
	// Output:
	// <nil> true
}
