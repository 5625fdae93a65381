package changes

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/events"
)

// Subscriber reacts to a batch. It runs in the subscriber's own goroutine, one batch at a time;
// batches that arrive meanwhile are coalesced per branch.
type Subscriber func(ctx context.Context, b Batch)

// Feed is a projector (projections.Projector) that hands the changes after From to its
// subscribers. Apply never waits for a subscriber: what a busy subscriber has not taken yet is
// merged into its pending batch of the branch.
type Feed struct {
	// From is the last position that is not news: where the subscribers' saved positions say
	// they stopped (the log's head when none was saved); events up to it are not handed out.
	From events.Position
	// MaxPending bounds the node changes kept per subscriber and branch while it is busy
	// (default 100,000); beyond it the pending batch keeps only its position and is marked
	// Overflow, so that the subscriber rescans.
	MaxPending int
	Logger     *slog.Logger
	// Decoded, when set, answers a node event's payload already decoded as the catalogue
	// decodes it (projections.Runner.Payload), read and never changed; the Feed decodes the
	// JSON when it answers nothing.
	Decoded func(env events.Envelope) (any, bool)

	mu   sync.Mutex
	subs []*sub
}

type sub struct {
	name    string
	fn      Subscriber
	mu      sync.Mutex
	pending map[string]*Batch // by branch
	order   []string          // branches in the order they became pending
	wake    chan struct{}
}

// Subscribe adds a subscriber; call it before Run.
func (f *Feed) Subscribe(name string, fn Subscriber) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.subs = append(f.subs, &sub{name: name, fn: fn, pending: map[string]*Batch{}, wake: make(chan struct{}, 1)})
}

// Name, Version: the projector's identity (kept in memory: a restart starts at the head).
func (f *Feed) Name() string { return "changes" }
func (f *Feed) Version() int { return 1 }

// Run delivers batches to the subscribers until ctx ends.
func (f *Feed) Run(ctx context.Context) error {
	f.mu.Lock()
	subs := append([]*sub(nil), f.subs...)
	f.mu.Unlock()
	var wg sync.WaitGroup
	for _, s := range subs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.run(ctx)
		}()
	}
	wg.Wait()
	return ctx.Err()
}

func (s *sub) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		}
		for {
			b, ok := s.next()
			if !ok {
				break
			}
			s.fn(ctx, b)
			if ctx.Err() != nil {
				return
			}
		}
	}
}

func (s *sub) next() (Batch, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.order) == 0 {
		return Batch{}, false
	}
	name := s.order[0]
	s.order = s.order[1:]
	b := s.pending[name]
	delete(s.pending, name)
	return *b, true
}

// Apply collects the node and branch events of batch after From, per branch, and hands them to
// every subscriber.
func (f *Feed) Apply(_ context.Context, batch []events.Envelope) error {
	var got []*Batch
	byBranch := map[string]*Batch{}
	at := func(name string, pos events.Position) *Batch {
		b := byBranch[name]
		if b == nil {
			b = &Batch{Branch: name}
			byBranch[name] = b
			got = append(got, b)
		}
		b.Position = pos
		return b
	}
	for _, e := range batch {
		if e.GlobalPosition <= f.From {
			continue
		}
		f.collect(e, at)
	}
	if len(got) == 0 {
		return nil
	}
	f.mu.Lock()
	subs := f.subs
	f.mu.Unlock()
	for _, s := range subs {
		s.add(got, f.maxPending())
	}
	return nil
}

func (f *Feed) maxPending() int {
	if f.MaxPending > 0 {
		return f.MaxPending
	}
	return 100_000
}

// collect adds one event to the batch of its branch.
func (f *Feed) collect(e events.Envelope, at func(string, events.Position) *Batch) {
	switch e.Type {
	case nodes.TypeCreated, nodes.TypeUpdated, nodes.TypeDeleted:
		name, ok := branch.NameOf(e.Stream)
		if !ok {
			return
		}
		c, err := f.nodeChange(e)
		if err != nil {
			f.warn("a node event could not be read", e, err)
			return
		}
		b := at(name, e.GlobalPosition)
		b.Nodes = append(b.Nodes, c)
	case branch.TypeCreated, branch.TypeDeleted:
		var p struct {
			Name string `json:"name"`
		}
		if err := json.Unmarshal(e.Payload, &p); err != nil || p.Name == "" {
			f.warn("a branch event could not be read", e, err)
			return
		}
		b := at(p.Name, e.GlobalPosition)
		b.BranchEvents = append(b.BranchEvents, map[string]string{branch.TypeCreated: "created", branch.TypeDeleted: "deleted"}[e.Type])
	case branch.TypeRebased:
		name, ok := branch.NameOf(e.Stream)
		if !ok {
			return
		}
		b := at(name, e.GlobalPosition)
		b.BranchEvents = append(b.BranchEvents, "rebased")
	case branch.TypeMerged:
		name, ok := branch.NameOf(e.Stream)
		if !ok {
			return
		}
		var p branch.Merged
		if err := json.Unmarshal(e.Payload, &p); err != nil {
			f.warn("a merge event could not be read", e, err)
			return
		}
		b := at(name, e.GlobalPosition)
		b.BranchEvents = append(b.BranchEvents, "merged")
		b.MergedFrom = append(b.MergedFrom, p.Name)
		b.Nodes = append(b.Nodes, mergedChanges(p.Changes)...)
	}
}

