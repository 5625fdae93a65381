package forward

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/infrahub-go/infrahub/backoff"
	"github.com/infrahub-go/infrahub/events"
)

// ErrFenced is wrapped by the error Run returns when Fence reports the lease lost.
var ErrFenced = errors.New("forwarder fenced: the lease was lost")

// Route selects events to publish one by one to Topic.
type Route struct {
	Topic string
	Match func(*events.Envelope) bool
}

// Defaults of Forwarder.
const (
	DefaultWindow       = 8
	DefaultName         = "forwarder"
	DefaultSaveInterval = 100 * time.Millisecond
	// CheckpointVersion is the version stored with the forwarder's checkpoint.
	CheckpointVersion = 1
)

// Forwarder tails the log from its checkpoint and publishes every committed batch to the bus.
// It keeps up to Window publishes in flight; the checkpoint only moves past a batch once that
// batch and every batch before it were confirmed, so after a crash the forwarder publishes
// again from the last contiguous confirmed position (at least once, never a skipped event).
type Forwarder struct {
	Log         events.Store
	Checkpoints events.Checkpoints
	Publisher   message.Publisher
	Topic       string       // bus topic, usually bus.TopicEvents
	Window      int          // publishes in flight; default 8
	Logger      *slog.Logger // default: discard
	Name        string       // checkpoint name; default "forwarder"
	MaxEvents   int          // events per message; default 1000
	MaxBytes    int          // approximate JSON bytes per message; default 1 MiB
	// SaveInterval is the most often the checkpoint is saved; default 100 ms. It is also
	// saved when Run ends.
	SaveInterval time.Duration
	// RetryMax caps the backoff between retries of a failed publish; default 5 s.
	RetryMax time.Duration
	// Routes also publish single events to topics of their own (task messages to the work
	// queue): each event a route matches is published as one message (RouteMessage) before the
	// batch holding it, so that once the checkpoint passes an event its routed messages were
	// confirmed too. A retried batch publishes them again (consumers de-duplicate).
	Routes []Route
	// Fence, when set, is asked before every publish and checkpoint save: it answers the
	// fencing token of the lease this forwarder holds (set on each message as MetadataFence),
	// or an error once the lease is lost or expired. Run then stops at once with an error
	// wrapping ErrFenced, without publishing or saving anything more: a stale leader cannot
	// publish.
	Fence func() (int64, error)

	running          atomic.Bool
	position         atomicPosition // highest contiguous confirmed position
	saved            atomicPosition // last checkpoint saved
	dispatched       atomicPosition // highest position handed to a publish
	publishedBatches atomic.Int64
	publishedEvents  atomic.Int64
	publishErrors    atomic.Int64
	inFlight         atomic.Int64

	stop      context.CancelFunc // ends the current Run (set by Run)
	fenceOnce sync.Once
	fenceErr  error
}

// Stats is a snapshot of the forwarder's counters (Prometheus counters and gauges).
type Stats struct {
	Position         events.Position `json:"position"`          // every event up to here is confirmed by the bus
	Saved            events.Position `json:"saved"`             // the stored checkpoint
	Dispatched       events.Position `json:"dispatched"`        // highest position handed to a publish
	PublishedBatches int64           `json:"published_batches"` // confirmed messages, re-publications after a restart included
	PublishedEvents  int64           `json:"published_events"`
	PublishErrors    int64           `json:"publish_errors"` // failed publish attempts (each was retried)
	InFlight         int64           `json:"in_flight"`
}

// Position is the highest position up to which every event is confirmed by the bus.
func (f *Forwarder) Position() events.Position { return f.position.Load() }

// Stats returns the counters.
func (f *Forwarder) Stats() Stats {
	return Stats{
		Position:         f.position.Load(),
		Saved:            f.saved.Load(),
		Dispatched:       f.dispatched.Load(),
		PublishedBatches: f.publishedBatches.Load(),
		PublishedEvents:  f.publishedEvents.Load(),
		PublishErrors:    f.publishErrors.Load(),
		InFlight:         f.inFlight.Load(),
	}
}

type settings struct {
	window, maxEvents, maxBytes int
	name, topic                 string
	save, retryMax              time.Duration
	log                         *slog.Logger
}

