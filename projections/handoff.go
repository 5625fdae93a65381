package projections

import (
	"context"

	"github.com/infrahub-go/infrahub/events"
)

// Handoff applies events a writer of this process just appended (evs as the log holds them,
// payloads[i] decoding evs[i] or nil) to projector name at once, instead of leaving them to the
// bus or the log (commands.Config.Decoded): the writer's read-your-writes wait then returns
// without a round trip through the bus, and the projector neither reads them back nor decodes
// them. It does so only for a running, in-memory projector that is a DecodedApplier and
// Positioned, when evs are the next events it needs: its own position is the one before evs[0]
// (a position may be missing after an append that rolled back: then, as when other events come
// before, the Run applies them from the log or the bus). The projector's own position check
// keeps a Run applying the same events concurrently from applying them twice (nodes.Store skips
// what it holds), and the Run's position only grows, so WaitFor sees them whoever applied them.
// It reports whether it applied them.
func (r *Runner) Handoff(ctx context.Context, name string, evs []events.Envelope, payloads []any) bool {
	if len(evs) == 0 || len(payloads) != len(evs) {
		return false
	}
	// Kept for the other projectors (Payload) and the forwarder (Tail), whether name folds them or
	// not; only once name has, so that the forwarder's batch of them reaches its Run covered by
	// its position (skipped on its metadata) rather than racing this fold with a second one.
	defer r.handed.put(evs, payloads)
	r.mu.Lock()
	st := r.get(name)
	p, running, durable := st.p, st.Running, st.Durable
	r.mu.Unlock()
	if !running || durable {
		return false
	}
	da, ok := p.(DecodedApplier)
	pp, ok2 := p.(Positioned)
	if !ok || !ok2 || pp.Position() != evs[0].GlobalPosition-1 {
		return false
	}
	if err := da.ApplyDecoded(ctx, evs, payloads); err != nil {
		return false // the Run applies them from the log and reports it
	}
	last := evs[len(evs)-1].GlobalPosition
	if pp.Position() < last {
		return false
	}
	r.mu.Lock()
	st = r.get(name)
	if st.Position < last {
		st.Position = last
		st.Events += int64(len(evs))
		st.Batches++
	}
	r.mu.Unlock()
	r.sig.Notify()
	return true
}

// applyEvents applies evs, with the payloads the writer handed for them when the projector can
// take them (a DecodedApplier): it neither decodes them again nor loses what they tell it.
func (ru *run) applyEvents(ctx context.Context, evs []events.Envelope) error {
	da, ok := ru.p.(DecodedApplier)
	if !ok {
		return ru.p.Apply(ctx, evs)
	}
	var payloads []any
	for i := range evs {
		if v, ok := ru.r.handed.get(evs[i]); ok {
			if payloads == nil {
				payloads = make([]any, len(evs))
			}
			payloads[i] = v
		}
	}
	if payloads == nil {
		return ru.p.Apply(ctx, evs)
	}
	return da.ApplyDecoded(ctx, evs, payloads)
}
