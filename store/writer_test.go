package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/confrec/confrec/store"
	bolt "go.etcd.io/bbolt"
)

// TestWriterPipeline drives the writer with a seeded mix of every request
// across many short batches, so that a batch is prepared while the one
// before commits (FlushInterval 1ms): frames of assorted sizes over eight
// meetings, flushes, sessions begun and ended, labels, deletes, holds. A
// model of what each meeting must hold is checked against the file, then
// again after reopening it and appending more (the writer then reads the
// meetings' metadata and last blocks from the file).
func TestWriterPipeline(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			testWriterPipeline(t, seed)
		})
	}
}

func testWriterPipeline(t *testing.T, seed uint64) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(seed, 42))
	path := filepath.Join(t.TempDir(), "confrec.db")
	db := openAt(t, path, &store.Options{FlushInterval: time.Millisecond, NoSync: true})
	ids := []string{"m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7"}
	want := map[string][][]byte{}   // payloads each meeting holds
	sessions := map[string]uint32{} // sessions each meeting holds
	held := map[string]bool{}
	n := 0
	frame := func() store.Frame {
		n++
		size := []int{0, 10, 300, 1500, 3000, 9000}[rng.IntN(6)]
		p := fmt.Appendf(nil, "frame %d ", n)
		p = append(p, bytes.Repeat([]byte{byte('a' + n%26)}, size)...)
		return store.Frame{Time: t0.Add(time.Duration(n) * time.Millisecond), Dir: store.In, Op: store.Text, Payload: p}
	}
	for range 3000 {
		id := ids[rng.IntN(len(ids))]
		switch k := rng.IntN(100); {
		case k < 80:
			f := frame()
			must(t, db.Enqueue(id, f))
			want[id] = append(want[id], f.Payload)
		case k < 84:
			must(t, db.Flush(ctx))
		case k < 88:
			sid, err := db.BeginSession(ctx, id, store.Session{Start: t0})
			must(t, err)
			if sid != sessions[id]+1 {
				t.Fatalf("%s: session %d, want %d", id, sid, sessions[id]+1)
			}
			sessions[id] = sid
			if _, ok := want[id]; !ok {
				want[id] = [][]byte{}
			}
		case k < 91:
			err := db.EndSession(ctx, id, 1, t0, store.SessionEnd{Reason: "stopped"})
			if sessions[id] == 0 && !errors.Is(err, store.ErrSessionNotFound) {
				t.Fatalf("%s: end of a session never begun: %v", id, err)
			} else if sessions[id] > 0 && err != nil {
				t.Fatal(err)
			}
		case k < 93:
			must(t, db.SetLabel(id, "title", fmt.Sprint("t", n)))
			if _, ok := want[id]; !ok {
				want[id] = [][]byte{}
			}
		case k < 95:
			err := db.SetHold(ctx, id, store.Hold{Reason: "case"})
			if _, ok := want[id]; ok != (err == nil) {
				t.Fatalf("%s: hold: %v (meeting exists: %v)", id, err, ok)
			}
			held[id] = err == nil
		case k < 97:
			err := db.ReleaseHold(ctx, id)
			if held[id] != (err == nil) {
				t.Fatalf("%s: release: %v (held: %v)", id, err, held[id])
			}
			held[id] = false
		default:
			err := db.DeleteMeeting(ctx, id)
			_, exists := want[id]
			switch {
			case !exists && !errors.Is(err, store.ErrMeetingNotFound),
				exists && held[id] && !errors.Is(err, store.ErrHeld),
				exists && !held[id] && err != nil:
				t.Fatalf("%s: delete: %v (exists %v, held %v)", id, err, exists, held[id])
			case err == nil:
				delete(want, id)
				delete(sessions, id)
			}
		}
	}
	must(t, db.Flush(ctx))
	check := func(db *store.DB) {
		t.Helper()
		for _, id := range ids {
			m, err := db.Meeting(id)
			payloads, exists := want[id]
			if !exists {
				if !errors.Is(err, store.ErrMeetingNotFound) {
					t.Errorf("%s: deleted, but Meeting returns %v", id, err)
				}
				continue
			}
			must(t, err)
			if m.Frames != uint64(len(payloads)) || m.SessionCount != sessions[id] || (m.Hold != nil) != held[id] {
				t.Errorf("%s: %d frames, %d sessions, hold %v; want %d, %d, %v", id, m.Frames, m.SessionCount, m.Hold != nil, len(payloads), sessions[id], held[id])
			}
			got := readAll(t, db, id, nil)
			if len(got) != len(payloads) {
				t.Fatalf("%s: %d frames read, want %d", id, len(got), len(payloads))
			}
			for i, f := range got {
				if f.Seq != uint64(i+1) || !bytes.Equal(f.Payload, payloads[i]) {
					t.Fatalf("%s: frame %d is seq %d %.20q, want seq %d %.20q", id, i, f.Seq, f.Payload, i+1, payloads[i])
				}
			}
			if err := db.Verify(id); err != nil {
				t.Errorf("%s: %v", id, err)
			}
		}
	}
	check(db)
	must(t, db.Close())

	db = openAt(t, path, &store.Options{FlushInterval: time.Millisecond, NoSync: true})
	for range 200 {
		id := ids[rng.IntN(len(ids))]
		f := frame()
		must(t, db.Enqueue(id, f))
		want[id] = append(want[id], f.Payload)
	}
	must(t, db.Flush(ctx))
	check(db)
}