func (f *Forwarder) settings() (settings, error) {
	s := settings{window: f.Window, maxEvents: f.MaxEvents, maxBytes: f.MaxBytes, name: f.Name,
		topic: f.Topic, save: f.SaveInterval, retryMax: f.RetryMax, log: f.Logger}
	if f.Log == nil || f.Checkpoints == nil || f.Publisher == nil {
		return s, errors.New("forwarder: Log, Checkpoints and Publisher must be set")
	}
	if s.topic == "" {
		return s, errors.New("forwarder: Topic must be set")
	}
	if s.window <= 0 {
		s.window = DefaultWindow
	}
	if s.name == "" {
		s.name = DefaultName
	}
	if s.save <= 0 {
		s.save = DefaultSaveInterval
	}
	if s.retryMax <= 0 {
		s.retryMax = 5 * time.Second
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.log = s.log.With("component", "forwarder", "name", s.name)
	return s, nil
}

// Run forwards until ctx ends, then waits for the publishes in flight, saves the checkpoint and
// returns nil. A failed log subscription is retried after a backoff; a failed publish is
// retried until it succeeds or ctx ends. It returns an error only when the configuration is
// incomplete or the checkpoint cannot be loaded.
func (f *Forwarder) Run(ctx context.Context) error {
	s, err := f.settings()
	if err != nil {
		return err
	}
	if !f.running.CompareAndSwap(false, true) {
		return errors.New("forwarder: Run is already running")
	}
	defer f.running.Store(false)
	ctx, f.stop = context.WithCancel(ctx)
	defer f.stop()
	f.fenceOnce, f.fenceErr = sync.Once{}, nil
	if f.Fence != nil {
		if _, err := f.Fence(); err != nil {
			return fmt.Errorf("%w: %w", ErrFenced, err)
		}
	}

	start, _, err := f.Checkpoints.LoadCheckpoint(ctx, s.name)
	if err != nil {
		return fmt.Errorf("forwarder %s: load checkpoint: %w", s.name, err)
	}
	f.position.Store(start)
	f.saved.Store(start)
	f.dispatched.Store(start)
	s.log.Info("forwarder starting", "from", start, "window", s.window, "topic", s.topic)

	tr := &tracker{confirmed: start, onAdvance: func(p events.Position) { f.position.Store(p) }}
	sem := make(chan struct{}, s.window)
	var wg sync.WaitGroup

	saverDone := make(chan struct{})
	go func() {
		defer close(saverDone)
		f.saveLoop(ctx, s)
	}()

	dispatched := start
	for attempt := 0; ctx.Err() == nil; attempt++ {
		evc, errc := f.Log.Subscribe(ctx, dispatched)
		for batch := range evc {
			attempt = 0
			for _, b := range Split(dispatched, batch, s.maxEvents, s.maxBytes) {
				select {
				case sem <- struct{}{}:
				case <-ctx.Done():
				}
				if ctx.Err() != nil {
					break
				}
				dispatched = b.To
				f.dispatched.Store(b.To)
				seq := tr.add(b.To)
				wg.Add(1)
				f.inFlight.Add(1)
				go func() {
					defer wg.Done()
					defer func() { <-sem; f.inFlight.Add(-1) }()
					if f.publish(ctx, s, b) {
						tr.done(seq)
					}
				}()
			}
		}
		if ctx.Err() != nil {
			break
		}
		err := <-errc
		if err == nil {
			err = errors.New("log subscription ended")
		}
		d := backoff.Delay(attempt, s.retryMax)
		s.log.Error("forwarder: log subscription failed, resubscribing", "err", err, "after", dispatched, "retry_in", d)
		backoff.Sleep(ctx, d)
	}

	wg.Wait()
	<-saverDone
	if f.fenceErr != nil {
		s.log.Info("forwarder stopped: fenced", "position", f.position.Load(), "saved", f.saved.Load())
		return f.fenceErr
	}
	final := f.position.Load()
	if final != f.saved.Load() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := f.Checkpoints.SaveCheckpoint(sctx, s.name, final, CheckpointVersion); err != nil {
			s.log.Error("forwarder: save final checkpoint", "position", final, "err", err)
		} else {
			f.saved.Store(final)
		}
	}
	s.log.Info("forwarder stopped", "position", f.position.Load(), "saved", f.saved.Load())
	return nil
}

