package confctl_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/confrec/confrec/confctl"
)

// onlinePage is an online-list page of n meetings, as the service writes it.
func onlinePage(n int) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, `{"offset":0,"limit":500,"count":%d,"data":[`, n)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"conferenceID":"%d","confUUID":"a8e1c1f0-%08d","vmrConferenceID":"","vmrFlag":0,`+
			`"subject":"Weekly sync of team %d","startTime":"2026-12-06 10:00","endTime":"2026-12-06 11:00",`+
			`"conferenceState":"Created","userUUID":"ff80808167ef1ed%08d","scheduserName":"Organizer %d",`+
			`"passwordEntry":[{"conferenceRole":"chair","password":"%06d"},{"conferenceRole":"general","password":"%06d"}]}`,
			700000000+i, i, i, i, i, i, i+1)
	}
	b.WriteString(`]}`)
	return []byte(b.String())
}

// BenchmarkDecodeOnlinePage decodes a full page of 500 meetings, what each
// poll does for every 500 meetings running.
func BenchmarkDecodeOnlinePage(b *testing.B) {
	page := onlinePage(confctl.MaxOnlinePage)
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	for b.Loop() {
		p, err := confctl.DecodeOnlinePage(page, 0, confctl.MaxOnlinePage)
		if err != nil || len(p.Meetings) != confctl.MaxOnlinePage {
			b.Fatal(err, len(p.Meetings))
		}
	}
}
