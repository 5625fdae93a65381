package branch

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/schema"
	"github.com/infrahub-go/infrahub/schema/core"
)

// Default is the default branch.
const Default = "main"

// StreamPrefix starts the stream of every branch.
const StreamPrefix = "branch/"

// Stream is the event stream of branch name.
func Stream(name string) string { return StreamPrefix + name }

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

// Schemas holds the resolved schema of every branch, folded from the schema.loaded events of
// the branch streams, and the version of every branch stream (the expected version of the next
// write). Until issue 4 brings branch bases, a branch without a load of its own sees the default
// branch's schema.
//
// It is a projector (Name, Version, Apply, Reset) that the composition root runs, and the state
// that schema commands decide against.
type Schemas struct {
	catalogue *events.Catalogue
	builtin   *schema.Set

	mu       sync.RWMutex
	sets     map[string]*schema.Set // branch -> its own latest schema
	versions map[string]int64       // branch -> stream version seen
	position int64
}

// NewSchemas returns the state of a log with no schema load yet.
func NewSchemas(cat *events.Catalogue, builtin *schema.Set) *Schemas {
	return &Schemas{catalogue: cat, builtin: builtin, sets: map[string]*schema.Set{}, versions: map[string]int64{}}
}

// Name implements projections.Projector.
func (s *Schemas) Name() string { return "schemas" }

// Version implements projections.Projector.
func (s *Schemas) Version() int { return 1 }

// Reset implements projections.Resetter.
func (s *Schemas) Reset(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sets, s.versions, s.position = map[string]*schema.Set{}, map[string]int64{}, 0
	return nil
}

// Apply folds a batch of the log into the state.
func (s *Schemas) Apply(_ context.Context, batch []events.Envelope) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range batch {
		name, ok := strings.CutPrefix(e.Stream, StreamPrefix)
		if !ok {
			continue
		}
		s.versions[name] = e.StreamVersion
		s.position = e.GlobalPosition
		if e.Type != schema.TypeLoaded {
			continue
		}
		v, err := s.catalogue.Decode(e)
		if err != nil {
			return err
		}
		loaded := v.(schema.Loaded)
		files, err := loaded.ParseFiles()
		if err != nil {
			return fmt.Errorf("schema load at position %d: %w", e.GlobalPosition, err)
		}
		next, err := schema.Load(s.current(name), files...)
		if err != nil {
			return fmt.Errorf("schema load at position %d on branch %s no longer loads: %w", e.GlobalPosition, name, err)
		}
		s.sets[name] = next
	}
	return nil
}

func (s *Schemas) current(branch string) *schema.Set {
	if set, ok := s.sets[branch]; ok {
		return set
	}
	if set, ok := s.sets[Default]; ok {
		return set
	}
	return s.builtin
}

// Schema returns branch's schema and its stream's version.
func (s *Schemas) Schema(branch string) (*schema.Set, int64) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.current(branch), s.versions[branch]
}

// Position is the log position the state reflects.
func (s *Schemas) Position() int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.position
}
