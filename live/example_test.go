package live_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/confrec/confrec/live"
	"github.com/confrec/confrec/store"
)

// A recorder serves the live page of the store it writes to; a page reads
// the meeting's events as they are committed.
func ExampleNewHandler() {
	dir, err := os.MkdirTemp("", "confrec-live")
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

	// A meeting being recorded: its session is open.
	ctx := context.Background()
	at := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	sid, err := db.BeginSession(ctx, "555000111", store.Session{Start: at})
	if err != nil {
		fmt.Println(err)
		return
	}
	err = db.Append(ctx, "555000111", store.Frame{Time: at, Session: sid, Dir: store.In, Op: store.Text,
		Payload: []byte(`{"action":"ParticipantsNotify","createTime":1795773600000,"msgID":"1","msgMode":0,"confID":"555000111",` +
			`"data":[{"pid":"p-ann","mode":0,"pinfoMap":{"NAME":"Ann","ROLE":"1"}}]}`)})
	if err != nil {
		fmt.Println(err)
		return
	}

	h := live.NewHandler(db, nil)
	srv := httptest.NewServer(h)
	defer srv.Close()
	defer h.Close() // before the server's Close: it ends the streams

	resp, err := http.Get(srv.URL + "/events?meeting=555000111")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	fmt.Println(resp.Header.Get("Content-Type"))
	lines := bufio.NewScanner(resp.Body)
	for n := 0; n < 2 && lines.Scan(); {
		if name, ok := strings.CutPrefix(lines.Text(), "event: "); ok {
			lines.Scan()
			fmt.Printf("%s %.60s…\n", name, strings.TrimPrefix(lines.Text(), "data: "))
			n++
		}
	}
	// Output:
	// text/event-stream
	// meeting {"id":"555000111","title":"","recording":true,"present":1,"s…
	// lanes {"reset":true,"intervals":[{"i":0,"pid":"p-ann","name":"Ann"…
}
