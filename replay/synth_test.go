package replay_test

import (
	"context"
	"encoding/json"
	"flag"
	"math/rand"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/confrec/confrec/replay"
	"github.com/confrec/confrec/store"
)

var synthFramesFlag = flag.Int("synth.frames", 1_000_000, "frames in the synthetic meeting of BenchmarkReconstruct")

// synthOptions shape a synthetic meeting.
type synthOptions struct {
	Participants int
	Duration     time.Duration
	Frames       int // about; the last frames follow the meeting's end
	Seed         int64
}

// synthStats counts what the generator made, for checks.
type synthStats struct {
	Frames, Joins, Leaves, SpeakerLists, Heartbeats int
}

// synthMeeting generates a meeting shaped like the real notifications
// (protocol samples): the snapshots after Subscribe, then joins, leaves
// and rejoins (with leave reasons), mute/hand/camera/share changes, the
// odd host handover, speaker lists every few hundred milliseconds, media
// quality reports, lock/recording changes, the waiting room, heartbeats
// every minute; then Destroyed and the close. It is deterministic for a
// seed. Frames go to emit in order, without Seq or Session.
func synthMeeting(o synthOptions, emit func(store.Frame)) synthStats {
	rng := rand.New(rand.NewSource(o.Seed))
	t0 := time.UnixMilli(1742263200000).UTC()
	t := t0
	var st synthStats
	type person struct {
		pid, name, tel                  string
		present, mute, hand, cam, share bool
		role                            byte
	}
	people := make([]*person, o.Participants)
	const alnum = "abcdefghijklmnopqrstuvwxyz0123456789"
	for i := range people {
		pid := make([]byte, 32)
		for j := range pid {
			pid[j] = alnum[rng.Intn(len(alnum))]
		}
		people[i] = &person{pid: string(pid), name: "Person " + strconv.Itoa(i+1),
			tel: "+9911128340" + strconv.Itoa(1000000+i), role: '0', cam: rng.Intn(2) == 0}
	}
	people[0].role = '1'
	present := func() []*person {
		var ps []*person
		for _, p := range people {
			if p.present {
				ps = append(ps, p)
			}
		}
		return ps
	}
	versions := map[string]int{}
	var buf []byte
	out := func(dir store.Direction, op store.Opcode, b []byte) {
		emit(store.Frame{Time: t, Dir: dir, Op: op, Payload: append([]byte(nil), b...)})
		st.Frames++
	}
	// head starts a notification of action: incremental ones count versions.
	head := func(action string, incremental bool) {
		buf = append(buf[:0], `{"action":"`...)
		buf = append(buf, action...)
		buf = append(buf, `","version":`...)
		if incremental {
			versions[action]++
			buf = strconv.AppendInt(buf, int64(versions[action]), 10)
			buf = append(buf, `,"msgMode":1`...)
		} else {
			buf = strconv.AppendInt(buf, t.UnixMilli(), 10)
			buf = append(buf, `,"msgMode":0`...)
		}
		buf = append(buf, `,"createTime":`...)
		buf = strconv.AppendInt(buf, t.UnixMilli(), 10)
		buf = append(buf, `,"msgID":"`...)
		buf = strconv.AppendUint(buf, rng.Uint64()|1<<63, 16)
		buf = strconv.AppendUint(buf, rng.Uint64()|1<<63, 16)
		buf = append(buf, `","confID":"986512347"`...)
	}
	bit := func(b bool) string {
		if b {
			return "1"
		}
		return "0"
	}
	kv := func(k, v string) {
		buf = append(buf, '"')
		buf = append(buf, k...)
		buf = append(buf, `":"`...)
		buf = append(buf, v...)
		buf = append(buf, `",`...)
	}
	fullItem := func(p *person) {
		buf = append(buf, `{"pid":"`...)
		buf = append(buf, p.pid...)
		buf = append(buf, `","mode":0,"pinfoMap":{`...)
		kv("NAME", p.name)
		kv("TEL", p.tel)
		kv("ROLE", string(p.role))
		kv("STATE", "0")
		kv("HAND", bit(p.hand))
		kv("BROADCAST", "0")
		kv("ROLLCALL", "0")
		kv("SHARE", bit(p.share))
		kv("ADDTIME", strconv.FormatInt(t.UnixMilli(), 10))
		kv("MUTE", bit(p.mute))
		kv("VIDEO", "1")
		kv("M", "1")
		kv("T", "1")
		kv("ANONYMOUS", "0")
		kv("LOCALREC", "0")
		kv("CLIENT_LOGIN_TYPE", "Desktop")
		kv("VIEW_TYPE", "0")
		kv("CAMERASTATE", bit(p.cam))
		kv("IS_COHOST", "0")
		kv("RTC_USER_ID", p.pid)
		kv("ORG_ID", "58213")
		buf = append(buf[:len(buf)-1], `}}`...)
	}

	// The snapshots.
	head("ConfBasicInfoNotify", false)
	buf = append(buf, `,"title":"Synthetic all-hands","owner":"Person 1","startTime":"1742263100000","scheduledStartTime":"1742263000000","recType":1,"media":2}`...)
	out(store.In, store.Text, buf)
	head("ConfDynamicInfoNotify", false)
	buf = append(buf, `,"state":"Created","mode":"FREE","vas":1,"lock":0,"mute":0,"lockSharing":0,"recState":1,"realTimeSubtitle":0,"picNum":9}`...)
	out(store.In, store.Text, buf)
	head("ParticipantsNotify", false)
	buf = append(buf, `,"data":[`...)
	for i, p := range people {
		if i%10 == 9 {
			continue
		}
		p.present = true
		st.Joins++
		fullItem(p)
		buf = append(buf, ',')
	}
	buf = append(buf[:len(buf)-1], `]}`...)
	out(store.In, store.Text, buf)
	head("AttendeesNotify", false)
	buf = append(buf, `,"data":[`...)
	for i, p := range people {
		buf = append(buf, `{"mode":0,"userUUID":"u`...)
		buf = append(buf, p.pid[:31]...)
		buf = append(buf, `","name":"`...)
		buf = append(buf, p.name...)
		buf = append(buf, `","phone":"`...)
		buf = append(buf, p.tel...)
		buf = append(buf, `","role":`...)
		buf = append(buf, bit(i == 0)...)
		buf = append(buf, `,"type":"normal"},`...)
	}
	buf = append(buf[:len(buf)-1], `]}`...)
	out(store.In, store.Text, buf)
	for _, a := range []string{"SpeakerChangeNotify", "InviteResultNotify", "WaitingListNotify", "InterpreterGroupNotify"} {
		head(a, false)
		if a != "SpeakerChangeNotify" {
			buf = append(buf, `,"data":[]`...)
		}
		out(store.In, store.Text, append(buf, '}'))
	}

	end := t0.Add(o.Duration)
	mean := o.Duration / time.Duration(max(o.Frames, 1))
	nextBeat := t0.Add(time.Minute)
	waiting := 0
	locked, recording := false, true
	for {
		t = t.Add(time.Duration(rng.Int63n(int64(2*mean) + 1)))
		if !t.Before(end) {
			break
		}
		if !t.Before(nextBeat) {
			seq := `{"action":"HeartBeat","sequence":"` + strconv.FormatInt(t.UnixMilli(), 10) + `"}`
			out(store.Out, store.Text, []byte(seq))
			out(store.In, store.Text, []byte(seq))
			nextBeat = nextBeat.Add(time.Minute)
			st.Heartbeats++
			continue
		}
		in := present()
		switch r := rng.Intn(1000); {
		case r < 140 || len(in) == 0: // the loudest speakers
			head("SpeakerChangeNotify", false)
			if n := rng.Intn(4); n > 0 && len(in) > 0 {
				buf = append(buf, `,"data":[`...)
				vol := 90
				for range n {
					p := in[rng.Intn(len(in))]
					vol -= rng.Intn(20)
					buf = append(buf, `{"pid":"`...)
					buf = append(buf, p.pid...)
					buf = append(buf, `","name":"`...)
					buf = append(buf, p.name...)
					buf = append(buf, `","speakingVolume":`...)
					buf = strconv.AppendInt(buf, int64(vol), 10)
					buf = append(buf, `},`...)
				}
				buf = append(buf[:len(buf)-1], ']')
			}
			out(store.In, store.Text, append(buf, '}'))
			st.SpeakerLists++
		case r < 180: // media quality
			p := in[rng.Intn(len(in))]
			head("NetConditionNotify", true)
			buf = append(buf, `,"data":[{"mode":0,"participantID":"`...)
			buf = append(buf, p.pid...)
			buf = append(buf, `","netInfo":"good","lostPacketRate":"0","delay":"`...)
			buf = strconv.AppendInt(buf, int64(20+rng.Intn(80)), 10)
			buf = append(buf, `","jitter":"3","fluxIn":"1850","fluxOut":"1920","bandwidth":4096,"audioCodecType":"AACLD","videoCodecType":"H264HP"}]}`...)
			out(store.In, store.Text, buf)
		case r < 186: // someone leaves (with a reason) or comes (back)
			if len(in) > o.Participants*8/10 && rng.Intn(2) == 0 || len(in) == o.Participants {
				p := in[rng.Intn(len(in))]
				if p == people[0] {
					continue
				}
				p.present, p.share, p.hand = false, false, false
				st.Leaves++
				head("ParticipantsNotify", true)
				buf = append(buf, `,"data":[{"pid":"`...)
				buf = append(buf, p.pid...)
				out(store.In, store.Text, append(buf, `","mode":1}]}`...))
				head("InviteResultNotify", true)
				buf = append(buf, `,"data":[{"callNumber":"`...)
				buf = append(buf, p.tel...)
				out(store.In, store.Text, append(buf, `","resultCode":"11076010"}]}`...))
			} else {
				var out1 []*person
				for _, p := range people {
					if !p.present {
						out1 = append(out1, p)
					}
				}
				p := out1[rng.Intn(len(out1))]
				p.present, p.mute = true, rng.Intn(2) == 0
				st.Joins++
				head("ParticipantsNotify", true)
				buf = append(buf, `,"data":[`...)
				fullItem(p)
				out(store.In, store.Text, append(buf, `]}`...))
			}
		case r < 187: // the meeting's lock or recording
			head("ConfDynamicInfoNotify", true)
			if rng.Intn(2) == 0 {
				locked = !locked
				buf = append(buf, `,"lock":`...)
				buf = append(buf, bit(locked)...)
			} else {
				recording = !recording
				buf = append(buf, `,"recState":`...)
				buf = append(buf, bit(recording)...)
			}
			out(store.In, store.Text, append(buf, '}'))
		case r < 189: // the waiting room
			head("WaitingListNotify", true)
			buf = append(buf, `,"data":[{"pid":"w`...)
			if waiting > 0 && rng.Intn(2) == 0 {
				buf = strconv.AppendInt(buf, int64(waiting), 10)
				buf = append(buf, `","mode":1}]}`...)
				waiting--
			} else {
				waiting++
				buf = strconv.AppendInt(buf, int64(waiting), 10)
				buf = append(buf, `","mode":0,"pinfoMap":{"NAME":"Guest `...)
				buf = strconv.AppendInt(buf, int64(waiting), 10)
				buf = append(buf, `","WAITINGSTATE":"0","CLIENT_LOGIN_TYPE":"Mobile"}}]}`...)
			}
			out(store.In, store.Text, buf)
		case r < 190: // host handover
			p := in[rng.Intn(len(in))]
			var host *person
			for _, q := range in {
				if q.role == '1' {
					host = q
				}
			}
			if host == nil || host == p {
				continue
			}
			host.role, p.role = '0', '1'
			head("ParticipantsNotify", true)
			buf = append(buf, `,"data":[{"pid":"`...)
			buf = append(buf, host.pid...)
			buf = append(buf, `","mode":0,"pinfoMap":{"ROLE":"0"}},{"pid":"`...)
			buf = append(buf, p.pid...)
			out(store.In, store.Text, append(buf, `","mode":0,"pinfoMap":{"ROLE":"1"}}]}`...))
		default: // attribute changes of one to five people
			head("ParticipantsNotify", true)
			buf = append(buf, `,"data":[`...)
			n := 1
			if rng.Intn(5) == 0 {
				n += rng.Intn(4)
			}
			for range n {
				p := in[rng.Intn(len(in))]
				buf = append(buf, `{"pid":"`...)
				buf = append(buf, p.pid...)
				buf = append(buf, `","mode":0,"pinfoMap":{`...)
				switch rng.Intn(10) {
				case 0, 1, 2, 3, 4:
					p.mute = !p.mute
					kv("MUTE", bit(p.mute))
				case 5, 6:
					p.hand = !p.hand
					kv("HAND", bit(p.hand))
				case 7, 8:
					p.cam = !p.cam
					kv("CAMERASTATE", bit(p.cam))
				default:
					p.share = !p.share
					kv("SHARE", bit(p.share))
				}
				buf = append(buf[:len(buf)-1], `}},`...)
			}
			out(store.In, store.Text, append(buf[:len(buf)-1], `]}`...))
		}
	}
	t = end
	head("ConfDynamicInfoNotify", false)
	buf = append(buf, `,"state":"Destroyed","mode":"FREE","vas":1,"lock":0,"mute":0,"lockSharing":0,"recState":0,"realTimeSubtitle":0,"picNum":9}`...)
	out(store.In, store.Text, buf)
	t = t.Add(300 * time.Millisecond)
	out(store.In, store.Close, store.ClosePayload(1000, ""))
	return st
}