// TestBlocksFillAcrossCommits: a meeting that gets one small frame per
// commit still packs them into full blocks, whether the writer remembers
// the last block from the batch before or reads it from the file.
func TestBlocksFillAcrossCommits(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "confrec.db")
	db := openAt(t, path, &store.Options{NoSync: true})
	want := textFrames(0, 400)
	for i, f := range want {
		must(t, db.Append(ctx, "m", f))
		if i%50 == 0 { // a few commits for another meeting in between
			for range 3 {
				must(t, db.Append(ctx, "other", textFrame(i)))
			}
		}
	}
	must(t, db.Verify("m"))
	checkFrames(t, readAll(t, db, "m", nil), want, 1)
	must(t, db.Close())

	bdb, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	must(t, err)
	defer bdb.Close()
	var keys, bytes int
	must(t, bdb.View(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("m")).Bucket(store.FramesBucket).ForEach(func(k, v []byte) error {
			keys++
			bytes += len(v)
			return nil
		})
	}))
	// About 50 bytes an entry, blocks of up to half a 4 KiB page: 6 to 12
	// blocks; one a commit would be 400.
	if keys > 2*bytes/1900+2 {
		t.Errorf("%d frames in %d blocks (%d bytes): blocks are not filled across commits", len(want), keys, bytes)
	}
}

// TestDeleteWhileQueued deletes a meeting while frames for it keep coming:
// those queued after the delete start the meeting anew (seq 1, a fresh
// chain) even when the writer prepares them while the delete commits.
func TestDeleteWhileQueued(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, &store.Options{FlushInterval: time.Millisecond})
	for round := range 20 {
		must(t, db.Append(ctx, "m", textFrames(0, 50)...))
		deleted := make(chan error, 1)
		go func() { deleted <- db.DeleteMeeting(ctx, "m") }()
		sent := 0
		for ; sent < 300; sent++ {
			must(t, db.Enqueue("m", textFrame(100+sent)))
		}
		must(t, <-deleted)
		must(t, db.Flush(ctx))
		m, err := db.Meeting("m")
		if errors.Is(err, store.ErrMeetingNotFound) {
			continue // every frame was queued before the delete
		}
		must(t, err)
		got := readAll(t, db, "m", nil)
		if m.Frames != uint64(len(got)) || len(got) > sent {
			t.Fatalf("round %d: metadata counts %d frames, %d stored, %d sent", round, m.Frames, len(got), sent)
		}
		// What is left is the last frames sent, numbered from 1.
		checkFrames(t, got, textFrames(100+sent-len(got), len(got)), 1)
		if err := db.Verify("m"); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		must(t, db.DeleteMeeting(ctx, "m"))
	}
}
