package export_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/confrec/confrec/export"
	"github.com/confrec/confrec/interchange"
	"github.com/confrec/confrec/store"
)

var t0 = time.Date(2025, 3, 18, 2, 0, 0, 123456789, time.UTC)

// testFrames are the frames every export test stores: one of each kind an
// export must carry exactly.
func testFrames() []store.Frame {
	big := bytes.Repeat([]byte("x"), 5<<20)
	big = append(append([]byte(`{"action":"ParticipantsNotify","msgID":"m-big","data":"`), big...), `"}`...)
	return []store.Frame{
		{Time: t0, Session: 1, Dir: store.Out, Op: store.Text, Payload: []byte(`{"action":"Subscribe","sequence":"1","data":"{}"}`)},
		{Time: t0.Add(time.Millisecond), Session: 1, Dir: store.In, Op: store.Text, Payload: []byte(`{"action":"ConfBasicInfoNotify","msgID":"m1","title":"周会 <Q1> & \"plan\"\n\ttab"}`)},
		{Time: t0.Add(2 * time.Millisecond), Session: 1, Dir: store.In, Op: store.Text, Payload: []byte("{not json")},
		{Time: t0.Add(3 * time.Millisecond), Session: 1, Dir: store.In, Op: store.Text, Payload: []byte("bad utf8 \xff\xfe end")},
		{Time: t0.Add(4 * time.Millisecond), Session: 1, Dir: store.In, Op: store.Binary, Payload: []byte{0, 1, 2, 0xff, '\n'}},
		{Time: t0.Add(5 * time.Millisecond), Session: 1, Dir: store.In, Op: store.Text, Payload: []byte{}},
		{Time: t0.Add(6 * time.Millisecond), Session: 1, Dir: store.In, Op: store.Text, Payload: big},
		{Time: t0.Add(7 * time.Millisecond), Session: 1, Dir: store.In, Op: store.Close, Payload: store.ClosePayload(1000, "meeting ended")},
	}
}

func openStore(t *testing.T, frames []store.Frame) *store.DB {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "test.db"), &store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Append(context.Background(), "986512347", frames...); err != nil {
		t.Fatal(err)
	}
	return db
}

// payloadOf recovers the exact payload bytes from an exported record.
func payloadOf(t *testing.T, r interchange.FrameRecord) []byte {
	t.Helper()
	switch {
	case r.Payload != nil && r.PayloadBase64 != nil:
		t.Fatalf("frame %d has both payload and payload_base64", r.Seq)
	case r.Payload != nil:
		return []byte(*r.Payload)
	case r.PayloadBase64 != nil:
		b, err := base64.StdEncoding.DecodeString(*r.PayloadBase64)
		if err != nil {
			t.Fatalf("frame %d: %v", r.Seq, err)
		}
		return b
	}
	t.Fatalf("frame %d has no payload field", r.Seq)
	return nil
}

