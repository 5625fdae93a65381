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

	// decoded holds payloads handed by the writer (Decoded) by position, until folded
	hmu     sync.Mutex
	decoded map[events.Position]any
}

// DecodedApplier is a projector that can fold events whose payloads are already decoded:
// payloads[i], when not nil, is what the catalogue decodes batch[i]'s payload into.
type DecodedApplier interface {
	ApplyDecoded(ctx context.Context, batch []events.Envelope, payloads []any) error
}

// maxDecoded bounds the payloads an Inline keeps for events it has not read yet.
const maxDecoded = 100_000

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
		if err := f.apply(ctx, batch); err != nil {
			return fmt.Errorf("projection %s: apply %d..%d: %w", f.p.Name(), batch[0].GlobalPosition, batch[len(batch)-1].GlobalPosition, err)
		}
		f.pos = batch[len(batch)-1].GlobalPosition
	}
}

// Decoded hands the Inline the payloads of events just appended at positions (payloads[i] is
// the decoding of the event at positions[i]; nil: unknown), so that its fold does not decode
// them again (commands.Config.Decoded). A projector that is no DecodedApplier ignores them.
func (f *Inline) Decoded(positions []events.Position, payloads []any) {
	if _, ok := f.p.(DecodedApplier); !ok {
		return
	}
	f.hmu.Lock()
	defer f.hmu.Unlock()
	if f.decoded == nil {
		f.decoded = map[events.Position]any{}
	}
	if len(f.decoded)+len(positions) > maxDecoded {
		clear(f.decoded) // not read for long (another fold may have read them): decode instead
	}
	for i, pos := range positions {
		if i < len(payloads) && payloads[i] != nil {
			f.decoded[pos] = payloads[i]
		}
	}
}

// apply folds one batch, with the payloads Decoded handed for it.
func (f *Inline) apply(ctx context.Context, batch []events.Envelope) error {
	da, ok := f.p.(DecodedApplier)
	if !ok {
		return f.p.Apply(ctx, batch)
	}
	var payloads []any
	f.hmu.Lock()
	if len(f.decoded) > 0 {
		payloads = make([]any, len(batch))
		for i := range batch {
			pos := batch[i].GlobalPosition
			if v, ok := f.decoded[pos]; ok {
				payloads[i] = v
				delete(f.decoded, pos)
			}
		}
		if last := batch[len(batch)-1].GlobalPosition; len(f.decoded) > 0 {
			for pos := range f.decoded { // handed after this fold had read them
				if pos <= last {
					delete(f.decoded, pos)
				}
			}
		}
	}
	f.hmu.Unlock()
	if payloads == nil {
		return f.p.Apply(ctx, batch)
	}
	return da.ApplyDecoded(ctx, batch, payloads)
}

// Position is the last position applied.
func (f *Inline) Position() events.Position {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.pos
}
