package nodes

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/google/uuid"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/branch/graph"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/schema"
)

// Name is the projector name of the Store.
const Name = "graph"

// Store is the branch registry, every branch's schema and every node, folded from the log. It is
// a projector (Name, Version, Apply, Reset); the write side decides against its Views and the
// embedded graph projection reads from them.
//
// The Store embeds the branch State rather than running next to it so that a View's schema, data
// and stream versions always come from the same log position.
type Store struct {
	cat      *events.Catalogue
	branches *branch.State

	mu          sync.RWMutex
	g           *graph.State
	kinds       *graph.Interner
	fields      *graph.Interner
	constraints *graph.Interner
	position    events.Position
	lastEvent   uuid.UUID          // the event at position: a snapshot is checked against the log with it
	scratch     scratch            // the changes of the node event being applied (under mu)
	pipe        [pipeDepth]scratch // the changes of the chunks a pipelined fold makes ahead (under mu)
	names       names              // ids of the names the fold met (under mu)
	actors      map[string]string  // the actors of the stamps, interned (under mu)
	lastValues  []any              // by attribute field, the last string value written (under mu)
}

// NewStore returns the Store of an empty log. branches must be fresh (the Store feeds it).
func NewStore(cat *events.Catalogue, branches *branch.State) *Store {
	s := &Store{cat: cat, branches: branches}
	s.clear()
	return s
}

// NewCatalogue is a catalogue of every event type a Store folds and the write side writes: the
// core's, schema, branch and node events.
func NewCatalogue() *events.Catalogue {
	cat := events.NewCatalogueWithCore()
	schema.RegisterEvents(cat)
	branch.RegisterEvents(cat)
	RegisterEvents(cat)
	return cat
}

// New returns the Store of an empty log with the built-in schema and a catalogue of its own
// (NewCatalogue; see Catalogue).
func New() (*Store, error) {
	cat := NewCatalogue()
	builtin, err := branch.Builtin()
	if err != nil {
		return nil, err
	}
	return NewStore(cat, branch.NewState(cat, builtin)), nil
}

// Catalogue is the catalogue the Store decodes events with.
func (s *Store) Catalogue() *events.Catalogue { return s.cat }

func (s *Store) clear() {
	s.g = graph.NewState()
	s.kinds, s.fields, s.constraints = graph.NewInterner(), graph.NewInterner(), graph.NewInterner()
	s.names = newNames()
	s.position = 0
	s.lastEvent = uuid.UUID{}
}

// Branches is the branch registry and schemas the Store keeps current.
func (s *Store) Branches() *branch.State { return s.branches }

// Name implements projections.Projector.
func (s *Store) Name() string { return Name }

// Version implements projections.Projector.
func (s *Store) Version() int { return 1 }

// Reset implements projections.Resetter.
func (s *Store) Reset(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clear()
	return s.branches.Reset(ctx)
}

// Position is the log position the Store reflects.
func (s *Store) Position() events.Position {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.position
}

// Apply folds a batch of the log.
func (s *Store) Apply(ctx context.Context, batch []events.Envelope) error {
	return s.ApplyDecoded(ctx, batch, nil)
}

// ApplyDecoded is Apply with the node events' payloads already decoded: payloads[i], when
// payloads is not nil, is the catalogue's decoding of batch[i] (nil for other events). Benchmarks
// use it to measure the fold without the JSON decoding.
func (s *Store) ApplyDecoded(ctx context.Context, batch []events.Envelope, payloads []any) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if pipelines(batch) {
		return s.applyPipelined(ctx, batch, payloads)
	}
	for i := range batch {
		var v any
		if payloads != nil {
			v = payloads[i]
		}
		if err := s.applyEvent(ctx, batch, i, v, nil); err != nil {
			return err
		}
	}
	return nil
}

// applyEvent folds batch[i] unless the Store has seen it; decoded is its payload when not nil.
// The changes of a node event come from pre when it is not nil (made ahead of the fold).
func (s *Store) applyEvent(ctx context.Context, batch []events.Envelope, i int, decoded any, pre *prepared) error {
	e := &batch[i]
	if e.GlobalPosition <= s.position {
		return nil
	}
	if err := s.branches.Apply(ctx, batch[i:i+1]); err != nil {
		return err
	}
	var err error
	if pre != nil {
		err = s.applyPrepared(e, pre)
	} else {
		err = s.apply(e, decoded)
	}
	if err != nil {
		return fmt.Errorf("%s at position %d: %w", e.Type, e.GlobalPosition, err)
	}
	s.position, s.lastEvent = e.GlobalPosition, e.EventID
	return nil
}

// Head is the log position the Store reflects and the id of the event at that position.
func (s *Store) Head() (events.Position, uuid.UUID) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.position, s.lastEvent
}

