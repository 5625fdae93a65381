package projections

import (
	"context"
	"fmt"
	"time"

	"github.com/infrahub-go/infrahub/events"
)

// Stats reports a replay.
type Stats struct {
	Events          int64           // events applied
	Position        events.Position // last position applied
	Duration        time.Duration
	EventsPerSecond float64
}

// Replay rebuilds p from position 0: it resets p when it is a Resetter, then applies the log
// in batches of batchSize (default 1000) up to the head it saw when it started. progress, when
// not nil, is called after each batch with the position reached and the head.
func Replay(ctx context.Context, log events.Reader, p Projector, batchSize int, progress func(pos, head events.Position)) (Stats, error) {
	if batchSize <= 0 {
		batchSize = DefaultBatchSize
	}
	start := time.Now()
	if rs, ok := p.(Resetter); ok {
		if err := rs.Reset(ctx); err != nil {
			return Stats{}, fmt.Errorf("replay %s: reset: %w", p.Name(), err)
		}
	}
	head, err := log.Head(ctx)
	if err != nil {
		return Stats{}, fmt.Errorf("replay %s: head: %w", p.Name(), err)
	}
	var st Stats
	for st.Position < head {
		batch, err := log.ReadAll(ctx, st.Position, batchSize)
		if err != nil {
			return st.done(start), fmt.Errorf("replay %s: read after %d: %w", p.Name(), st.Position, err)
		}
		if len(batch) == 0 {
			break
		}
		if err := p.Apply(ctx, batch); err != nil {
			return st.done(start), fmt.Errorf("replay %s: apply %d events at positions %d..%d: %w",
				p.Name(), len(batch), batch[0].GlobalPosition, batch[len(batch)-1].GlobalPosition, err)
		}
		st.Events += int64(len(batch))
		st.Position = batch[len(batch)-1].GlobalPosition
		if progress != nil {
			progress(st.Position, max(head, st.Position))
		}
	}
	return st.done(start), nil
}

func (s Stats) done(start time.Time) Stats {
	s.Duration = time.Since(start)
	if secs := s.Duration.Seconds(); secs > 0 {
		s.EventsPerSecond = float64(s.Events) / secs
	}
	return s
}

// Rebuild replays p from 0 (see Replay) and records the result as its position, saving the
// checkpoint of a durable projector with p's version, so that a later Run resumes after the
// replay. p must not be running.
func (r *Runner) Rebuild(ctx context.Context, p Projector, progress func(pos, head events.Position)) (Stats, error) {
	name := p.Name()
	d, ok := p.(Durable)
	durable := ok && d.Durable()
	if durable && r.Checkpoints == nil {
		return Stats{}, fmt.Errorf("projection %s is durable: runner needs Checkpoints", name)
	}
	if err := r.claim(p, durable, false); err != nil {
		return Stats{}, err
	}
	defer r.release(name)
	st, err := Replay(ctx, r.Log, p, r.BatchSize, progress)
	if err != nil {
		return st, err
	}
	if durable {
		if err := r.Checkpoints.SaveCheckpoint(ctx, checkpointName(name), st.Position, p.Version()); err != nil {
			return st, fmt.Errorf("projection %s: save checkpoint: %w", name, err)
		}
	}
	r.mu.Lock()
	ps := r.get(name)
	ps.Position, ps.SavedUpTo, ps.dirty = st.Position, st.Position, false
	ps.Events += st.Events
	r.mu.Unlock()
	r.sig.Notify()
	return st, nil
}