// decodeExport parses an export in any format back into records.
func decodeExport(t *testing.T, format export.Format, b []byte) []interchange.FrameRecord {
	t.Helper()
	var out []interchange.FrameRecord
	switch format {
	case export.JSONL:
		for line := range bytes.Lines(b) {
			var r interchange.FrameRecord
			if err := json.Unmarshal(line, &r); err != nil {
				t.Fatalf("line %q: %v", line[:min(len(line), 80)], err)
			}
			out = append(out, r)
		}
	case export.JSON:
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatal(err)
		}
	case export.CSV:
		rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"seq", "time", "session", "dir", "opcode", "action", "msg_id", "size", "payload", "payload_base64", "close_code", "close_reason"}
		if !equalStrings(rows[0], want) {
			t.Fatalf("CSV header %v, want %v", rows[0], want)
		}
		for _, row := range rows[1:] {
			seq, _ := strconv.ParseUint(row[0], 10, 64)
			session, _ := strconv.ParseUint(row[2], 10, 32)
			size, _ := strconv.Atoi(row[7])
			code, _ := strconv.Atoi(row[10])
			r := interchange.FrameRecord{Seq: seq, Time: row[1], Session: uint32(session), Dir: row[3], Opcode: row[4],
				Action: row[5], MsgID: row[6], Size: size, CloseCode: code, CloseReason: row[11]}
			if row[9] != "" || row[4] != "text" {
				r.PayloadBase64 = &row[9]
			} else {
				r.Payload = &row[8]
			}
			out = append(out, r)
		}
	}
	return out
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestFramesExactPayloads(t *testing.T) {
	frames := testFrames()
	db := openStore(t, frames)
	for _, format := range []export.Format{export.JSONL, export.JSON, export.CSV} {
		t.Run(string(format), func(t *testing.T) {
			var buf bytes.Buffer
			if err := export.Frames(&buf, db, "986512347", &export.FramesOptions{Format: format}); err != nil {
				t.Fatal(err)
			}
			got := decodeExport(t, format, buf.Bytes())
			if len(got) != len(frames) {
				t.Fatalf("exported %d frames, want %d", len(got), len(frames))
			}
			for i, r := range got {
				f := frames[i]
				if p := payloadOf(t, r); !bytes.Equal(p, f.Payload) {
					t.Errorf("frame %d: payload differs (%d bytes, want %d)", i+1, len(p), len(f.Payload))
				}
				wantTime := f.Time.UTC().Format(time.RFC3339Nano)
				if pt, err := time.Parse(time.RFC3339Nano, r.Time); err != nil || pt.Format(time.RFC3339Nano) != wantTime {
					t.Errorf("frame %d: time %q, want %s", i+1, r.Time, wantTime)
				}
				if r.Seq != uint64(i+1) || r.Size != len(f.Payload) || r.Dir != f.Dir.String() || r.Opcode != f.Op.String() || r.Session != 1 {
					t.Errorf("frame %d: header %+v", i+1, r)
				}
			}
			if got[1].Action != "ConfBasicInfoNotify" || got[1].MsgID != "m1" {
				t.Errorf("action/msg_id of frame 2: %q %q", got[1].Action, got[1].MsgID)
			}
			if got[2].Action != "" {
				t.Errorf("frame that is not JSON got action %q", got[2].Action)
			}
			if last := got[len(got)-1]; last.CloseCode != 1000 || last.CloseReason != "meeting ended" {
				t.Errorf("close frame: code %d reason %q", last.CloseCode, last.CloseReason)
			}
		})
	}
}

func TestFramesFilters(t *testing.T) {
	db := openStore(t, testFrames())
	tests := []struct {
		name string
		opts export.FramesOptions
		want []uint64
	}{
		{"all", export.FramesOptions{}, []uint64{1, 2, 3, 4, 5, 6, 7, 8}},
		{"dir out", export.FramesOptions{Dir: store.Out}, []uint64{1}},
		{"dir in", export.FramesOptions{Dir: store.In}, []uint64{2, 3, 4, 5, 6, 7, 8}},
		{"action", export.FramesOptions{Actions: []string{"ConfBasicInfoNotify", "Subscribe"}}, []uint64{1, 2}},
		{"from", export.FramesOptions{From: t0.Add(6 * time.Millisecond)}, []uint64{7, 8}},
		{"to", export.FramesOptions{To: t0.Add(2 * time.Millisecond)}, []uint64{1, 2}},
		{"from to", export.FramesOptions{From: t0.Add(2 * time.Millisecond), To: t0.Add(4 * time.Millisecond)}, []uint64{3, 4}},
		{"empty range", export.FramesOptions{From: t0.Add(time.Hour)}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := export.Frames(&buf, db, "986512347", &tt.opts); err != nil {
				t.Fatal(err)
			}
			var got []uint64
			for _, r := range decodeExport(t, export.JSONL, buf.Bytes()) {
				got = append(got, r.Seq)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("seqs %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("seqs %v, want %v", got, tt.want)
				}
			}
		})
	}
}

