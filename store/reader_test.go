package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/confrec/confrec/store"
)

func TestReaderSharesTheOpenDB(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, nil)
	if err := db.Append(ctx, "m1", textFrames(0, 10)...); err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	h := db.Reader(rctx)
	checkFrames(t, readAll(t, h, "m1", nil), textFrames(0, 10), 1)

	// What db commits later, the handle sees.
	if err := db.Append(ctx, "m1", textFrames(10, 5)...); err != nil {
		t.Fatal(err)
	}
	checkFrames(t, readAll(t, h, "m1", nil), textFrames(0, 15), 1)

	if err := h.Append(ctx, "m1", textFrame(99)); !errors.Is(err, store.ErrReadOnly) {
		t.Errorf("Append on a reader = %v, want ErrReadOnly", err)
	}
	if err := h.CheckWritable(); !errors.Is(err, store.ErrReadOnly) {
		t.Errorf("CheckWritable on a reader = %v, want ErrReadOnly", err)
	}

	// Its context ends its reads, not db's.
	cancel()
	if _, err := h.Meetings(); !errors.Is(err, context.Canceled) {
		t.Errorf("Meetings after the reader's cancel = %v, want context.Canceled", err)
	}
	if _, err := db.Meetings(); err != nil {
		t.Errorf("Meetings of db after a reader's cancel: %v", err)
	}

	// Closing a handle leaves db open and writing.
	h2 := db.Reader(ctx)
	if err := h2.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := h2.Meetings(); !errors.Is(err, store.ErrClosed) {
		t.Errorf("Meetings on a closed reader = %v, want ErrClosed", err)
	}
	if err := db.Append(ctx, "m1", textFrame(15)); err != nil {
		t.Fatalf("Append after a reader closed: %v", err)
	}

	// Closing db ends every handle's reads.
	h3 := db.Reader(ctx)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := h3.Meeting("m1"); !errors.Is(err, store.ErrClosed) {
		t.Errorf("Meeting on a reader of a closed DB = %v, want ErrClosed", err)
	}
}

func TestCommitted(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, nil)
	h := db.Reader(ctx)
	ch := db.Committed()
	if h.Committed() != ch {
		t.Fatal("a reader's Committed is not its DB's")
	}
	select {
	case <-ch:
		t.Fatal("Committed is closed before any commit")
	default:
	}
	if err := db.Append(ctx, "m1", textFrame(0)); err != nil {
		t.Fatal(err)
	}
	// Append returns after its commit, which closed the channel.
	select {
	case <-ch:
	default:
		t.Fatal("Committed is still open after a commit")
	}
	next := db.Committed()
	if next == ch {
		t.Fatal("Committed after a commit returns the closed channel")
	}

	// A follower that reads to the end, then waits, misses nothing.
	cur, err := h.Frames("m1", nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []store.Frame
	for len(got) < 3 {
		wait := h.Committed()
		for cur.Next() {
			got = append(got, cur.Frame())
		}
		if err := cur.Err(); err != nil {
			t.Fatal(err)
		}
		if len(got) == 1 {
			if err := db.Append(ctx, "m1", textFrames(1, 2)...); err != nil {
				t.Fatal(err)
			}
		}
		if len(got) < 3 {
			<-wait
		}
	}
	checkFrames(t, got, textFrames(0, 3), 1)

	// Close closes the channel a waiter holds, and every later one.
	pending := db.Committed()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []<-chan struct{}{pending, db.Committed(), h.Committed()} {
		select {
		case <-c:
		default:
			t.Fatal("Committed is open after Close")
		}
	}
}