// storeSynth records a synthetic meeting as one session.
func storeSynth(tb testing.TB, db *store.DB, confID string, o synthOptions) synthStats {
	tb.Helper()
	ctx := context.Background()
	t0 := time.UnixMilli(1742263200000).UTC()
	sid, err := db.BeginSession(ctx, confID, store.Session{Start: t0, URL: "wss://example.invalid/conn"})
	if err != nil {
		tb.Fatal(err)
	}
	batch := make([]store.Frame, 0, 8192)
	var last time.Time
	flush := func() {
		if err := db.Append(ctx, confID, batch...); err != nil {
			tb.Fatal(err)
		}
		batch = batch[:0]
	}
	st := synthMeeting(o, func(f store.Frame) {
		f.Session = sid
		last = f.Time
		batch = append(batch, f)
		if len(batch) == cap(batch) {
			flush()
		}
	})
	flush()
	if err := db.EndSession(ctx, confID, sid, last, store.SessionEnd{Reason: "meeting-ended", CloseCode: 1000}); err != nil {
		tb.Fatal(err)
	}
	return st
}

// TestSynthMeeting checks the generator against the fold on a small
// meeting: no unknown frames, gaps or duplicates, as many presences as
// joins, and the attendance invariants.
func TestSynthMeeting(t *testing.T) {
	db := newFoldDB(t)
	st := storeSynth(t, db, "synth", synthOptions{Participants: 40, Duration: time.Hour, Frames: 20000, Seed: 1})
	att := replay.NewAttendance()
	kinds := map[replay.EventKind]int{}
	_, f, err := replay.Reconstruct(db, "synth", func(ev *replay.Event) error {
		kinds[ev.Kind]++
		att.Add(ev)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	att.Finish(f.End())
	for _, k := range []replay.EventKind{replay.EventUnknown, replay.EventVersionGap, replay.EventDuplicateMsg} {
		if kinds[k] != 0 {
			t.Errorf("%d events %s", kinds[k], k)
		}
	}
	if got := len(att.Presences()); got != st.Joins || kinds[replay.EventLeft] != st.Leaves {
		t.Errorf("%d presences and %d leaves, generated %d joins and %d leaves", got, kinds[replay.EventLeft], st.Joins, st.Leaves)
	}
	for _, k := range []replay.EventKind{replay.EventMuted, replay.EventHandRaised, replay.EventCameraOn, replay.EventSharingStarted,
		replay.EventRoleChanged, replay.EventSpeakerStarted, replay.EventRejoined, replay.EventInviteResult, replay.EventWaitingJoined} {
		if kinds[k] == 0 {
			t.Errorf("no %s events", k)
		}
	}
	if !f.End().Equal(time.UnixMilli(1742263200000).Add(time.Hour).UTC()) {
		t.Errorf("End = %v", f.End())
	}
	t.Logf("%+v, events %v", st, kinds)
}

// BenchmarkReconstruct reconstructs a synthetic 10-hour meeting of 500
// participants and about a million frames (-synth.frames), and exports its
// attendance; baseline_map walks the same frames decoding each payload
// into a map[string]any, for the ratio. Both report frames/s and the peak
// heap in use (sampled).
func BenchmarkReconstruct(b *testing.B) {
	frames := *synthFramesFlag
	if testing.Short() {
		frames = min(frames, 100_000)
	}
	db := newFoldDB(b)
	start := time.Now()
	st := storeSynth(b, db, "synth", synthOptions{Participants: 500, Duration: 10 * time.Hour, Frames: frames, Seed: 1})
	b.Logf("generated and stored %d frames in %v", st.Frames, time.Since(start).Round(time.Millisecond))

	var fold, base float64
	b.Run("fold_and_attendance", func(b *testing.B) {
		b.ReportAllocs()
		var peak uint64
		for range b.N {
			att := replay.NewAttendance()
			events := 0
			_, f, err := replay.Reconstruct(db, "synth", func(ev *replay.Event) error {
				att.Add(ev)
				if events++; events%65536 == 0 {
					peak = max(peak, heapInUse())
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			att.Finish(f.End())
			if len(att.Presences()) == 0 || len(att.Summary()) == 0 {
				b.Fatal("no attendance")
			}
			peak = max(peak, heapInUse())
		}
		fold = float64(st.Frames) * float64(b.N) / b.Elapsed().Seconds()
		b.ReportMetric(fold, "frames/s")
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	})
	b.Run("baseline_map", func(b *testing.B) {
		b.ReportAllocs()
		var peak uint64
		for range b.N {
			c, err := db.Frames("synth", nil)
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for c.Next() {
				fr := c.Frame()
				if fr.Op != store.Text {
					continue
				}
				var m map[string]any
				_ = json.Unmarshal(fr.Payload, &m)
				if n++; n%65536 == 0 {
					peak = max(peak, heapInUse())
				}
			}
			if err := c.Err(); err != nil {
				b.Fatal(err)
			}
			c.Close()
		}
		base = float64(st.Frames) * float64(b.N) / b.Elapsed().Seconds()
		b.ReportMetric(base, "frames/s")
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	})
	if base > 0 {
		b.Logf("fold+attendance %.0f frames/s, baseline map decode %.0f frames/s: ratio %.2f", fold, base, fold/base)
	}
}

func heapInUse() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}
