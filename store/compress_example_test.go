package store_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/confrec/confrec/store"
)

// Compact with Compress rewrites the frames of every meeting into zstd
// blocks; reading, seeking and verifying work as before.
func ExampleCompactOptions_compress() {
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
	start := time.Date(2025, 3, 18, 2, 0, 0, 0, time.UTC)
	var frames []store.Frame
	for i := range 5000 {
		frames = append(frames, store.Frame{Time: start.Add(time.Duration(i) * time.Second), Dir: store.In, Op: store.Text,
			Payload: fmt.Appendf(nil, `{"action":"SpeakerChangeNotify","confID":"986512347","data":[{"pid":"%04d","speakingVolume":%d}]}`, i%50, i%100)})
	}
	if err := db.Append(context.Background(), "986512347", frames...); err != nil {
		fmt.Println(err)
		return
	}
	if err := db.Close(); err != nil {
		fmt.Println(err)
		return
	}

	res, err := store.Compact(path, &store.CompactOptions{Compress: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("smaller by more than half:", res.After < res.Before/2)

	db, err = store.Open(path, &store.Options{ReadOnly: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()
	fmt.Println("verify:", db.Verify("986512347"))
	c, err := db.Frames("986512347", &store.Query{From: start.Add(4321 * time.Second)})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	c.Next()
	f := c.Frame()
	fmt.Println(f.Seq, f.Time.Format(time.TimeOnly), string(f.Payload))
	// Output:
	// smaller by more than half: true
	// verify: <nil>
	// 4322 03:12:01 {"action":"SpeakerChangeNotify","confID":"986512347","data":[{"pid":"0021","speakingVolume":21}]}
}
