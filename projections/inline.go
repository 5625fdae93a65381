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
	if pos > 0 && f.pos >= pos {
		return nil // applied already (Decoded)
	}
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

// Decoded hands the Inline events just appended, as the log holds them, with their payloads
// decoded (payloads[i] for evs[i]; nil: unknown; commands.Config.Decoded). When they are the
// next events the projector needs (nothing it has not applied comes before them) and it is a
// DecodedApplier, they are applied now, without reading them back nor decoding them again;
// otherwise their payloads are kept for the fold that reads them.
func (f *Inline) Decoded(ctx context.Context, evs []events.Envelope, payloads []any) {
	da, ok := f.p.(DecodedApplier)
	if !ok || len(evs) == 0 {
		return
	}
	f.mu.Lock()
	applied := f.next(ctx, da, evs, payloads)
	f.mu.Unlock()
	if applied {
		return
	}
	f.hmu.Lock()
	defer f.hmu.Unlock()
	if f.decoded == nil {
		f.decoded = map[events.Position]any{}
	}
	if len(f.decoded)+len(evs) > maxDecoded {
		clear(f.decoded) // not read for long (another fold may have read them): decode instead
	}
	for i := range evs {
		if i < len(payloads) && payloads[i] != nil {
			f.decoded[evs[i].GlobalPosition] = payloads[i]
		}
	}
}

// next applies evs when they follow the last position applied and nothing the log holds comes
// between (a position may be missing: an append that rolled back). f.mu is held.
func (f *Inline) next(ctx context.Context, da DecodedApplier, evs []events.Envelope, payloads []any) bool {
	first := evs[0].GlobalPosition
	if first <= f.pos || len(payloads) != len(evs) {
		return false
	}
	if first != f.pos+1 {
		return false // a gap, or events not folded yet: the fold reads the log
	}
	if err := da.ApplyDecoded(ctx, evs, payloads); err != nil {
		return false // the fold reads them and reports it
	}
	f.pos = evs[len(evs)-1].GlobalPosition
	return true
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
