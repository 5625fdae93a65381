package graph

import (
	"errors"
	"fmt"
	"sync"

	"github.com/infrahub-go/infrahub/fault"
)

// Names of the two branches every State has.
const (
	Main   = "main"   // the default branch
	Global = "global" // branch-agnostic data, seen by every branch
)

// Errors returned by State.
var (
	ErrNotFound        = fault.New(fault.ErrNotFound, "not found")
	ErrBranchNotFound  = fmt.Errorf("branch %w", ErrNotFound)
	ErrBranchExists    = fault.New(fault.ErrConflict, "branch already exists")
	ErrPositionOrder   = errors.New("position does not grow")
	ErrInvalidChange   = errors.New("invalid change")
	ErrReservedBranch  = fault.New(fault.ErrInvalid, "reserved branch name")
	ErrBaseInTheFuture = errors.New("base position is after the last applied position")
)

// uniqueKey is one value of one uniqueness constraint of a kind.
type uniqueKey struct {
	kind       KindID
	constraint ConstraintID
	key        string
}

// edgeKey is one relationship edge: a peer in a slot. Edges are a layer of their own (value:
// present, deleted: removed) so that adding one peer to a node with many costs one version, not
// a copy of the whole peer set.
type edgeKey struct {
	Slot Slot
	Peer NodeID
}

// mainState is the default branch.
type mainState struct {
	table  *nodeTable // the numbers of the nodes the slot, edge and node layers hold
	slots  *slotLayer
	edges  *edgeLayer // every peer ever linked in a slot, with its edge's versions
	nodes  nodeLayer
	unique uniqueLayer
	index  map[KindID][]NodeID // every node ever created on main, sorted; existence filters
	counts map[KindID]*counter // live nodes per kind over positions
}

// overlayState is a branch or the global overlay. Everything but the struct is created on the
// first write to it.
type overlayState struct {
	name   string
	base   int64 // main position the branch sees; unused for the global overlay
	slots  overlay[Slot, Value]
	edges  overlay[edgeKey, struct{}]
	peers  map[Slot][]NodeID // peers linked here, sorted
	nodes  overlay[NodeID, KindID]
	unique overlay[uniqueKey, NodeID]
	added  map[KindID][]NodeID // nodes created here, sorted
	counts map[KindID]*counter // change of live nodes per kind over positions
}

// State is the branch-aware state in memory. The zero value is not usable: call NewState.
type State struct {
	mu       sync.RWMutex
	main     mainState
	global   *overlayState
	branches map[string]*overlayState
	times    timeline // sorted by position and by time
	position int64    // last applied position
}

// NewState returns the state of an empty log: main and the global overlay, no branches.
func NewState() *State {
	t := newNodeTable(0)
	s := &State{
		main: mainState{
			table:  t,
			edges:  newEdgeLayer(t),
			nodes:  newNodeLayer(t),
			unique: newUniqueLayer(),
			index:  map[KindID][]NodeID{},
			counts: map[KindID]*counter{},
		},
		global:   &overlayState{name: Global},
		branches: map[string]*overlayState{},
	}
	s.main.slots = newSlotLayer(t, &s.times)
	return s
}

// Position is the last applied position (0 before the first Apply).
func (s *State) Position() int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.position
}

// CreateBranch adds a branch that sees main as of base. base may not be after the last applied
// position (a branch cannot see main's future). It costs one small struct: the overlay's maps
// are made on its first write.
func (s *State) CreateBranch(name string, base int64) error {
	if name == Main || name == Global || name == "" {
		return fmt.Errorf("%w: %q", ErrReservedBranch, name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.branches[name]; ok {
		return fmt.Errorf("%w: %s", ErrBranchExists, name)
	}
	if base > s.position {
		return fmt.Errorf("%w: %d > %d", ErrBaseInTheFuture, base, s.position)
	}
	s.branches[name] = &overlayState{name: name, base: base}
	return nil
}

// DeleteBranch drops a branch and everything it changed.
func (s *State) DeleteBranch(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.branches[name]; !ok {
		return fmt.Errorf("%w: %s", ErrBranchNotFound, name)
	}
	delete(s.branches, name)
	return nil
}

// Base is the main position a branch sees (for main and global: the last applied position).
func (s *State) Base(name string) (int64, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if name == Main || name == Global {
		return s.position, nil
	}
	b, ok := s.branches[name]
	if !ok {
		return 0, fmt.Errorf("%w: %s", ErrBranchNotFound, name)
	}
	return b.base, nil
}

// Branches lists the branch names (not main, not global), unordered.
func (s *State) Branches() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]string, 0, len(s.branches))
	for n := range s.branches {
		out = append(out, n)
	}
	return out
}

// view is how a read resolves a branch: overlay nil for main.
type view struct {
	s  *State
	ov *overlayState
}

// viewOf resolves name to a view; the caller holds the lock. Reading "global" reads main with
// the global overlay, like every other read.
func (s *State) viewOf(name string) (view, error) {
	if name == Main || name == Global {
		return view{s: s}, nil
	}
	b, ok := s.branches[name]
	if !ok {
		return view{}, fmt.Errorf("%w: %s", ErrBranchNotFound, name)
	}
	return view{s: s, ov: b}, nil
}

// mainAt is the main position this view reads for position pos.
func (v view) mainAt(pos int64) int64 {
	if v.ov != nil && v.ov.base < pos {
		return v.ov.base
	}
	return pos
}
