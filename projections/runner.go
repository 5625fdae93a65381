// Package projections runs projectors: read models built from the event log. A Runner keeps
// each projector's checkpoint, subscribes it to the bus, catches it up from the log and reads
// gaps back from the log, so that a projector sees every event exactly once and in order even
// though the bus delivers batches at least once and in any order.
package projections

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/infrahub-go/infrahub/backoff"
	"github.com/infrahub-go/infrahub/events"
)

// Projector builds a read model from events.
type Projector interface {
	// Name identifies the projector: its checkpoint is "projection:"+Name() and its bus
	// consumer "projection."+Name().
	Name() string
	// Version is bumped when the projection's shape changes; a durable projector whose stored
	// version differs is reset and rebuilt from position 0.
	Version() int
	// Apply applies events in log order. The runner never passes a position twice (unless
	// Apply failed, in which case the same batch comes again), so Apply should be atomic.
	Apply(ctx context.Context, batch []events.Envelope) error
}

// Resetter is implemented by projectors that can drop their state (rebuilds, version changes).
type Resetter interface {
	Reset(ctx context.Context) error
}

// Positioned is implemented by in-memory projectors that can start from a position other than 0
// (restored from a snapshot): the runner resumes after Position().
type Positioned interface {
	Position() events.Position
}

// Durable is implemented by projectors whose state survives a restart (Neo4j, a blob store):
// their checkpoint is saved after each applied batch. Other projectors keep their checkpoint in
// the Runner's memory and are rebuilt from position 0 when the process starts.
type Durable interface {
	Durable() bool
}

// Defaults of Runner.
const (
	DefaultBatchSize = 1000
	DefaultRetryMax  = 5 * time.Second
)

// Runner runs projectors. Set the exported fields, then call Run once per projector (each in
// its own goroutine). The zero value of the unexported state is ready to use.
type Runner struct {
	Log         events.Reader
	Checkpoints events.Checkpoints // needed for durable projectors
	// Subscribe subscribes to the topic of log batches under a durable consumer name, e.g.
	// func(ctx, c) { return b.Subscribe(ctx, bus.TopicEvents, c) }.
	Subscribe func(ctx context.Context, consumer string) (<-chan *message.Message, error)
	Logger    *slog.Logger
	BatchSize int           // events per log read; default 1000
	RetryMax  time.Duration // cap of the backoff after a failure; default 5 s

	mu      sync.Mutex
	state   map[string]*projectorState
	sig     events.Signal
	batches sharedBatches // the bus batches the runs parsed last (shared.go)
	handed  payloads      // the payloads the writer handed last (payloads.go)
}

// ProjectorStats counts what a runner did for one projector.
type ProjectorStats struct {
	Position  events.Position `json:"position"`  // every event up to here is applied
	Events    int64           `json:"events"`    // events applied
	Batches   int64           `json:"batches"`   // Apply calls
	Skipped   int64           `json:"skipped"`   // bus messages already covered by the checkpoint
	CatchUps  int64           `json:"catch_ups"` // gaps read back from the log
	Failures  int64           `json:"failures"`  // failed Apply, read or save (each retried)
	Running   bool            `json:"running"`   // Run is running
	Live      bool            `json:"live"`      // caught up with the log once and consuming the bus (readiness)
	Durable   bool            `json:"durable"`
	Version   int             `json:"version"`
	SavedUpTo events.Position `json:"saved_up_to"` // last saved checkpoint (durable projectors)
}

type projectorState struct {
	ProjectorStats
	dirty bool      // durable checkpoint behind Position
	p     Projector // while Running
}

func (r *Runner) get(name string) *projectorState {
	if r.state == nil {
		r.state = map[string]*projectorState{}
	}
	st, ok := r.state[name]
	if !ok {
		st = &projectorState{}
		r.state[name] = st
	}
	return st
}

// Position is the position up to which projector name has applied every event (0 when
// unknown).
func (r *Runner) Position(name string) events.Position {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.get(name).Position
}

// Stats returns the counters of projector name.
func (r *Runner) Stats(name string) ProjectorStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.get(name).ProjectorStats
}

// WaitFor blocks until projector name has applied every event up to pos, or ctx ends
// (read-your-writes: pos is the position a command's append returned).
func (r *Runner) WaitFor(ctx context.Context, name string, pos events.Position) error {
	for {
		wake := r.sig.C() // before the check, so that no advance is missed
		if r.Position(name) >= pos {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for projection %s to reach %d (at %d): %w", name, pos, r.Position(name), ctx.Err())
		case <-wake:
		}
	}
}

// run is one Run of one projector.
type run struct {
	r       *Runner
	p       Projector
	name    string
	durable bool
	log     *slog.Logger
	fails   int
}

func checkpointName(name string) string { return "projection:" + name }

// ConsumerName is the bus consumer of projector name.
func ConsumerName(name string) string { return "projection." + name }