func TestFramesErrors(t *testing.T) {
	db := openStore(t, testFrames()[:1])
	var buf bytes.Buffer
	if err := export.Frames(&buf, db, "nope", nil); !errors.Is(err, store.ErrMeetingNotFound) {
		t.Errorf("unknown meeting: %v, want ErrMeetingNotFound", err)
	}
	if err := export.Frames(&buf, db, "986512347", &export.FramesOptions{Format: "xml"}); !errors.Is(err, export.ErrFormat) {
		t.Errorf("unknown format: %v, want ErrFormat", err)
	}
	if _, err := export.ParseFormat("yaml", export.JSONL, export.CSV); !errors.Is(err, export.ErrFormat) {
		t.Errorf("ParseFormat: %v", err)
	}
}

func TestJSONMatchesEncodingJSON(t *testing.T) {
	// The hand-written JSON encoder must agree with encoding/json on every
	// string it escapes.
	db := openStore(t, testFrames())
	var buf bytes.Buffer
	if err := export.Frames(&buf, db, "986512347", &export.FramesOptions{Format: export.JSON}); err != nil {
		t.Fatal(err)
	}
	var generic []map[string]any
	if err := json.Unmarshal(buf.Bytes(), &generic); err != nil {
		t.Fatalf("export is not valid JSON: %v", err)
	}
	for i, rec := range generic {
		if _, ok := rec["seq"].(float64); !ok {
			t.Errorf("record %d: seq is %T", i, rec["seq"])
		}
	}
}

func TestCreateAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.jsonl")
	f, err := export.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("partial"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("final file exists before Commit: %v", err)
	}
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	f.Abort() // no-op after Commit
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("after Commit the directory holds %d entries, want only the output", len(entries))
	}

	g, err := export.Create(filepath.Join(dir, "aborted.csv"))
	if err != nil {
		t.Fatal(err)
	}
	g.Abort()
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("after Abort the directory holds %d entries, want 1", len(entries))
	}
	if _, err := export.Create(dir); err == nil {
		t.Error("Create on a directory succeeded")
	}
}

// TestCreateIgnoresPlantedTemp: a stale temporary file (mode 0644) or a
// symbolic link under the name "path.tmp" is never written through or
// renamed into place.
func TestCreateIgnoresPlantedTemp(t *testing.T) {
	dir := t.TempDir()
	stale := filepath.Join(dir, "stale.csv")
	if err := os.WriteFile(stale+".tmp", []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	victim := filepath.Join(dir, "victim")
	linked := filepath.Join(dir, "linked.csv")
	if err := os.Symlink(victim, linked+".tmp"); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{stale, linked} {
		f, err := export.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteString("data"); err != nil {
			t.Fatal(err)
		}
		if err := f.Commit(); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Lstat(path)
		if err != nil {
			t.Fatal(err)
		}
		if !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want a regular file with mode 0600", filepath.Base(path), fi.Mode())
		}
	}
	if _, err := os.Stat(victim); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the link's target was written: %v", err)
	}
}

