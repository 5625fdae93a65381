package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/events/forward"
	"github.com/infrahub-go/infrahub/events/sqlite"
)

// The projections' subscription passes bus messages on; while the broker is down, or while the
// bus is silent although the log moved, it adds an empty batch at the log head (the runner reads
// the gap from the log); while the bus is up and delivering, nothing is added.
func TestLogNudges(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	log, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(t.TempDir(), "e.db")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	appendOne := func() events.Position {
		res, err := log.Append(ctx, "s", events.AnyVersion, events.Envelope{Type: "t.e", Payload: json.RawMessage(`{}`)})
		if err != nil {
			t.Fatal(err)
		}
		return res.Positions[0]
	}
	bus := make(chan *message.Message)
	var down atomic.Bool
	out := withLogNudges(ctx, bus, log, down.Load, 5*time.Millisecond)
	next := func(within time.Duration) (forward.Batch, bool) {
		select {
		case m := <-out:
			b, err := forward.DecodeMessage(m)
			if err != nil {
				t.Fatal(err)
			}
			m.Ack()
			return b, true
		case <-time.After(within):
			return forward.Batch{}, false
		}
	}

	// Up and delivering: bus messages pass, nothing is added.
	head := appendOne()
	stop := make(chan struct{})
	go func() {
		for {
			m, _ := forward.Message(forward.Batch{From: 0, To: head, Events: nil})
			select {
			case bus <- m:
			case <-stop:
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	for range 50 {
		if b, ok := next(time.Second); !ok || b.To != head || b.From != 0 {
			t.Fatalf("while the bus delivers: %+v %v", b, ok)
		}
	}
	close(stop)

	// Down: a batch at the head, again when the head moves.
	head = appendOne()
	down.Store(true)
	for {
		b, ok := next(5 * time.Second)
		if !ok {
			t.Fatal("no batch at the head while down")
		}
		if b.From == 0 {
			continue // the last bus message, sent as the feeder stopped
		}
		if b.From != head || b.To != head || len(b.Events) != 0 {
			t.Fatalf("while down: %+v", b)
		}
		break
	}
	head = appendOne()
	for {
		b, ok := next(5 * time.Second)
		if !ok {
			t.Fatal("no batch at the new head while down")
		}
		if b.To == head {
			break
		}
	}

	// Up but silent while the log moves (a subscription not back yet): a batch at the head too.
	down.Store(false)
	head = appendOne()
	for {
		b, ok := next(5 * time.Second)
		if !ok {
			t.Fatal("no batch while the bus is silent and the log moved")
		}
		if b.To == head {
			break
		}
	}
	// Up, silent, and the log still: nothing.
	if b, ok := next(300 * time.Millisecond); ok {
		t.Fatalf("a batch while nothing happened: %+v", b)
	}
}