// Run runs p until ctx ends, then returns nil. It subscribes to the bus first, catches up from
// the log, then applies the batches of the bus; a failure is logged and retried after a backoff.
// It returns an error when the runner is not configured, p is already running, its checkpoint
// cannot be loaded, it cannot be reset, or the first subscription fails.
func (r *Runner) Run(ctx context.Context, p Projector) error {
	name := p.Name()
	if name == "" {
		return errors.New("projections: projector has no name")
	}
	if r.Log == nil || r.Subscribe == nil {
		return fmt.Errorf("projection %s: runner needs Log and Subscribe", name)
	}
	d, ok := p.(Durable)
	durable := ok && d.Durable()
	if durable && r.Checkpoints == nil {
		return fmt.Errorf("projection %s is durable: runner needs Checkpoints", name)
	}
	if err := r.claim(p, durable, true); err != nil {
		return err
	}
	defer r.release(name)
	logger := r.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	ru := &run{r: r, p: p, name: name, durable: durable, log: logger.With("component", "projection", "projection", name)}

	if err := ru.start(ctx); err != nil {
		return err
	}
	msgs, err := r.Subscribe(ctx, ConsumerName(name))
	if err != nil {
		return fmt.Errorf("projection %s: subscribe: %w", name, err)
	}
	ru.log.Info("projection starting", "from", r.Position(name), "durable", durable, "version", p.Version())
	for ctx.Err() == nil {
		ru.retry(ctx, "catch up from the log", func() error { return ru.catchUp(ctx, 0) })
		ru.log.Debug("projection caught up", "position", r.Position(name))
		ru.count(func(s *ProjectorStats) { s.Live = true })
		ru.consume(ctx, msgs)
		if ctx.Err() != nil {
			break
		}
		ru.log.Warn("projection: bus subscription ended, subscribing again")
		for ctx.Err() == nil {
			if msgs, err = r.Subscribe(ctx, ConsumerName(name)); err == nil {
				break
			}
			ru.fail(ctx, "subscribe", err)
		}
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := ru.persist(sctx); err != nil {
		ru.log.Error("projection: save the final checkpoint", "err", err)
	}
	ru.log.Info("projection stopped", "position", r.Position(name))
	return nil
}

// claim marks p running; a Run (handoff) lets Handoff apply to it, a Rebuild does not.
func (r *Runner) claim(p Projector, durable, handoff bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.get(p.Name())
	if st.Running {
		return fmt.Errorf("projection %s is already running", p.Name())
	}
	st.Running, st.Durable, st.Version = true, durable, p.Version()
	if handoff {
		st.p = p
	}
	return nil
}

func (r *Runner) release(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.get(name)
	st.Running, st.Live, st.p = false, false, nil
}

// start sets the position to resume from: the saved checkpoint of a durable projector (reset
// to 0 when its version changed), the runner's memory otherwise.
func (ru *run) start(ctx context.Context) error {
	if !ru.durable {
		// A restart in the same process resumes from the position in memory; a projector restored
		// from a snapshot resumes after what it holds.
		if p, ok := ru.p.(Positioned); ok {
			ru.r.mu.Lock()
			st := ru.r.get(ru.name)
			if pos := p.Position(); pos > st.Position {
				st.Position, st.SavedUpTo = pos, pos
			}
			ru.r.mu.Unlock()
			ru.r.sig.Notify()
		}
		return nil
	}
	pos, ver, err := ru.r.Checkpoints.LoadCheckpoint(ctx, checkpointName(ru.name))
	if err != nil {
		return fmt.Errorf("projection %s: load checkpoint: %w", ru.name, err)
	}
	if ver != ru.p.Version() {
		rs, ok := ru.p.(Resetter)
		switch {
		case ok:
			if err := rs.Reset(ctx); err != nil {
				return fmt.Errorf("projection %s: reset for version %d (stored %d): %w", ru.name, ru.p.Version(), ver, err)
			}
		case pos > 0:
			return fmt.Errorf("projection %s: stored version %d differs from %d and the projector cannot Reset", ru.name, ver, ru.p.Version())
		}
		if pos > 0 {
			ru.log.Warn("projection version changed: rebuilding from 0", "stored_version", ver, "stored_position", pos)
		}
		pos = 0
		if err := ru.r.Checkpoints.SaveCheckpoint(ctx, checkpointName(ru.name), 0, ru.p.Version()); err != nil {
			return fmt.Errorf("projection %s: save checkpoint: %w", ru.name, err)
		}
	}
	ru.r.mu.Lock()
	st := ru.r.get(ru.name)
	if st.Position > pos && ver == ru.p.Version() {
		// An earlier Run in this process applied more than it managed to save: keep that.
		pos = st.Position
	} else {
		st.Position, st.SavedUpTo, st.dirty = pos, pos, false
	}
	ru.r.mu.Unlock()
	ru.r.sig.Notify()
	return nil
}

func (ru *run) position() events.Position { return ru.r.Position(ru.name) }

// consume handles the bus messages until the channel closes or ctx ends.
func (ru *run) consume(ctx context.Context, msgs <-chan *message.Message) {
	for {
		select {
		case <-ctx.Done():
			return
		case msg, ok := <-msgs:
			if !ok {
				return
			}
			if err := ru.handle(ctx, msg); err != nil {
				msg.Nack()
				if ctx.Err() != nil {
					return
				}
				ru.fail(ctx, "apply a bus batch", err)
				continue
			}
			msg.Ack()
			ru.fails = 0
		}
	}
}

// handle applies one bus batch: skip what the checkpoint covers, read a gap back from the log,
// apply the rest.
func (ru *run) handle(ctx context.Context, msg *message.Message) error {
	if coveredBy(msg, ru.position()) {
		ru.count(func(s *ProjectorStats) { s.Skipped++ })
		return ru.persist(ctx)
	}
	b, err := ru.r.batches.decode(msg, &ru.r.handed)
	if err != nil {
		// It can never be applied; the log still holds its events and the next gap reads them.
		ru.log.Error("projection: dropping an undecodable bus message", "uuid", msg.UUID, "err", err)
		return nil
	}
	pos := ru.position()
	switch {
	case b.To <= pos:
		ru.count(func(s *ProjectorStats) { s.Skipped++ })
		return ru.persist(ctx)
	case b.From > pos:
		ru.log.Debug("projection: gap before bus batch, reading the log", "position", pos, "from", b.From, "to", b.To)
		if err := ru.catchUp(ctx, b.To); err != nil {
			return err
		}
		if p := ru.position(); p < b.To {
			return fmt.Errorf("the log holds events up to %d only, the bus batch ends at %d", p, b.To)
		}
		ru.count(func(s *ProjectorStats) { s.CatchUps++ })
		return nil
	}
	evs := b.Events
	for len(evs) > 0 && evs[0].GlobalPosition <= pos {
		evs = evs[1:]
	}
	return ru.apply(ctx, evs, b.To)
}

// catchUp applies the log after the position until it has reached until (0: the head).
func (ru *run) catchUp(ctx context.Context, until events.Position) error {
	size := ru.r.BatchSize
	if size <= 0 {
		size = DefaultBatchSize
	}
	for {
		pos := ru.position()
		if until > 0 && pos >= until {
			return nil
		}
		batch, err := ru.r.Log.ReadAll(ctx, pos, size)
		if err != nil {
			return fmt.Errorf("read the log after %d: %w", pos, err)
		}
		if len(batch) == 0 {
			return nil
		}
		if err := ru.apply(ctx, batch, batch[len(batch)-1].GlobalPosition); err != nil {
			return err
		}
	}
}

// apply applies evs (all above the position) and moves the position to `to`.
func (ru *run) apply(ctx context.Context, evs []events.Envelope, to events.Position) error {
	if len(evs) > 0 {
		if err := ru.applyEvents(ctx, evs); err != nil {
			return fmt.Errorf("apply %d events at positions %d..%d: %w", len(evs), evs[0].GlobalPosition, evs[len(evs)-1].GlobalPosition, err)
		}
	}
	ru.count(func(s *ProjectorStats) {
		s.Position = max(s.Position, to) // Handoff may have applied beyond
		s.Events += int64(len(evs))
		if len(evs) > 0 {
			s.Batches++
		}
	})
	if ru.durable {
		ru.r.mu.Lock()
		ru.r.get(ru.name).dirty = true
		ru.r.mu.Unlock()
	}
	ru.r.sig.Notify()
	return ru.persist(ctx)
}

// persist saves the checkpoint of a durable projector when it is behind the position.
func (ru *run) persist(ctx context.Context) error {
	if !ru.durable {
		return nil
	}
	ru.r.mu.Lock()
	st := ru.r.get(ru.name)
	pos, dirty := st.Position, st.dirty
	ru.r.mu.Unlock()
	if !dirty {
		return nil
	}
	if err := ru.r.Checkpoints.SaveCheckpoint(ctx, checkpointName(ru.name), pos, ru.p.Version()); err != nil {
		return fmt.Errorf("save checkpoint at %d: %w", pos, err)
	}
	ru.r.mu.Lock()
	if st.Position == pos {
		st.dirty = false
	}
	st.SavedUpTo = pos
	ru.r.mu.Unlock()
	return nil
}

func (ru *run) count(f func(*ProjectorStats)) {
	ru.r.mu.Lock()
	defer ru.r.mu.Unlock()
	f(&ru.r.get(ru.name).ProjectorStats)
}

// retry calls f until it succeeds or ctx ends, backing off after each failure.
func (ru *run) retry(ctx context.Context, what string, f func() error) {
	for ctx.Err() == nil {
		err := f()
		if err == nil {
			ru.fails = 0
			return
		}
		if ctx.Err() != nil {
			return
		}
		ru.fail(ctx, what, err)
	}
}

// fail logs err, counts it and sleeps a backoff that grows with consecutive failures.
func (ru *run) fail(ctx context.Context, what string, err error) {
	ru.count(func(s *ProjectorStats) { s.Failures++ })
	limit := ru.r.RetryMax
	if limit <= 0 {
		limit = DefaultRetryMax
	}
	d := backoff.Delay(ru.fails, limit)
	ru.fails++
	ru.log.Error("projection: "+what+" failed, retrying", "err", err, "position", ru.position(), "attempt", ru.fails, "retry_in", d)
	backoff.Sleep(ctx, d)
}
