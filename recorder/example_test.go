package recorder_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/confrec/confrec/recorder"
	"github.com/confrec/confrec/replay/standin"
	"github.com/confrec/confrec/store"
)

// ExampleRecord records a meeting played by a replay server through the
// token flow, until the meeting ends.
func ExampleRecord() {
	dir, err := os.MkdirTemp("", "confrec-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	db, err := store.Open(filepath.Join(dir, "meetings.db"), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()

	f, err := os.Open("testdata/scenario-basic.jsonl")
	if err != nil {
		fmt.Println(err)
		return
	}
	script, err := standin.ReadScenario(f)
	f.Close()
	if err != nil {
		fmt.Println(err)
		return
	}
	srv, err := standin.NewServer([]*standin.Script{script}, &standin.ServerOptions{Password: "host-password"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()

	res, err := recorder.Record(context.Background(), db, recorder.Options{
		ConfID:   script.ConfID,
		APIURL:   srv.URL,
		Password: "host-password",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	m, err := db.Meeting(script.ConfID)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%v after %d session(s); title %q; last session %s\n",
		res.Ended, res.Sessions, m.Labels["title"], m.Sessions[len(m.Sessions)-1].Reason)
	// Output:
	// meeting-ended after 1 session(s); title "Q1 Roadmap Sync"; last session meeting-ended
}