func (f *Feed) warn(msg string, e events.Envelope, err error) {
	if f.Logger != nil {
		f.Logger.Warn(msg, "position", e.GlobalPosition, "type", e.Type, "err", err)
	}
}

// add merges batches into the subscriber's pending ones and wakes it.
func (s *sub) add(bs []*Batch, max int) {
	s.mu.Lock()
	for _, b := range bs {
		p := s.pending[b.Branch]
		if p == nil {
			cp := *b
			cp.Nodes = append([]NodeChange(nil), b.Nodes...)
			s.pending[b.Branch] = &cp
			s.order = append(s.order, b.Branch)
			p = &cp
		} else {
			p.Position = b.Position
			p.BranchEvents = append(p.BranchEvents, b.BranchEvents...)
			p.MergedFrom = append(p.MergedFrom, b.MergedFrom...)
			if !p.Overflow {
				p.Nodes = append(p.Nodes, b.Nodes...)
			}
		}
		if len(p.Nodes) > max {
			p.Nodes, p.Overflow = nil, true
		}
	}
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// nodeChange reads a node event: from its payload already decoded when Decoded answers it.
func (f *Feed) nodeChange(e events.Envelope) (NodeChange, error) {
	if f.Decoded != nil {
		if v, ok := f.Decoded(e); ok {
			switch p := v.(type) {
			case nodes.Created:
				return change(e, p.ID, p.Kind, p.Attributes, p.Edges), nil
			case nodes.Updated:
				return change(e, p.ID, p.Kind, p.Attributes, p.Edges), nil
			case nodes.Deleted:
				return change(e, p.ID, p.Kind, map[string]nodes.Attr(nil), p.Edges), nil
			}
		}
	}
	var p struct {
		ID         string                     `json:"id"`
		Kind       string                     `json:"kind"`
		Attributes map[string]json.RawMessage `json:"attributes"`
		Edges      []nodes.Edge               `json:"edges"`
	}
	if err := json.Unmarshal(e.Payload, &p); err != nil {
		return NodeChange{}, err
	}
	return change(e, p.ID, p.Kind, p.Attributes, p.Edges), nil
}

// change is the NodeChange of node event e: its node, the names of the attributes it wrote and
// the peers of its edges.
func change[A any](e events.Envelope, id, kind string, attrs map[string]A, edges []nodes.Edge) NodeChange {
	c := NodeChange{ID: id, Kind: kind, Action: map[string]string{
		nodes.TypeCreated: Created, nodes.TypeUpdated: Updated, nodes.TypeDeleted: Deleted}[e.Type]}
	for name := range attrs {
		c.Attributes = append(c.Attributes, name)
	}
	for _, ed := range edges {
		if ed.Node != "" && ed.Node != id {
			c.Peers = append(c.Peers, ed.Node)
		}
		if ed.Peer != "" {
			c.Peers = append(c.Peers, ed.Peer)
		}
	}
	return c
}

// mergedChanges are the node changes a merge wrote on the default branch: one per node, with
// the attributes and peers it touched.
func mergedChanges(cs []branch.Change) []NodeChange {
	idx := map[string]int{}
	var out []NodeChange
	for _, c := range cs {
		if c.Node == "" {
			continue
		}
		i, ok := idx[c.Node]
		if !ok {
			i = len(out)
			idx[c.Node] = i
			out = append(out, NodeChange{ID: c.Node, Kind: c.Kind, Action: Updated})
		}
		if out[i].Kind == "" {
			out[i].Kind = c.Kind
		}
		if name, ok := attrName(c.Field); ok {
			out[i].Attributes = append(out[i].Attributes, name)
		}
		if c.Peer != "" {
			out[i].Peers = append(out[i].Peers, c.Peer)
		}
	}
	return out
}

// attrName is the attribute a stored field names (a:<name>).
func attrName(field string) (string, bool) {
	if len(field) > 2 && field[:2] == "a:" {
		return field[2:], true
	}
	return "", false
}

// Position makes the runner start after From (projections.Positioned): what came before is
// not news, and need not be read.
func (f *Feed) Position() events.Position { return f.From }