// ChangesGraph reports whether an event of type typ may change what a Store holds besides its
// position: the node events and the events its branch state folds (branch.Folds: branches,
// merges, rebases, schemas). Any other event (a diagnostic, a task's, ...) only gives its
// position a time.
func ChangesGraph(typ string) bool {
	switch typ {
	case TypeCreated, TypeUpdated, TypeDeleted:
		return true
	}
	return branch.Folds(typ)
}

func (s *Store) apply(e *events.Envelope, decoded any) error {
	pos := int64(e.GlobalPosition) // branch/graph counts positions as int64
	switch e.Type {
	case branch.TypeCreated:
		v, err := s.cat.Decode(*e)
		if err != nil {
			return err
		}
		p := v.(branch.Created)
		base := int64(min(p.BranchedFrom, e.GlobalPosition-1))
		if base > s.g.Position() { // the graph has not seen base yet: let it know the position
			if err := s.g.Apply(graph.Main, base, e.RecordedAt); err != nil {
				return err
			}
		}
		_ = s.g.DeleteBranch(p.Name) // created again after a delete: start afresh
		return s.g.CreateBranch(p.Name, base)
	case branch.TypeDeleted:
		v, err := s.cat.Decode(*e)
		if err != nil {
			return err
		}
		_ = s.g.DeleteBranch(v.(branch.Deleted).Name)
		return nil
	case branch.TypeMerged:
		v, err := s.cat.Decode(*e)
		if err != nil {
			return err
		}
		cs, err := codec{s: s}.mergeChanges(v.(branch.Merged).Changes)
		if err != nil {
			return fmt.Errorf("merge of %s: %w", v.(branch.Merged).Name, err)
		}
		return s.g.Apply(graph.Main, pos, e.RecordedAt, cs...)
	case branch.TypeRebased:
		v, err := s.cat.Decode(*e)
		if err != nil {
			return err
		}
		p := v.(branch.Rebased)
		cs, err := codec{s: s}.mergeChanges(p.Changes)
		if err != nil {
			return fmt.Errorf("rebase of %s: %w", p.Name, err)
		}
		if err := s.g.Apply(p.Name, pos, e.RecordedAt, cs...); err != nil {
			return err
		}
		return s.g.Rebase(p.Name, int64(min(p.BranchedFrom, e.GlobalPosition-1)))
	case TypeCreated, TypeUpdated, TypeDeleted:
	default:
		// No node changes, but the position gets its time, so that `at` resolves to it.
		if pos > s.g.Position() {
			return s.g.Apply(graph.Main, pos, e.RecordedAt)
		}
		return nil
	}
	name, err := nodeBranch(e)
	if err != nil {
		return err
	}
	buf := &s.scratch
	buf.cs, buf.peers = buf.cs[:0], buf.peers[:0]
	cs, err := s.nodeChanges(e, decoded, buf)
	if err != nil {
		return err
	}
	err = s.g.Apply(name, pos, e.RecordedAt, cs...)
	clear(buf.cs) // the graph keeps the values, not the slice: reuse it for the next event
	return err
}

// nodeBranch is the graph's name of the branch of a node event.
func nodeBranch(e *events.Envelope) (string, error) {
	name, ok := branch.NameOf(e.Stream)
	if !ok {
		return "", fmt.Errorf("node event on stream %q", e.Stream)
	}
	if name == branch.Default {
		name = graph.Main
	}
	return name, nil
}

// nodeChanges decodes a node event (unless decoded is its payload) and appends its graph
// changes to buf, returning them. It uses the Store's caches of names, actors and values and no
// other state, so that it may run ahead of the graph's fold (see applyPipelined).
func (s *Store) nodeChanges(e *events.Envelope, decoded any, buf *scratch) ([]graph.Change, error) {
	v := decoded
	if v == nil {
		var err error
		if v, err = s.cat.Decode(*e); err != nil {
			return nil, err
		}
	}
	meta := graph.Value{Data: s.stamp(e.RecordedAt, e.Metadata.Actor)}
	start := len(buf.cs)
	cod := codec{s: s, buf: buf}
	var (
		cs  []graph.Change
		err error
	)
	switch p := v.(type) {
	case Created:
		cs, err = cod.created(p, meta)
	case Updated:
		cs, err = cod.updated(p, meta)
	case Deleted:
		cs, err = cod.deleted(p)
	default:
		cs = buf.cs
	}
	if err != nil {
		return nil, err
	}
	buf.cs = cs
	return cs[start:], nil
}

