package projections

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/infrahub-go/infrahub/events"
)

// inlineBatch is how many events an Inline reads from the log at a time.
const inlineBatch = 5000

// Inline folds the log into one projector in the caller's goroutine, on demand: WaitFor applies
// everything the log holds after the last position applied. It gives tests, the bench and tools a
// current projection without a Runner and a bus; a server runs a Runner.
type Inline struct {
	log events.Reader
	p   Projector
	mu  sync.Mutex
	pos events.Position
}

// NewInline returns an Inline that folds log into p, from p's own position when it has one
// (a projector restored from a snapshot), else from the start.
func NewInline(log events.Reader, p Projector) *Inline {
	f := &Inline{log: log, p: p}
	if pp, ok := p.(Positioned); ok {
		f.pos = pp.Position()
	}
	return f
}

// WaitFor folds the log into the projector until it has applied pos and everything the log held
// when it started reading.
func (f *Inline) WaitFor(ctx context.Context, pos events.Position) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for {
		batch, err := f.log.ReadAll(ctx, f.pos, inlineBatch)
		if err != nil {
			return fmt.Errorf("projection %s: read after %d: %w", f.p.Name(), f.pos, err)
		}
		if len(batch) == 0 {
			if f.pos >= pos {
				return nil
			}
			// Not readable yet: an older transaction still commits (PostgreSQL readers never
			// skip it), or pos is beyond the head.
			head, err := f.log.Head(ctx)
			if err != nil {
				return fmt.Errorf("projection %s: %w", f.p.Name(), err)
			}
			if pos > head {
				return fmt.Errorf("projection %s: position %d is beyond the log head %d", f.p.Name(), pos, head)
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("projection %s: wait for %d: %w", f.p.Name(), pos, ctx.Err())
			case <-time.After(time.Millisecond):
			}
			continue
		}
		if err := f.p.Apply(ctx, batch); err != nil {
			return fmt.Errorf("projection %s: apply %d..%d: %w", f.p.Name(), batch[0].GlobalPosition, batch[len(batch)-1].GlobalPosition, err)
		}
		f.pos = batch[len(batch)-1].GlobalPosition
	}
}

// Position is the last position applied.
func (f *Inline) Position() events.Position {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.pos
}