// publish publishes b (and the routed messages of its events) until the bus confirms it (true)
// or ctx ends or the lease is lost (false).
func (f *Forwarder) publish(ctx context.Context, s settings, b Batch) bool {
	built, err := Message(b) // encoded once; each attempt publishes a fresh copy of it
	if err != nil {
		// Only an inconsistent batch fails to encode, which Split never makes.
		panic(fmt.Sprintf("forwarder: %v", err))
	}
	for attempt := 0; ; attempt++ {
		msg := built
		if attempt > 0 {
			msg = built.Copy()
		}
		msg.SetContext(ctx)
		if !f.fenced(s, msg) {
			return false
		}
		err = f.publishRoutes(ctx, s, b)
		if err == nil {
			err = f.Publisher.Publish(s.topic, msg)
		}
		if err == nil {
			f.publishedBatches.Add(1)
			f.publishedEvents.Add(int64(len(b.Events)))
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		f.publishErrors.Add(1)
		d := backoff.Delay(attempt, s.retryMax)
		s.log.Warn("forwarder: publish failed, retrying", "from", b.From, "to", b.To, "attempt", attempt+1, "retry_in", d, "err", err)
		if !backoff.Sleep(ctx, d) {
			return false
		}
	}
}

// fenced sets the fencing token on msg; false (and the forwarder stops) when the lease is lost.
func (f *Forwarder) fenced(s settings, msg *message.Message) bool {
	if f.Fence == nil {
		return true
	}
	token, err := f.Fence()
	if err != nil {
		f.fence(s, err)
		return false
	}
	msg.Metadata.Set(MetadataFence, fmt.Sprint(token))
	return true
}

// fence records why the lease was lost and stops Run.
func (f *Forwarder) fence(s settings, err error) {
	f.fenceOnce.Do(func() {
		f.fenceErr = fmt.Errorf("%w: %w", ErrFenced, err)
		s.log.Warn("forwarder: lease lost, stopping without publishing", "err", err)
		if f.stop != nil {
			f.stop()
		}
	})
}

// publishRoutes publishes the routed messages of b's events, up to the window at a time (each
// publish waits for its confirm).
func (f *Forwarder) publishRoutes(ctx context.Context, s settings, b Batch) error {
	if len(f.Routes) == 0 {
		return nil
	}
	type routed struct {
		topic string
		msg   *message.Message
	}
	var out []routed
	for i := range b.Events {
		e := &b.Events[i]
		for _, r := range f.Routes {
			if !r.Match(e) {
				continue
			}
			msg, err := RouteMessage(*e)
			if err != nil {
				return err
			}
			msg.SetContext(ctx)
			out = append(out, routed{r.Topic, msg})
		}
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		sem   = make(chan struct{}, s.window)
	)
	for _, r := range out {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := f.Publisher.Publish(r.topic, r.msg); err != nil {
				mu.Lock()
				if first == nil {
					first = fmt.Errorf("route %s: %w", r.topic, err)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return first
}

// saveLoop saves the confirmed position every interval while it moves, until ctx ends.
func (f *Forwarder) saveLoop(ctx context.Context, s settings) {
	t := time.NewTicker(s.save)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		p := f.position.Load()
		if p == f.saved.Load() {
			continue
		}
		if f.Fence != nil {
			if _, err := f.Fence(); err != nil {
				f.fence(s, err)
				return
			}
		}
		if err := f.Checkpoints.SaveCheckpoint(ctx, s.name, p, CheckpointVersion); err != nil {
			if ctx.Err() == nil {
				s.log.Warn("forwarder: save checkpoint", "position", p, "err", err)
			}
			continue
		}
		f.saved.Store(p)
	}
}

// tracker finds the highest position below which every dispatched batch is confirmed.
type tracker struct {
	mu        sync.Mutex
	base      int64 // seq of pending[0]
	pending   []pending
	confirmed events.Position
	onAdvance func(events.Position)
}

type pending struct {
	to   events.Position
	done bool
}

func (t *tracker) add(to events.Position) int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.pending = append(t.pending, pending{to: to})
	return t.base + int64(len(t.pending)) - 1
}

func (t *tracker) done(seq int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.pending[seq-t.base].done = true
	n := 0
	for n < len(t.pending) && t.pending[n].done {
		n++
	}
	if n == 0 {
		return
	}
	t.confirmed = t.pending[n-1].to
	t.pending = append(t.pending[:0], t.pending[n:]...)
	t.base += int64(n)
	if t.onAdvance != nil {
		t.onAdvance(t.confirmed)
	}
}

// atomicPosition is an events.Position read and written atomically.
type atomicPosition struct{ v atomic.Int64 }

func (p *atomicPosition) Load() events.Position     { return events.Position(p.v.Load()) }
func (p *atomicPosition) Store(pos events.Position) { p.v.Store(int64(pos)) }
