package main

import (
	"context"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/events/forward"
)

// nudgeEvery is how often, while the broker is unreachable, a projection of this server is told
// the log head; silentTicks such intervals are how long the bus may stay silent while the log
// moves before it is told too.
const (
	nudgeEvery  = 100 * time.Millisecond
	silentTicks = 10
)

// subscribe is the projections' subscription: the bus, under this instance's consumer name.
func (s *server) subscribe(ctx context.Context, consumer string) (<-chan *message.Message, error) {
	msgs, err := s.bus.Subscribe(ctx, s.cfg.EventsTopic(), consumer+"@"+s.cfg.Instance)
	if err != nil || s.bus.Kind() == "mem" {
		return msgs, err
	}
	return withLogNudges(ctx, msgs, s.store, func() bool { return s.bus.Check() != nil }, nudgeEvery), nil
}

// withLogNudges passes the bus messages on and adds, when the bus cannot be relied on, an empty
// batch ending at the log head: every interval while down() reports the broker unreachable, and
// every silentTicks intervals while the bus is up but silent although the log moved (a subscription not back
// yet, a stuck forwarder). The runner reads what such a batch does not hold back from the log (a
// gap), so this server's projections, and the commands that wait for them to read their own
// writes, keep up with the log during a broker outage. The forwarder's batches that arrive later
// are skipped by the runner: each event is still applied once.
func withLogNudges(ctx context.Context, msgs <-chan *message.Message, log events.Reader, down func() bool, every time.Duration) <-chan *message.Message {
	out := make(chan *message.Message)
	go func() {
		defer close(out)
		t := time.NewTicker(every)
		defer t.Stop()
		var (
			last    events.Position // head of the last nudge
			lastMsg = time.Now()    // when the bus last delivered
			tick    int
		)
		for {
			select {
			case <-ctx.Done():
				return
			case m, ok := <-msgs:
				if !ok {
					return
				}
				lastMsg = time.Now()
				select {
				case out <- m:
				case <-ctx.Done():
					m.Nack()
					return
				}
				continue
			case <-t.C:
			}
			tick++
			isDown := down()
			if !isDown && (time.Since(lastMsg) < silentTicks*every || tick%silentTicks != 0) {
				continue
			}
			head, err := log.Head(ctx)
			// Again at the same head only now and then, in case a catch-up failed.
			if err != nil || head == 0 || (head == last && (!isDown || tick%silentTicks != 0)) {
				continue
			}
			m, err := forward.Message(forward.Batch{From: head, To: head})
			if err != nil {
				continue
			}
			m.SetContext(ctx)
			select {
			case out <- m:
				last = head
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}
