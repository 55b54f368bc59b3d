package replay_test

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/confrec/confrec/replay"
	"github.com/confrec/confrec/store"
)

// TestFoldServiceClock: events whose frame has no createTime (session
// starts and ends, unreadable frames) are put on the service's clock by
// the offset of the last frame that had one, SetOffset's before any had;
// a meeting without any createTime stays on the receive clock. Apply
// returns each frame's events at once.
func TestFoldServiceClock(t *testing.T) {
	const skew = -5 * time.Hour // the service's clock runs 5 hours behind the receive clock
	ct := func(ms int64) int64 { return atMS(ms).Add(skew).UnixMilli() }
	parts := func(ms int64) string {
		return fmt.Sprintf(`{"action":"ParticipantsNotify","msgMode":0,"createTime":%d,"data":[{"pid":"a","mode":0}]}`, ct(ms))
	}
	sessions := []store.Session{{ID: 1, Start: atMS(-100), End: atMS(5000)}, {ID: 2, Start: atMS(6000), End: atMS(9000)}}
	type ev struct {
		kind replay.EventKind
		time time.Time
	}
	tests := []struct {
		name   string
		offset time.Duration // given to SetOffset
		frames []store.Frame
		perApp []int // events each Apply returns, then Finish
		want   []ev
	}{
		{
			name:   "first createTime after the session start",
			offset: skew,
			frames: []store.Frame{
				timed(0, inSession(1, fout(`{"action":"Subscribe"}`))),
				timed(100, inSession(1, fbin("x"))),
				timed(200, inSession(1, fin(parts(200)))),
				timed(4000, inSession(1, fin(`{"action":"HeartBeat"}`))),
				timed(6100, inSession(2, fin(`{"action":"HeartBeat"}`))),
				timed(8000, inSession(2, fin(`nope`))),
			},
			perApp: []int{1, 1, 1, 0, 2, 1, 1},
			want: []ev{
				{replay.EventSessionStarted, atMS(-100).Add(skew)},
				{replay.EventUnknown, atMS(100).Add(skew)},
				{replay.EventJoined, atMS(200).Add(skew)},
				{replay.EventSessionEnded, atMS(5000).Add(skew)},
				{replay.EventSessionStarted, atMS(6000).Add(skew)},
				{replay.EventUnknown, atMS(8000).Add(skew)},
				{replay.EventSessionEnded, atMS(9000).Add(skew)},
			},
		},
		{
			name: "without SetOffset, before the first createTime",
			frames: []store.Frame{
				timed(200, inSession(1, fin(parts(200)))),
			},
			perApp: []int{2, 1},
			want: []ev{
				{replay.EventSessionStarted, atMS(-100)},
				{replay.EventJoined, atMS(200).Add(skew)},
				{replay.EventSessionEnded, atMS(5000).Add(skew)},
			},
		},
		{
			name: "no createTime at all",
			frames: []store.Frame{
				timed(0, inSession(1, fout(`{"action":"Subscribe"}`))),
				timed(100, inSession(1, fbin("x"))),
				timed(6100, inSession(2, fbin("y"))),
			},
			perApp: []int{1, 1, 3, 1},
			want: []ev{
				{replay.EventSessionStarted, atMS(-100)},
				{replay.EventUnknown, atMS(100)},
				{replay.EventSessionEnded, atMS(5000)},
				{replay.EventSessionStarted, atMS(6000)},
				{replay.EventUnknown, atMS(6100)},
				{replay.EventSessionEnded, atMS(9000)},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := replay.NewFolder("c", sessions)
			f.SetOffset(tt.offset)
			var got []ev
			var counts []int
			for i := range tt.frames {
				fr := tt.frames[i]
				fr.Seq = uint64(i + 1)
				evs := f.Apply(nil, &fr)
				counts = append(counts, len(evs))
				for _, e := range evs {
					got = append(got, ev{e.Kind, e.Time})
				}
			}
			evs := f.Finish(nil)
			counts = append(counts, len(evs))
			for _, e := range evs {
				got = append(got, ev{e.Kind, e.Time})
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("events:\n got %v\nwant %v", got, tt.want)
			}
			if !reflect.DeepEqual(counts, tt.perApp) {
				t.Errorf("events per Apply and Finish: %v, want %v", counts, tt.perApp)
			}
		})
	}
}
