package main

import (
	"context"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/events/forward"
)

// nudgeEvery is how often, while the broker is unreachable, a projection of this server is told
// the log head.
const nudgeEvery = 100 * time.Millisecond

// subscribe is the projections' subscription: the bus, under this instance's consumer name.
func (s *server) subscribe(ctx context.Context, consumer string) (<-chan *message.Message, error) {
	msgs, err := s.bus.Subscribe(ctx, s.cfg.EventsTopic(), consumer+"@"+s.cfg.Instance)
	if err != nil || s.bus.Kind() == "mem" {
		return msgs, err
	}
	return withLogNudges(ctx, msgs, s.store, func() bool { return s.bus.Check() != nil }, nudgeEvery), nil
}

// withLogNudges passes the bus messages on and, while down() reports the broker unreachable,
// adds every interval an empty batch ending at the log head. The runner reads what such a batch
// does not hold back from the log (a gap), so this server's projections, and the commands that
// wait for them to read their own writes, keep up with the log during a broker outage. When the
// broker is back the forwarder's batches arrive again and the runner skips what it already has:
// each event is still applied once.
func withLogNudges(ctx context.Context, msgs <-chan *message.Message, log events.Reader, down func() bool, every time.Duration) <-chan *message.Message {
	out := make(chan *message.Message)
	go func() {
		defer close(out)
		t := time.NewTicker(every)
		defer t.Stop()
		var last events.Position
		quiet := 0 // ticks since the last nudge
		for {
			select {
			case <-ctx.Done():
				return
			case m, ok := <-msgs:
				if !ok {
					return
				}
				select {
				case out <- m:
				case <-ctx.Done():
					m.Nack()
					return
				}
				continue
			case <-t.C:
			}
			if !down() {
				continue
			}
			head, err := log.Head(ctx)
			quiet++
			// Again when the head moved, and now and then in case a catch-up failed.
			if err != nil || head == 0 || (head == last && quiet < 10) {
				continue
			}
			m, err := forward.Message(forward.Batch{From: head, To: head})
			if err != nil {
				continue
			}
			m.SetContext(ctx)
			select {
			case out <- m:
				last, quiet = head, 0
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}