// TestFramesInBatches exports meetings larger than one of the pipeline's
// batches, with filters that leave whole batches empty, and checks that
// every format keeps every kept frame, in order, exactly once.
func TestFramesInBatches(t *testing.T) {
	frames := func(n, size int) []store.Frame {
		out := make([]store.Frame, n)
		for i := range out {
			action := "Early"
			if i >= n*3/5 {
				action = "Late"
			}
			p := fmt.Appendf(nil, `{"action":%q,"msgID":"m%d","data":"%s"}`, action, i, strings.Repeat("x", size))
			out[i] = store.Frame{Time: t0.Add(time.Duration(i) * time.Millisecond), Dir: store.In, Op: store.Text, Payload: p}
		}
		return out
	}
	tests := []struct {
		name       string
		n, size    int
		actions    []string
		first, end int // kept frames: seqs first+1 … end
	}{
		{"one", 1, 10, nil, 0, 1},
		{"one batch", 256, 10, nil, 0, 256},
		{"one past a batch", 257, 10, nil, 0, 257},
		{"many batches", 1000, 10, nil, 0, 1000},
		{"first batches filtered out", 1000, 10, []string{"Late"}, 600, 1000},
		{"last batches filtered out", 1000, 10, []string{"Early"}, 0, 600},
		{"batches cut by size", 5, 300 << 10, nil, 0, 5},
	}
	for _, tt := range tests {
		db := openStore(t, frames(tt.n, tt.size))
		for _, format := range []export.Format{export.JSONL, export.JSON, export.CSV} {
			t.Run(tt.name+"/"+string(format), func(t *testing.T) {
				var buf bytes.Buffer
				var read int
				opts := &export.FramesOptions{Format: format, Actions: tt.actions, Progress: func(uint64) { read++ }}
				if err := export.Frames(&buf, db, "986512347", opts); err != nil {
					t.Fatal(err)
				}
				if read != tt.n {
					t.Errorf("progress saw %d frames, want %d", read, tt.n)
				}
				recs := decodeExport(t, format, buf.Bytes())
				if len(recs) != tt.end-tt.first {
					t.Fatalf("%d records, want %d", len(recs), tt.end-tt.first)
				}
				for i, r := range recs {
					if want := uint64(tt.first + i + 1); r.Seq != want {
						t.Fatalf("record %d is frame %d, want %d", i, r.Seq, want)
					}
					if want := fmt.Sprintf("m%d", tt.first+i); r.MsgID != want {
						t.Fatalf("record %d: msg_id %q, want %q", i, r.MsgID, want)
					}
				}
			})
		}
	}
}

// repeatedFrames returns n received frames of opcode op, a nanosecond
// apart, each with payload.
func repeatedFrames(n int, op store.Opcode, payload []byte) []store.Frame {
	frames := make([]store.Frame, n)
	for i := range frames {
		frames[i] = store.Frame{Time: t0.Add(time.Duration(i)), Dir: store.In, Op: op, Payload: payload}
	}
	return frames
}

// failingWriter fails every write after the first n bytes.
type failingWriter struct{ n int }

var errDiskFull = errors.New("disk full")

func (w *failingWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		k := w.n
		w.n = 0
		return k, errDiskFull
	}
	w.n -= len(p)
	return len(p), nil
}

// TestFramesWriteError stops at the first failed write, whatever the
// format, and says which meeting's export failed; TestMain's goleak check
// shows that no encoder is left running.
func TestFramesWriteError(t *testing.T) {
	db := openStore(t, repeatedFrames(2000, store.Binary, bytes.Repeat([]byte("y"), 4<<10)))
	for _, format := range []export.Format{export.JSONL, export.JSON, export.CSV} {
		for _, after := range []int{0, 100 << 10, 2 << 20} {
			t.Run(fmt.Sprintf("%s after %d", format, after), func(t *testing.T) {
				err := export.Frames(&failingWriter{n: after}, db, "986512347", &export.FramesOptions{Format: format})
				if !errors.Is(err, errDiskFull) || !strings.Contains(err.Error(), "986512347") {
					t.Fatalf("err = %v, want disk full naming the meeting", err)
				}
			})
		}
	}
}

// panicWriter panics on its first write.
type panicWriter struct{}

func (panicWriter) Write([]byte) (int, error) { panic("writer broke") }

// TestFramesPanics: a panic in the caller's writer or progress function
// reaches the caller of Frames, as if Frames ran in one goroutine, and
// leaves no goroutine behind (TestMain's goleak check).
func TestFramesPanics(t *testing.T) {
	db := openStore(t, repeatedFrames(2000, store.Text, bytes.Repeat([]byte("z"), 4<<10)))
	tests := []struct {
		name string
		w    io.Writer
		opts *export.FramesOptions
		want string
	}{
		{"writer", panicWriter{}, nil, "writer broke"},
		{"progress", io.Discard, &export.FramesOptions{Progress: func(seq uint64) {
			if seq == 700 {
				panic("progress at 700")
			}
		}}, "progress at 700"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if p := recover(); fmt.Sprint(p) != tt.want {
					t.Errorf("recovered %v, want %q", p, tt.want)
				}
			}()
			err := export.Frames(tt.w, db, "986512347", tt.opts)
			t.Errorf("Frames returned %v, want a panic", err)
		})
	}
}
