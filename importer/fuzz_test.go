package importer_test

import (
	"context"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/confrec/confrec/importer"
	"github.com/confrec/confrec/store"
)

// FuzzHAR feeds HAR import arbitrary documents: it never panics, and no
// stored session URL holds a tmpToken.
func FuzzHAR(f *testing.F) {
	sec := float64(t0.Unix())
	f.Add(harDoc(restEntry, wsEntry(connect+"?confID=555000111&tmpToken="+tmpToken, "2025-03-18T02:00:00.000Z",
		msg("send", sec, 1, subscribe(confToken)), msg("receive", sec+1, 2, "AAEC"), msg("receive", sec+2, 8, "A+g="))))
	f.Add(harDoc(wsEntry(connect+"?confID=1&tmpToken="+tmpToken, "bad date", msg("receive", sec, 1, "echo "+tmpToken))))
	f.Add(`{"log":{"entries":[{"_webSocketMessages":[]}]}}`)
	f.Add(`{"log":{"entries":[{"request":{"url":"` + connect + `?confID=x"},"_webSocketMessages":[{"type":"receive","time":1e300,"opcode":2,"data":"%%"}]}]}}`)
	// The streaming reader's paths: messages out of time order (read
	// through an index), sessions whose frames interleave, members in any
	// order, nulls, a member given twice.
	conn := connect + "?confID=1&tmpToken=" + tmpToken
	f.Add(harDoc(wsEntry(conn, "2025-03-18T02:00:00Z", msg("receive", sec+2, 1, "b"), msg("error", sec, 1, "x"), msg("receive", sec+1, 8, "A+g="))))
	f.Add(harDoc(wsEntry(conn, "2025-03-18T02:00:01Z", msg("receive", sec+2, 1, "b"), msg("receive", sec+4, 1, "d")),
		wsEntry(conn, "2025-03-18T02:00:00Z", msg("send", sec+1, 1, subscribe(confToken)), msg("receive", sec+3, 1, "c"))))
	f.Add(`{"log":{"entries":[null,{"_webSocketMessages":[` + msg("receive", sec, 1, "a") + ` , null],"request":{"url":"` + conn + `"},"_webSocketMessages":[]}]}}`)
	f.Add(`{"log":{"entries":[]},"LOG":null}`)
	// One database for all inputs (opening one per input is slow), every
	// input into a meeting of its own: all its WebSocket entries, whatever
	// their URL.
	db, err := store.Open(filepath.Join(f.TempDir(), "f.db"), &store.Options{NoSync: true})
	if err != nil {
		f.Fatal(err)
	}
	defer db.Close()
	var n int
	f.Fuzz(func(t *testing.T, doc string) {
		n++
		res, _ := importer.HAR(context.Background(), db, strings.NewReader(doc), &importer.HAROptions{Meeting: "fuzz-" + strconv.Itoa(n)})
		for _, r := range res {
			m, err := db.Meeting(r.Meeting)
			if err != nil {
				continue
			}
			for _, s := range m.Sessions {
				u, err := url.Parse(s.URL)
				if err != nil {
					continue
				}
				for name, vs := range u.Query() {
					for _, v := range vs {
						if strings.EqualFold(name, "tmpToken") && v != "" && !strings.HasPrefix(v, "[redacted:") {
							t.Fatalf("session URL holds a token: %s", s.URL)
						}
					}
				}
			}
		}
	})
}
