package live

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/confrec/confrec/store"
)

// TestSlowPageDropped: a page that reads nothing is dropped once its
// buffer is full, and the recording never waits for it: every Append
// returns, and the other page goes on.
func TestSlowPageDropped(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "confrec.db"), &store.Options{NoSync: true, FlushInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	sid, err := db.BeginSession(ctx, "555000111", store.Session{Start: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	h := NewHandler(db, &Options{Interval: time.Millisecond, Buffer: 2})
	defer h.Close()
	slow, err := h.hub.subscribe("555000111", 2)
	if err != nil {
		t.Fatal(err)
	}
	fast, err := h.hub.subscribe("555000111", 64)
	if err != nil {
		t.Fatal(err)
	}
	for n := 1; ; n++ {
		payload := fmt.Sprintf(`{"action":"ParticipantsNotify","version":%d,"createTime":%d,"msgID":"m%d","msgMode":1,"confID":"555000111","data":[{"pid":"p%d","mode":0,"pinfoMap":{"NAME":"P %d"}}]}`,
			n, time.Now().UnixMilli(), n, n, n)
		if err := db.Append(ctx, "555000111", store.Frame{Session: sid, Dir: store.In, Op: store.Text, Payload: []byte(payload)}); err != nil {
			t.Fatal(err)
		}
		for len(fast.out) > 0 { // the page that keeps up
			<-fast.out
		}
		select {
		case <-slow.gone:
			select {
			case <-fast.gone:
				t.Fatal("the page that keeps up was dropped too")
			default:
			}
			h.hub.unsubscribe(slow)
			h.hub.unsubscribe(fast)
			return
		default:
		}
	}
}
