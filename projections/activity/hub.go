package activity

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/fault"
)

// Defaults of HubConfig.
const (
	DefaultHubBuffer        = 10_000
	DefaultSubscriberBuffer = 1_000
	DefaultHubPoll          = 250 * time.Millisecond
	DefaultCoalesce         = 2 * time.Millisecond
	hubBatch                = 1_000 // envelopes read from the log at a time
	deriveAttempts          = 5
	pushChunk               = 64 // entries handed to a subscriber at once
)

// HubConfig configures a Hub.
type HubConfig struct {
	// Log is read from its head when Run starts, and by subscribers catching up from older
	// positions.
	Log events.Reader
	// Derive turns one envelope into its events (Derive with the graph and the schemas bound).
	Derive func(ctx context.Context, env events.Envelope) ([]Event, error)
	// WaitFor returns once the graph has folded pos (so that previous values are readable).
	WaitFor func(ctx context.Context, pos events.Position) error
	// SchemaOf lets Filter kinds name generics (nil: kinds match exactly).
	SchemaOf SchemaOf
	// Buffer is how many events the Hub keeps in memory for subscribers joining or resuming
	// (default DefaultHubBuffer); older positions are read back from the log.
	Buffer int
	// SubscriberBuffer is how many events may wait for one subscriber before it is ended with an
	// *OverflowError (default DefaultSubscriberBuffer).
	SubscriberBuffer int
	// Poll is how often Run looks at the log when nothing called Notify (default DefaultHubPoll).
	Poll time.Duration
	// Coalesce is how long Run waits after handing events over before it reads the log again, so
	// that a stream of writes wakes the subscribers once per batch rather than once per write
	// (default DefaultCoalesce; it adds at most that much latency).
	Coalesce time.Duration
	Logger   *slog.Logger
}

// entry is the events of one log envelope (never empty in the ring).
type entry struct {
	pos    events.Position
	events []Event
}

// Hub tails the log, derives each envelope's events once, and hands them to subscribers in log
// order (a Source). A subscriber from an old position catches up from the log (deriving again)
// until it reaches what the Hub keeps in memory, then follows live. Delivering never blocks the
// Hub: a subscriber whose SubscriberBuffer fills is ended with an *OverflowError.
type Hub struct {
	cfg  HubConfig
	log  *slog.Logger
	wake chan struct{}
	// notified is the highest position Notify was given (0: never): Run, having derived up to
	// it, sleeps until the next Notify (or Poll) instead of reading the log, whose next events
	// it would only wait for the graph to fold.
	notified atomic.Int64
	ready    chan struct{}

	mu         sync.Mutex
	running    bool
	ring       []*entry
	pushBuf    []*entry // publish's scratch for what each subscriber takes (mu held)
	ringEvents int
	from       events.Position // the ring holds every event of the positions in (from, head]
	head       events.Position
	subs       map[*subscriber]struct{}
	idx        subIndex
	derived    int64
	overflows  int64
}

// NewHub validates cfg and returns a Hub; Run makes it live.
func NewHub(cfg HubConfig) (*Hub, error) {
	switch {
	case cfg.Log == nil:
		return nil, fault.New(fault.ErrInvalid, "activity hub: Log is required")
	case cfg.Derive == nil:
		return nil, fault.New(fault.ErrInvalid, "activity hub: Derive is required")
	case cfg.Buffer < 0 || cfg.SubscriberBuffer < 0 || cfg.Poll < 0 || cfg.Coalesce < 0:
		return nil, fault.New(fault.ErrInvalid, "activity hub: Buffer, SubscriberBuffer, Poll and Coalesce may not be negative")
	}
	if cfg.Buffer == 0 {
		cfg.Buffer = DefaultHubBuffer
	}
	if cfg.SubscriberBuffer == 0 {
		cfg.SubscriberBuffer = DefaultSubscriberBuffer
	}
	if cfg.Poll == 0 {
		cfg.Poll = DefaultHubPoll
	}
	if cfg.Coalesce == 0 {
		cfg.Coalesce = DefaultCoalesce
	}
	if cfg.WaitFor == nil {
		cfg.WaitFor = func(context.Context, events.Position) error { return nil }
	}
	lg := cfg.Logger
	if lg == nil {
		lg = slog.Default()
	}
	return &Hub{cfg: cfg, log: lg.With("component", "activity.hub"), wake: make(chan struct{}, 1),
		ready: make(chan struct{}), subs: map[*subscriber]struct{}{}, idx: newSubIndex()}, nil
}