// MergePlan is what merging a branch writes on the default branch, in stored form. The caller
// (the merge command) holds the branch's and main's command locks.
func (s *Store) MergePlan(name string, keepMain func(branch.ConflictRef) bool, cardOne func(kind, field string) bool) ([]branch.Change, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	spec := graph.MergeSpec{KeepMain: map[graph.Slot]bool{}, KeepMainNodes: map[graph.NodeID]bool{}}
	if keepMain != nil {
		d, err := s.g.Diff(name)
		if err != nil {
			return nil, err
		}
		// A node resolved for main keeps main's existence and every slot of it.
		for _, nd := range d.Nodes {
			if keepMain(branch.ConflictRef{Node: nd.Node.String()}) {
				spec.KeepMainNodes[nd.Node] = true
			}
		}
		for _, sd := range d.Slots {
			if sd.Conflict && keepMain(branch.ConflictRef{Node: sd.Slot.Node.String(), Field: s.fields.Name(uint32(sd.Slot.Field))}) ||
				keepMain(branch.ConflictRef{Node: sd.Slot.Node.String()}) {
				spec.KeepMain[sd.Slot] = true
			}
		}
		// A node whose attribute keeps main's value keeps main's HFID, label and unique
		// values too: they are computed from its attributes.
		kept := map[graph.NodeID]bool{}
		for sl := range spec.KeepMain {
			kept[sl.Node] = true
		}
		for id := range kept {
			for _, f := range []string{FieldHFID, FieldLabel} {
				if fid, ok := s.fields.Lookup(f); ok {
					spec.KeepMain[graph.Slot{Node: id, Field: graph.FieldID(fid)}] = true
				}
			}
		}
		spec.KeepMainUnique = func(u graph.UniqueDiff) bool {
			if kept[u.Branch] || kept[u.Base] {
				return true
			}
			return keepMain(branch.ConflictRef{Kind: s.kinds.Name(uint32(u.Kind)), Constraint: s.constraints.Name(uint32(u.Constraint)), Key: u.Key})
		}
	}
	base := s.mergeSpec(cardOne)
	spec.WholeSet, spec.Mirror = base.WholeSet, base.Mirror
	cs, err := s.g.MergeChanges(name, spec)
	if err != nil {
		return nil, err
	}
	return codec{s: s}.stored(cs), nil
}

// RebasePlan is what a rebase writes on the branch before it moves its base: for the conflicts
// resolved for the default branch, the default branch's values.
func (s *Store) RebasePlan(name string, keepMain func(branch.ConflictRef) bool, cardOne func(kind, field string) bool) ([]branch.Change, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	d, err := s.g.Diff(name)
	if err != nil {
		return nil, err
	}
	var slots []graph.Slot
	var ids []graph.NodeID
	for _, sd := range d.Slots {
		if sd.Conflict && keepMain(branch.ConflictRef{Node: sd.Slot.Node.String(), Field: s.fields.Name(uint32(sd.Slot.Field))}) {
			slots = append(slots, sd.Slot)
		}
	}
	for _, nd := range d.Nodes {
		if nd.Conflict && keepMain(branch.ConflictRef{Node: nd.Node.String()}) {
			ids = append(ids, nd.Node)
		}
	}
	cs, err := s.g.RevertChanges(name, slots, ids, s.mergeSpec(cardOne))
	if err != nil {
		return nil, err
	}
	return codec{s: s}.stored(cs), nil
}

// mergeSpec is the part of a graph.MergeSpec that comes from the schema.
func (s *Store) mergeSpec(cardOne func(kind, field string) bool) graph.MergeSpec {
	var spec graph.MergeSpec
	spec.WholeSet = func(sl graph.Slot, kind graph.KindID) bool {
		return cardOne != nil && cardOne(s.kinds.Name(uint32(kind)), s.fields.Name(uint32(sl.Field)))
	}
	spec.Mirror = func(f graph.FieldID) (graph.FieldID, bool) {
		name := s.fields.Name(uint32(f))
		if !strings.HasPrefix(name, "r:") {
			return 0, false
		}
		id, ok := s.fields.Lookup(Mirror(name))
		return graph.FieldID(id), ok
	}
	return spec
}

func parseID(what, id string) (graph.NodeID, error) {
	n, err := graph.ParseNodeID(id)
	if err != nil {
		return n, fmt.Errorf("%s %q: %w", what, id, err)
	}
	return n, nil
}

func lineage(source, owner string, protected bool) (graph.Lineage, error) {
	l := graph.Lineage{IsProtected: protected}
	var err error
	if source != "" {
		if l.Source, err = parseID("source", source); err != nil {
			return l, err
		}
	}
	if owner != "" {
		if l.Owner, err = parseID("owner", owner); err != nil {
			return l, err
		}
	}
	return l, nil
}

// Canon returns v as the Store holds values: as encoding/json decodes it (numbers are float64,
// lists []any, objects map[string]any). Deciders compare new values with stored ones in this form.
func Canon(v any) any {
	switch x := v.(type) {
	case nil, string, bool, float64:
		return x
	case int:
		return float64(x)
	case int64:
		return float64(x)
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	if err := json.Unmarshal(raw, &out); err != nil {
		return v
	}
	return out
}
