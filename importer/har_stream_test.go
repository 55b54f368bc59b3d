package importer_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/confrec/confrec/importer"
	"github.com/confrec/confrec/store"
)

// TestHARStream: HAR reads the file as a stream, yet stores what reading
// it whole did: frames in time order across a meeting's sessions (ties in
// the order of the sessions' starts, then of the file), members in any
// order and case, nulls where entries or messages may be.
func TestHARStream(t *testing.T) {
	sec := float64(t0.Unix())
	url := connect + "?confID=555000111&tmpToken=" + tmpToken
	closeMsg := func(at float64) string {
		return msg("receive", at, 8, base64.StdEncoding.EncodeToString(store.ClosePayload(4000, "kicked "+tmpToken)))
	}
	tests := []struct {
		name  string
		doc   string
		want  string // frames as session:payload, in order
		close int    // the close code of the meeting's last session
		err   error
	}{
		{"in order", harDoc(wsEntry(url, "2025-03-18T02:00:00Z", msg("receive", sec+1, 1, "a"), msg("receive", sec+2, 1, "b"))),
			"1:a 1:b", 0, nil},
		{"messages out of order, ties as in the file", harDoc(wsEntry(url, "2025-03-18T02:00:00Z",
			msg("receive", sec+2, 1, "a"), msg("error", sec, 1, "x"), msg("receive", sec+1, 1, "b"), msg("receive", sec+2, 1, "c"))),
			"1:b 1:a 1:c", 0, nil},
		{"the last frame closes, first in the file", harDoc(wsEntry(url, "2025-03-18T02:00:00Z",
			closeMsg(sec+9), msg("receive", sec+1, 1, "a"))),
			"1:a 1:close", 4000, nil},
		{"sessions interleave", harDoc(
			wsEntry(url, "2025-03-18T02:00:00.500Z", msg("receive", sec+2, 1, "b2"), msg("receive", sec+3, 1, "b3"), msg("receive", sec+4, 1, "b4")),
			wsEntry(url, "2025-03-18T02:00:00Z", msg("receive", sec+1, 1, "a1"), msg("receive", sec+3, 1, "a3"), msg("receive", sec+5, 1, "a5"))),
			"1:a1 2:b2 1:a3 2:b3 2:b4 1:a5", 0, nil},
		{"out of order and interleaved", harDoc(
			wsEntry(url, "2025-03-18T02:00:00Z", msg("receive", sec+5, 1, "a5"), msg("receive", sec+1, 1, "a1")),
			wsEntry(url, "2025-03-18T02:00:01Z", msg("receive", sec+3, 1, "b3"), closeMsg(sec+6), msg("receive", sec+2, 1, "b2"))),
			"1:a1 2:b2 2:b3 1:a5 2:close", 4000, nil},
		{"white space about the messages", strings.ReplaceAll(harDoc(wsEntry(url, "2025-03-18T02:00:00Z",
			msg("receive", sec+2, 1, "b"), msg("receive", sec+1, 1, "a"))), ",", " \n\t,\r\n "),
			"1:a 1:b", 0, nil},
		{"messages before the request", `{"log":{"entries":[{"_webSocketMessages":[` + msg("receive", sec+1, 1, "a") +
			`],"startedDateTime":"2025-03-18T02:00:00Z","request":{"url":"` + url + `"}}]}}`,
			"1:a", 0, nil},
		{"keys in other case", `{"LOG":{"Entries":[{"Request":{"URL":"` + url + `"},"StartedDateTime":"2025-03-18T02:00:00Z","_websocketmessages":[` +
			msg("receive", sec+1, 1, "a") + `]}]}}`,
			"1:a", 0, nil},
		{"nulls", `{"log":{"entries":[null,{"request":{"url":"` + url + `"},"_webSocketMessages":null},` +
			wsEntry(url, "2025-03-18T02:00:00Z", `null`, msg("receive", sec+1, 1, "a")) + `]}}`,
			"1:a", 0, nil},
		{"the last _webSocketMessages counts", `{"log":{"entries":[{"request":{"url":"` + url + `"},"startedDateTime":"2025-03-18T02:00:00Z",` +
			`"_webSocketMessages":[` + msg("receive", sec+1, 1, "old") + `],"_webSocketMessages":[` + msg("receive", sec+2, 1, "new") + `]}]}}`,
			"1:new", 0, nil},
		{"no messages", harDoc(wsEntry(url, "2025-03-18T02:00:00Z")), "", 0, nil},
		{"data after the document", harDoc(wsEntry(url, "2025-03-18T02:00:00Z", msg("receive", sec+1, 1, "a"))) + "trailing",
			"1:a", 0, nil},
		{"log twice", `{"log":{"entries":[]},"log":{"entries":[]}}`, "", 0, importer.ErrFormat},
		{"entries twice", `{"log":{"entries":[],"entries":[]}}`, "", 0, importer.ErrFormat},
		{"entries not an array", `{"log":{"entries":{}}}`, "", 0, importer.ErrFormat},
		{"a message not an object", harDoc(wsEntry(url, "2025-03-18T02:00:00Z", `5`)), "", 0, importer.ErrFormat},
		{"a bad member elsewhere", `{"log":{"version":5,"entries":[` + wsEntry(url, "2025-03-18T02:00:00Z") + `]}}`, "", 0, importer.ErrFormat},
		{"cut short", harDoc(wsEntry(url, "2025-03-18T02:00:00Z", msg("receive", sec+1, 1, "a")))[:300], "", 0, importer.ErrFormat},
		{"empty", ``, "", 0, importer.ErrFormat},
		{"not an object", `[]`, "", 0, importer.ErrFormat},
		{"null", `null`, "", 0, importer.ErrNoSessions},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := openDB(t)
			_, err := importer.HAR(context.Background(), db, strings.NewReader(tt.doc), nil)
			if !errors.Is(err, tt.err) {
				t.Fatalf("error %v, want %v", err, tt.err)
			}
			if err != nil {
				if strings.Contains(err.Error(), tmpToken) {
					t.Errorf("error holds the token: %v", err)
				}
				if _, merr := db.Meeting("555000111"); !errors.Is(merr, store.ErrMeetingNotFound) {
					t.Errorf("meeting stored after an error: %v", merr)
				}
				return
			}
			var got []string
			for _, f := range frames(t, db, "555000111") {
				p := string(f.Payload)
				if f.Op == store.Close {
					p = "close"
				}
				got = append(got, fmt.Sprintf("%d:%s", f.Session, p))
			}
			if strings.Join(got, " ") != tt.want {
				t.Errorf("frames %q, want %q", strings.Join(got, " "), tt.want)
			}
			m, err := db.Meeting("555000111")
			if err != nil {
				t.Fatal(err)
			}
			last := m.Sessions[len(m.Sessions)-1]
			if last.CloseCode != tt.close || strings.Contains(last.CloseReason, tmpToken) {
				t.Errorf("last session closed %d %q, want %d, no token", last.CloseCode, last.CloseReason, tt.close)
			}
		})
	}
}