// Notify tells the Hub that the graph has folded pos: Run reads the log at once.
func (h *Hub) Notify(pos events.Position) {
	for {
		n := h.notified.Load()
		if int64(pos) <= n || h.notified.CompareAndSwap(n, int64(pos)) {
			break
		}
	}
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

// HubStats is what a Hub reports.
type HubStats struct {
	Position    events.Position `json:"position"` // the last log position derived
	From        events.Position `json:"from"`     // positions after it are in memory
	Buffered    int             `json:"buffered"` // events in memory
	Subscribers int             `json:"subscribers"`
	Derived     int64           `json:"derived"`   // envelopes derived by Run
	Overflows   int64           `json:"overflows"` // subscribers ended for falling behind
}

// Stats reports the Hub's state.
func (h *Hub) Stats() HubStats {
	h.mu.Lock()
	defer h.mu.Unlock()
	return HubStats{Position: h.head, From: h.from, Buffered: h.ringEvents, Subscribers: len(h.subs),
		Derived: h.derived, Overflows: h.overflows}
}

// Run tails the log from its head until ctx ends (returning ctx's error).
func (h *Hub) Run(ctx context.Context) error {
	h.mu.Lock()
	if h.running {
		h.mu.Unlock()
		return fault.New(fault.ErrConflict, "activity hub: Run called twice")
	}
	h.running = true
	h.mu.Unlock()
	var head events.Position
	for {
		var err error
		if head, err = h.cfg.Log.Head(ctx); err == nil {
			break
		}
		h.log.Warn("read the log head", "err", err)
		if err := h.sleep(ctx); err != nil {
			return err
		}
	}
	h.mu.Lock()
	h.from, h.head = head, head
	h.mu.Unlock()
	close(h.ready)
	pos := head
	// One timer serves every wait of the loop (Reset after Stop never delivers a stale tick).
	tm := time.NewTimer(time.Hour)
	tm.Stop()
	defer tm.Stop()
	for {
		batch, err := h.cfg.Log.ReadAll(ctx, pos, hubBatch)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			h.log.Warn("read the log", "after", pos, "err", err)
			if err := h.sleep(ctx); err != nil {
				return err
			}
			continue
		}
		if len(batch) == 0 {
			if err := h.sleep(ctx); err != nil {
				return err
			}
			continue
		}
		entries, err := h.deriveBatch(ctx, batch)
		if err != nil {
			return err
		}
		pos = batch[len(batch)-1].GlobalPosition
		h.publish(entries, pos, len(batch))
		if len(entries) > 0 {
			tm.Reset(h.cfg.Coalesce)
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-tm.C:
			}
		}
		if err := h.idle(ctx, pos, tm); err != nil {
			return err
		}
	}
}

// idle waits, once Notify has been called, until it gives a position after pos (or Poll
// passes, or ctx ends), on timer t (stopped when it returns).
func (h *Hub) idle(ctx context.Context, pos events.Position, t *time.Timer) error {
	if h.notified.Load() == 0 {
		return nil
	}
	armed := false
	defer t.Stop()
	for events.Position(h.notified.Load()) <= pos {
		if !armed {
			t.Reset(h.cfg.Poll)
			armed = true
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-h.wake:
		case <-t.C:
			return nil
		}
	}
	return nil
}

func (h *Hub) sleep(ctx context.Context) error {
	t := time.NewTimer(h.cfg.Poll)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-h.wake:
	case <-t.C:
	}
	return nil
}

