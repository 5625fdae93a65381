// Package counter is a small in-memory projector that counts events: in total, per type and
// per stream. It exercises the log, the bus and the runner end to end and backs diagnostics.
package counter

import (
	"context"
	"fmt"
	"maps"
	"sync"

	"github.com/infrahub-go/infrahub/events"
)

// Name and Version of the projector.
const (
	Name    = "counter"
	Version = 1
)

// Counter counts the events it is given. It is not durable: a runner rebuilds it from the log
// at start. The zero value is ready to use.
type Counter struct {
	mu       sync.Mutex
	total    int64
	byType   map[string]int64
	byStream map[events.StreamID]int64
	last     events.Position
}

// Snapshot is a copy of the counts.
type Snapshot struct {
	Total    int64                     `json:"total"`
	ByType   map[string]int64          `json:"by_type"`
	ByStream map[events.StreamID]int64 `json:"by_stream"`
	Last     events.Position           `json:"last"` // position of the last event counted
}

// New returns an empty counter.
func New() *Counter { return &Counter{} }

// Name implements projections.Projector.
func (c *Counter) Name() string { return Name }

// Version implements projections.Projector.
func (c *Counter) Version() int { return Version }

// Apply counts batch. Positions must grow: a position at or below the last one counted is an
// error (and nothing of the batch is counted), which makes a runner that delivers an event
// twice or out of order visible.
func (c *Counter) Apply(_ context.Context, batch []events.Envelope) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	prev := c.last
	for _, e := range batch {
		if e.GlobalPosition <= prev {
			return fmt.Errorf("counter: position %d after %d", e.GlobalPosition, prev)
		}
		prev = e.GlobalPosition
	}
	if c.byType == nil {
		c.byType, c.byStream = map[string]int64{}, map[events.StreamID]int64{}
	}
	for _, e := range batch {
		c.byType[e.Type]++
		c.byStream[e.Stream]++
	}
	c.total += int64(len(batch))
	c.last = prev
	return nil
}

// Reset implements projections.Resetter.
func (c *Counter) Reset(context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.total, c.last, c.byType, c.byStream = 0, 0, nil, nil
	return nil
}

// Snapshot returns a copy of the counts.
func (c *Counter) Snapshot() Snapshot {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := Snapshot{Total: c.total, Last: c.last, ByType: maps.Clone(c.byType), ByStream: maps.Clone(c.byStream)}
	if s.ByType == nil {
		s.ByType, s.ByStream = map[string]int64{}, map[events.StreamID]int64{}
	}
	return s
}
