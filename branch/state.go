package branch

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/google/uuid"

	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/schema"
	"github.com/infrahub-go/infrahub/schema/core"
)

// Default is the default branch.
const Default = "main"

// StreamPrefix starts the stream of every branch.
const StreamPrefix = "branch/"

// Stream is the event stream of branch name: the one place a branch name becomes a stream.
func Stream(name string) events.StreamID { return events.StreamID(StreamPrefix + name) }

// NameOf is the name of the branch whose stream is stream (the inverse of Stream); ok is false
// when stream is not a branch's stream.
func NameOf(stream events.StreamID) (name string, ok bool) {
	return strings.CutPrefix(string(stream), StreamPrefix)
}

// Builtin loads the built-in core schema that every branch starts from.
func Builtin() (*schema.Set, error) {
	var files []*schema.File
	for _, f := range core.Files() {
		parsed, err := schema.Parse("core/"+f.Name, f.Data)
		if err != nil {
			return nil, fmt.Errorf("built-in schema: %w", err)
		}
		files = append(files, parsed)
	}
	set, err := schema.LoadBuiltin(nil, files...)
	if err != nil {
		return nil, fmt.Errorf("built-in schema: %w", err)
	}
	return set, nil
}

// versioned is a schema and the log position it was loaded at.
type versioned struct {
	position events.Position
	set      *schema.Set
}

// State is what the write side decides against and the read side answers from, folded from the
// log: the branches (created, deleted, their base position) and the schema of every branch. A
// branch sees the default branch's schema as of its base position until it loads its own, which
// is then built on that one.
//
// It is a projector (Name, Version, Apply, Reset) run by the composition root.
type State struct {
	catalogue *events.Catalogue
	builtin   *schema.Set

	mu       sync.RWMutex
	branches map[string]Info
	schemas  map[string][]versioned    // per branch, in log order
	versions map[events.StreamID]int64 // per stream: the version seen (expected version of the next write)
	position events.Position
	journal  []events.Envelope            // the lifecycle and schema events applied, for snapshots
	resolved map[string]map[string]string // per branch: conflict id → KeepBase or KeepBranch
	loads    map[string][]schema.Loaded   // per branch other than the default: its schema loads
}

// NewState returns the state of an empty log: the default branch with the built-in schema.
func NewState(cat *events.Catalogue, builtin *schema.Set) *State {
	s := &State{catalogue: cat, builtin: builtin}
	s.clear()
	return s
}

func (s *State) clear() {
	s.branches = map[string]Info{Default: {ID: uuid.NewSHA1(uuid.NameSpaceURL, []byte("branch:"+Default)).String(),
		Name: Default, IsDefault: true, Status: "OPEN", Description: "Default branch"}}
	s.schemas = map[string][]versioned{}
	s.versions = map[events.StreamID]int64{}
	s.position = 0
	s.journal = nil
	s.resolved = map[string]map[string]string{}
	s.loads = map[string][]schema.Loaded{}
}

// Name implements projections.Projector.
func (s *State) Name() string { return "branches" }

// Version implements projections.Projector.
func (s *State) Version() int { return 1 }

// Reset implements projections.Resetter.
func (s *State) Reset(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clear()
	return nil
}

// Apply folds a batch of the log into the state.
func (s *State) Apply(_ context.Context, batch []events.Envelope) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range batch {
		if s.position > 0 && e.GlobalPosition <= s.position {
			continue // seen: a batch given again after a failure
		}
		s.position = e.GlobalPosition
		if _, ok := NameOf(e.Stream); e.Stream != LifecycleStream && !ok {
			continue
		}
		s.versions[e.Stream] = e.StreamVersion
		if err := s.apply(e); err != nil {
			return fmt.Errorf("%s at position %d: %w", e.Type, e.GlobalPosition, err)
		}
	}
	return nil
}

// Folds reports whether the state changes with an event of type typ; any other event only moves
// its position.
func Folds(typ string) bool {
	switch typ {
	case TypeCreated, TypeDeleted, schema.TypeLoaded, TypeMerged, TypeRebased, TypeConflictResolved:
		return true
	}
	return false
}

func (s *State) apply(e events.Envelope) error {
	if !Folds(e.Type) {
		return nil
	}
	v, err := s.catalogue.Decode(e)
	if err != nil {
		return err
	}
	s.journal = append(s.journal, e)
	switch p := v.(type) {
	case Created:
		s.branches[p.Name] = Info{ID: uuid.NewSHA1(uuid.NameSpaceURL, []byte(fmt.Sprintf("branch:%s:%d", p.Name, e.GlobalPosition))).String(),
			Name: p.Name, Description: p.Description, SyncWithGit: p.SyncWithGit, OriginBranch: Default,
			BranchedFrom: p.BranchedFrom, CreatedAt: e.RecordedAt, Status: "OPEN"}
		delete(s.schemas, p.Name) // a branch created again after a delete starts afresh
		delete(s.loads, p.Name)
	case Deleted:
		delete(s.branches, p.Name)
		delete(s.schemas, p.Name)
		delete(s.resolved, p.Name)
		delete(s.loads, p.Name)
	case Merged:
		if info, ok := s.branches[p.Name]; ok {
			info.Status = StatusMerged
			s.branches[p.Name] = info
		}
	case Rebased:
		if info, ok := s.branches[p.Name]; ok {
			info.BranchedFrom = p.BranchedFrom
			s.branches[p.Name] = info
		}
		delete(s.resolved, p.Name) // the conflicts of the old base are settled
		// The branch's own schema loads now apply over the default branch's schema as of the
		// new base (the rebase command checked that they do).
		if loads := s.loads[p.Name]; len(loads) > 0 {
			next, err := reload(s.schemaOf(Default), loads)
			if err != nil {
				return fmt.Errorf("the schema of branch %s no longer loads after its rebase: %w", p.Name, err)
			}
			s.schemas[p.Name] = append(s.schemas[p.Name], versioned{position: e.GlobalPosition, set: next})
		}
	case ConflictResolved:
		if s.resolved[p.Name] == nil {
			s.resolved[p.Name] = map[string]string{}
		}
		s.resolved[p.Name][p.Conflict] = p.Keep
	case schema.Loaded:
		name, _ := NameOf(e.Stream)
		files, err := p.ParseFiles()
		if err != nil {
			return err
		}
		next, err := schema.Load(s.schemaOf(name), files...)
		if err != nil {
			return fmt.Errorf("the load on branch %s no longer loads: %w", name, err)
		}
		s.schemas[name] = append(s.schemas[name], versioned{position: e.GlobalPosition, set: next})
		if name != Default {
			s.loads[name] = append(s.loads[name], p)
			if info, ok := s.branches[name]; ok {
				info.HasSchemaChanges = true
				s.branches[name] = info
			}
		}
	}
	return nil
}