// deriveBatch derives the envelopes of batch once the graph has folded them. An envelope whose
// derivation keeps failing is logged and skipped (live subscribers miss its events; a
// subscriber catching up derives it again).
func (h *Hub) deriveBatch(ctx context.Context, batch []events.Envelope) ([]*entry, error) {
	var out []*entry
	var slab []entry // the entries, allocated together (the ring holds them as pointers)
	waited := false
	for _, env := range batch {
		if !Relevant(env.Type) {
			continue
		}
		if !waited {
			if err := h.cfg.WaitFor(ctx, batch[len(batch)-1].GlobalPosition); err != nil {
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				h.log.Warn("wait for the graph", "position", batch[len(batch)-1].GlobalPosition, "err", err)
			}
			waited = true
		}
		var evs []Event
		var err error
		for attempt := 1; attempt <= deriveAttempts; attempt++ {
			if evs, err = h.cfg.Derive(ctx, env); err == nil || ctx.Err() != nil {
				break
			}
			time.Sleep(time.Duration(attempt) * 20 * time.Millisecond)
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if err != nil {
			h.log.Error("derive the events of a log position: skipped for live subscribers", "position", env.GlobalPosition, "type", env.Type, "err", err)
			continue
		}
		if len(evs) > 0 {
			if slab == nil {
				n := 0
				for i := range batch {
					if Relevant(batch[i].Type) {
						n++
					}
				}
				slab, out = make([]entry, 0, n), make([]*entry, 0, n)
			}
			slab = append(slab, entry{pos: env.GlobalPosition, events: evs})
			out = append(out, &slab[len(slab)-1])
		}
	}
	return out, nil
}

// publish adds entries (up to position last) to the ring, hands them to the subscribers and
// trims the ring to its Buffer.
func (h *Hub) publish(entries []*entry, last events.Position, envelopes int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.derived += int64(envelopes)
	for _, e := range entries {
		h.ring = append(h.ring, e)
		h.ringEvents += len(e.events)
	}
	// Each subscriber takes a chunk of entries at once: one lock and one wake-up per subscriber
	// per chunk, not per entry; chunks let subscribers drain their queue while a long batch is
	// handed over.
	// Subscribers of given node ids only see the entries naming them (subIndex).
	for i := 0; i < len(entries); i += pushChunk {
		chunk := entries[i:min(i+pushChunk, len(entries))]
		for _, s := range h.idx.candidates(chunk) {
			var ok bool
			if ok, h.pushBuf = s.push(chunk, h.cfg.SchemaOf, h.pushBuf[:0]); !ok {
				h.remove(s)
				h.overflows++
			}
		}
	}
	h.head = last
	drop := 0
	for h.ringEvents > h.cfg.Buffer && drop < len(h.ring)-1 {
		h.ringEvents -= len(h.ring[drop].events)
		h.from = h.ring[drop].pos
		h.ring[drop] = nil
		drop++
	}
	if drop > 0 {
		h.ring = h.ring[drop:]
	}
	if len(h.ring) == 0 {
		h.from = last
	}
}

// remove forgets s (h.mu held).
func (h *Hub) remove(s *subscriber) {
	if _, ok := h.subs[s]; ok {
		delete(h.subs, s)
		h.idx.remove(s)
	}
}

// subscriber is one live subscription: the events matching its filter queue here until its
// goroutine delivers them.
type subscriber struct {
	f      Filter
	max    int
	after  events.Position // entries at or before it were delivered from the ring or the log
	signal chan struct{}
	mark   uint64 // subIndex.candidates' pass that chose it last

	mu       sync.Mutex
	queue    []*entry
	queued   int
	overflow bool
}

// push queues the events of entries matching s's filter; false when s's buffer overflowed (s is
// then done: its goroutine ends it). add is scratch room for the entries taken, answered back
// (the caller's to reuse).
func (s *subscriber) push(entries []*entry, schemaOf SchemaOf, add []*entry) (bool, []*entry) {
	n := 0
	for _, e := range entries {
		if e.pos <= s.after {
			continue
		}
		if m := matching(e, s.f, schemaOf); m != nil {
			add = append(add, m)
			n += len(m.events)
		}
	}
	if len(add) == 0 {
		return true, add
	}
	s.mu.Lock()
	if s.queued+n > s.max {
		s.overflow = true
		s.mu.Unlock()
		s.notify()
		clear(add)
		return false, add
	}
	s.queue = append(s.queue, add...)
	s.queued += n
	s.mu.Unlock()
	s.notify()
	clear(add) // the scratch keeps no entry alive
	return true, add
}

func (s *subscriber) notify() {
	select {
	case s.signal <- struct{}{}:
	default:
	}
}

// matching is the part of e that f lets through (e itself when all of it), nil when none;
// Last marks the last event handed over.
func matching(e *entry, f Filter, schemaOf SchemaOf) *entry {
	if len(e.events) == 0 {
		return nil
	}
	all := true
	for i := range e.events {
		if !f.Match(e.events[i], schemaOf) {
			all = false
			break
		}
	}
	if all && (f.AllowedKinds == nil || !slices.ContainsFunc(e.events, f.hides)) {
		return e // shared: nothing to leave out
	}
	var out []Event
	for _, ev := range e.events {
		if f.Match(ev, schemaOf) {
			out = append(out, f.Visible(ev))
		}
	}
	if len(out) == 0 {
		return nil
	}
	for i := range out {
		out[i].Last = i == len(out)-1
	}
	return &entry{pos: e.pos, events: out}
}

// Subscribe delivers the events after position after matching f, in log order, without gap or
// duplicate: from the log (derived again) while after is older than what the Hub keeps, then
// from memory, then live. It ends when ctx ends (ctx's error), deliver fails (its error) or
// the subscriber falls SubscriberBuffer events behind (an *OverflowError whose After is the last
// position whose events were all delivered). Events of one log position are delivered together;
// see Event.Last for resuming from the middle of them.
func (h *Hub) Subscribe(ctx context.Context, after events.Position, f Filter, deliver func(Event) error) error {
	select {
	case <-h.ready:
	case <-ctx.Done():
		return ctx.Err()
	}
	if after < 0 {
		return fmt.Errorf("activity: position %d: %w", after, fault.ErrInvalid)
	}
	s := &subscriber{f: f, max: h.cfg.SubscriberBuffer, signal: make(chan struct{}, 1)}
	cursor := after
	var backlog []*entry
	for {
		h.mu.Lock()
		if cursor >= h.from {
			i := sort.Search(len(h.ring), func(i int) bool { return h.ring[i].pos > cursor })
			backlog = append(backlog, h.ring[i:]...)
			s.after = max(cursor, h.head)
			h.subs[s] = struct{}{}
			h.idx.add(s)
			h.mu.Unlock()
			break
		}
		target := h.from
		h.mu.Unlock()
		var err error
		if cursor, err = h.catchUp(ctx, cursor, target, f, deliver); err != nil {
			return err
		}
	}
	defer func() {
		h.mu.Lock()
		h.remove(s)
		h.mu.Unlock()
	}()
	for _, e := range backlog {
		if m := matching(e, f, h.cfg.SchemaOf); m != nil {
			if err := h.deliver(ctx, m, deliver); err != nil {
				return err
			}
			cursor = e.pos
		}
	}
	for {
		s.mu.Lock()
		queue, overflow := s.queue, s.overflow
		s.queue, s.queued = nil, 0
		s.mu.Unlock()
		if overflow {
			return &OverflowError{After: cursor}
		}
		for _, e := range queue {
			if err := h.deliver(ctx, e, deliver); err != nil {
				return err
			}
			cursor = e.pos
		}
		if len(queue) > 0 {
			continue
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.signal:
		}
	}
}

func (h *Hub) deliver(ctx context.Context, e *entry, deliver func(Event) error) error {
	for _, ev := range e.events {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := deliver(ev); err != nil {
			return err
		}
	}
	return nil
}

// catchUp delivers the events of the log positions in (after, target] matching f, deriving
// them again, and returns target.
func (h *Hub) catchUp(ctx context.Context, after, target events.Position, f Filter, deliver func(Event) error) (events.Position, error) {
	cursor := after
	for cursor < target {
		batch, err := h.cfg.Log.ReadAll(ctx, cursor, hubBatch)
		if err != nil {
			return cursor, fmt.Errorf("activity: catch up after position %d: %w", cursor, err)
		}
		if len(batch) == 0 {
			break
		}
		if err := h.cfg.WaitFor(ctx, min(target, batch[len(batch)-1].GlobalPosition)); err != nil {
			return cursor, fmt.Errorf("activity: catch up after position %d: %w", cursor, err)
		}
		for _, env := range batch {
			if env.GlobalPosition > target {
				return target, nil
			}
			if Relevant(env.Type) {
				evs, err := h.cfg.Derive(ctx, env)
				if err != nil {
					if errors.Is(err, ctx.Err()) && ctx.Err() != nil {
						return cursor, ctx.Err()
					}
					return cursor, fmt.Errorf("activity: catch up: %w", err)
				}
				if m := matching(&entry{pos: env.GlobalPosition, events: evs}, f, h.cfg.SchemaOf); m != nil {
					if err := h.deliver(ctx, m, deliver); err != nil {
						return cursor, err
					}
				}
			}
			cursor = env.GlobalPosition
		}
	}
	return target, nil
}
