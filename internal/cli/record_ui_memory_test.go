package cli

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/confrec/confrec/live"
	"github.com/confrec/confrec/store"
)

// liveMemoryLimit is the most the live page's tab may hold: issue 13.
const liveMemoryLimit = 300 << 20

// writeBigMeeting writes into db a meeting of people participants over
// span, ending now and still being recorded (its session open): each
// person joins in the first hour, then leaves and comes back every one to
// three hours, and the loudest speaker changes every few seconds. It
// returns the number of presence intervals.
func writeBigMeeting(t *testing.T, db *store.DB, confID string, people int, span time.Duration) int {
	t.Helper()
	ctx := context.Background()
	t0 := time.Now().Add(-span).Truncate(time.Millisecond)
	sid, err := db.BeginSession(ctx, confID, store.Session{Start: t0})
	if err != nil {
		t.Fatal(err)
	}
	type change struct {
		at           time.Duration
		action, mode string
		data         string
	}
	rng := rand.New(rand.NewSource(13))
	var changes []change
	intervals := 0
	for i := range people {
		pid, name := fmt.Sprintf("p%04d", i), "Person "+strconv.Itoa(i+1)
		join := fmt.Sprintf(`[{"pid":%q,"mode":0,"pinfoMap":{"NAME":%q,"ROLE":"0","STATE":"0","MUTE":"1"}}]`, pid, name)
		leave := fmt.Sprintf(`[{"pid":%q,"mode":1}]`, pid)
		for at := time.Duration(rng.Int63n(int64(time.Hour))); at < span; at += time.Duration(rng.Int63n(int64(15 * time.Minute))) {
			changes = append(changes, change{at, "ParticipantsNotify", "1", join})
			intervals++
			if at += time.Hour + time.Duration(rng.Int63n(int64(2*time.Hour))); at >= span {
				break
			}
			changes = append(changes, change{at, "ParticipantsNotify", "1", leave})
		}
	}
	for at := time.Second; at < span; at += time.Duration(2+rng.Intn(6)) * time.Second {
		p := rng.Intn(people)
		changes = append(changes, change{at, "SpeakerChangeNotify", "0",
			fmt.Sprintf(`[{"pid":"p%04d","name":"Person %d","speakingVolume":%d}]`, p, p+1, 20+rng.Intn(70))})
	}
	slices.SortStableFunc(changes, func(a, b change) int { return cmp.Compare(a.at, b.at) }) // as received
	frames := make([]store.Frame, 0, 1000)
	flush := func() {
		if err := db.Append(ctx, confID, frames...); err != nil {
			t.Fatal(err)
		}
		frames = frames[:0]
	}
	for n, c := range changes {
		at := t0.Add(c.at)
		p := fmt.Sprintf(`{"action":%q,"version":%d,"createTime":%d,"msgID":"m%d","msgMode":%s,"confID":%q,"data":%s}`,
			c.action, n+1, at.UnixMilli(), n, c.mode, confID, c.data)
		frames = append(frames, store.Frame{Time: at, Session: sid, Dir: store.In, Op: store.Text, Payload: []byte(p)})
		if len(frames) == cap(frames) {
			flush()
		}
	}
	flush()
	return intervals
}

// TestLivePageMemory: the live page of a meeting of 500 people over 10
// hours, being recorded, holds in headless chromium without the tab's
// memory passing 300 MB (its JavaScript heap, and its renderer process's
// resident memory), with every lane drawn and everyone listed.
func TestLivePageMemory(t *testing.T) {
	const confID, people = "555000500", 500
	db, err := store.Open(filepath.Join(t.TempDir(), "big.db"), &store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	intervals := writeBigMeeting(t, db, confID, people, 10*time.Hour)
	h := live.NewHandler(db, nil)
	srv := httptest.NewServer(h)
	defer srv.Close()
	defer h.Close()

	page := openLivePage(t)
	page.open(srv.URL + "/meeting/" + confID)
	page.when(fmt.Sprintf(`document.querySelectorAll("#lanes rect").length === %d && document.querySelectorAll("#lane-names div").length === %d`, intervals, people))
	page.when(`document.querySelector("#ranking tbody").rows.length > 0 && document.querySelector("#people tbody").rows.length > 0`)
	page.c.call(page.sid, "HeapProfiler.collectGarbage", map[string]any{})
	var m struct {
		Metrics []struct {
			Name  string
			Value float64
		}
	}
	page.c.call(page.sid, "Performance.enable", map[string]any{})
	if err := json.Unmarshal(page.c.call(page.sid, "Performance.getMetrics", map[string]any{}), &m); err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, x := range m.Metrics {
		got[x.Name] = x.Value
	}
	t.Logf("%d people, %d intervals: JS heap %.1f MB used of %.1f MB, %v DOM nodes",
		people, intervals, got["JSHeapUsedSize"]/(1<<20), got["JSHeapTotalSize"]/(1<<20), got["Nodes"])
	if got["JSHeapTotalSize"] == 0 || got["JSHeapTotalSize"] > liveMemoryLimit {
		t.Errorf("the tab's JS heap is %.1f MB, want at most %d MB", got["JSHeapTotalSize"]/(1<<20), liveMemoryLimit>>20)
	}
	// The whole tab: its renderer process's resident memory, DOM and
	// layout included.
	var info struct {
		ProcessInfo []struct {
			Type string
			ID   int
		}
	}
	json.Unmarshal(page.c.call("", "SystemInfo.getProcessInfo", map[string]any{}), &info)
	for _, p := range info.ProcessInfo {
		if p.Type != "renderer" {
			continue
		}
		status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.ID))
		if err != nil {
			t.Fatalf("renderer's memory: %v", err)
		}
		var rss int64
		for line := range strings.Lines(string(status)) {
			if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
				fmt.Sscanf(strings.TrimSpace(v), "%d kB", &rss)
			}
		}
		t.Logf("renderer %d: resident %.1f MB", p.ID, float64(rss)/1024)
		if rss<<10 > liveMemoryLimit {
			t.Errorf("the tab's renderer holds %.1f MB, want at most %d MB", float64(rss)/1024, liveMemoryLimit>>20)
		}
	}
	for _, p := range page.problems(srv.URL) {
		t.Errorf("page: %s", p)
	}
}