// reload applies schema loads in order over a schema.
func reload(base *schema.Set, loads []schema.Loaded) (*schema.Set, error) {
	set := base
	for _, l := range loads {
		files, err := l.ParseFiles()
		if err != nil {
			return nil, err
		}
		if set, err = schema.Load(set, files...); err != nil {
			return nil, err
		}
	}
	return set, nil
}

// SchemaLoads is the schema loads made on a branch (other than the default one), in order: what
// a merge writes on the default branch with the data.
func (s *State) SchemaLoads(name string) []schema.Loaded {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.loads[name])
}

// CheckSchemaLoads reports whether a branch's schema loads still apply over the default
// branch's current schema (before a merge or a rebase), and returns the schema they give there
// (nil when the branch loaded none).
func (s *State) CheckSchemaLoads(name string) (*schema.Set, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if len(s.loads[name]) == 0 {
		return nil, nil
	}
	return reload(s.schemaOf(Default), s.loads[name])
}

// Resolutions is the conflict resolutions recorded on a branch since its last rebase: conflict
// id → KeepBase or KeepBranch.
func (s *State) Resolutions(name string) map[string]string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make(map[string]string, len(s.resolved[name]))
	for k, v := range s.resolved[name] {
		out[k] = v
	}
	return out
}

// schemaOf is branch's schema now: its own latest load, else the default branch's as of the
// branch's base position.
func (s *State) schemaOf(name string) *schema.Set {
	if own := s.schemas[name]; len(own) > 0 {
		return own[len(own)-1].set
	}
	if name == Default {
		return s.builtin
	}
	base := s.branches[name].BranchedFrom
	main := s.schemas[Default]
	i := sort.Search(len(main), func(i int) bool { return main[i].position > base })
	if i == 0 {
		return s.builtin
	}
	return main[i-1].set
}

// SchemaAt returns branch's schema as it was at log position pos (the schema a read in the past
// must use: kinds and attributes added later did not exist then).
func (s *State) SchemaAt(name string, pos events.Position) *schema.Set {
	s.mu.RLock()
	defer s.mu.RUnlock()
	own := s.schemas[name]
	if i := sort.Search(len(own), func(i int) bool { return own[i].position > pos }); i > 0 {
		return own[i-1].set
	}
	if name == Default {
		return s.builtin
	}
	base := min(s.branches[name].BranchedFrom, pos)
	main := s.schemas[Default]
	if i := sort.Search(len(main), func(i int) bool { return main[i].position > base }); i > 0 {
		return main[i-1].set
	}
	return s.builtin
}

// Schema returns branch's schema and its stream's version.
func (s *State) Schema(branch string) (*schema.Set, int64) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.schemaOf(branch), s.versions[Stream(branch)]
}

// Branch returns one branch.
func (s *State) Branch(name string) (Info, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	b, ok := s.branches[name]
	return b, ok
}

// Branches lists the branches, the default one first, then by name.
func (s *State) Branches() []Info {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Info, 0, len(s.branches))
	for _, b := range s.branches {
		out = append(out, b)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].IsDefault != out[j].IsDefault {
			return out[i].IsDefault
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// LifecycleVersion is the version of the branches stream seen.
func (s *State) LifecycleVersion() int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.versions[LifecycleStream]
}

// Position is the log position the state reflects.
func (s *State) Position() events.Position {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.position
}

// Snapshot is what a State holds, in a form that can be stored: the lifecycle and schema events
// it applied (few and small), the stream versions and the position.
type Snapshot struct {
	Position events.Position           `json:"position"`
	Versions map[events.StreamID]int64 `json:"versions"`
	Journal  []events.Envelope         `json:"journal"`
}

// Snapshot returns the state's snapshot.
func (s *State) Snapshot() Snapshot {
	s.mu.RLock()
	defer s.mu.RUnlock()
	versions := make(map[events.StreamID]int64, len(s.versions))
	for k, v := range s.versions {
		versions[k] = v
	}
	return Snapshot{Position: s.position, Versions: versions, Journal: append([]events.Envelope(nil), s.journal...)}
}

// Restore replaces the state with a snapshot's.
func (s *State) Restore(snap Snapshot) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clear()
	for _, e := range snap.Journal {
		if err := s.apply(e); err != nil {
			return fmt.Errorf("restore %s at position %d: %w", e.Type, e.GlobalPosition, err)
		}
	}
	for k, v := range snap.Versions {
		s.versions[k] = v
	}
	s.position = snap.Position
	return nil
}
