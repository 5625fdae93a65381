// Package memory is the graph read port (projections/graph) over the embedded nodes.Store: every
// read takes an immutable nodes.View of the branch at the position and answers from it.
//
// Lists scan the nodes of the kind: each filter narrows the candidates in one pass (relationship
// filters read the peers of every candidate in one batched call and look each peer up once),
// then the sort keys are read once per node, the nodes are sorted and only the page is read in
// full. Everything is linear in the kind's size, up to the sort.
//
// The files split the port by role: read.go (Get), list.go (List, Count), walk.go (Peers,
// Ancestors, Descendants), branch.go (Diff, Dump), ipam.go (NextAvailable*).
package memory

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/projections/graph"
)

// Config is what a Reader answers from.
type Config struct {
	// Store is the node store the reads answer from.
	Store *nodes.Store
	// WaitFor blocks until Store has folded the log up to pos, or ctx ends: in a server, the
	// projection runner's WaitFor for the Store; in tests, a synchronous fold of the log.
	// Reader.WaitFor calls it only when Store is behind pos.
	WaitFor func(ctx context.Context, pos events.Position) error
}

// Validate reports a missing Store or WaitFor.
func (c Config) Validate() error {
	var errs []error
	if c.Store == nil {
		errs = append(errs, fmt.Errorf("%w: memory graph reader: Store is required", fault.ErrInvalid))
	}
	if c.WaitFor == nil {
		errs = append(errs, fmt.Errorf("%w: memory graph reader: WaitFor is required", fault.ErrInvalid))
	}
	return errors.Join(errs...)
}

// Reader implements graph.Port over a nodes.Store.
//
// It also forwards the projector methods (Name, Version, Apply, Reset) to the Store, so that it
// can stand alone as the graph projection (as in the contract suite). When the Store is already
// run as a projector, leave them alone: the Store skips positions it has applied anyway.
type Reader struct {
	store   *nodes.Store
	waitFor func(ctx context.Context, pos events.Position) error
}

var _ graph.Port = (*Reader)(nil)

// New returns the Reader of cfg.Store.
func New(cfg Config) (*Reader, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Reader{store: cfg.Store, waitFor: cfg.WaitFor}, nil
}

// Name implements projections.Projector.
func (r *Reader) Name() string { return r.store.Name() }

// Version implements projections.Projector.
func (r *Reader) Version() int { return r.store.Version() }

// Apply implements projections.Projector.
func (r *Reader) Apply(ctx context.Context, batch []events.Envelope) error {
	return r.store.Apply(ctx, batch)
}

// Reset implements projections.Resetter.
func (r *Reader) Reset(ctx context.Context) error { return r.store.Reset(ctx) }

// view is the branch of s at its position. A scope at a Time before the first write is a View
// at position 0, where nothing exists.
func (r *Reader) view(ctx context.Context, s graph.Scope) (*nodes.View, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.At < 0 {
		return nil, fmt.Errorf("%w: negative log position %d", graph.ErrInvalidQuery, s.At)
	}
	name := s.Branch
	if name == "" {
		name = branch.Default
	}
	at, empty := s.At, false
	if at == 0 && !s.Time.IsZero() {
		at = r.store.PositionAt(s.Time)
		empty = at == 0
	}
	v, err := r.store.View(name, at)
	if err != nil {
		return nil, err // wraps branch.ErrNotFound (graph.ErrBranchNotFound)
	}
	if empty {
		v.Position = 0
	}
	return v, nil
}

// PositionAt implements graph.Reader.
func (r *Reader) PositionAt(_ context.Context, t time.Time) (events.Position, error) {
	return r.store.PositionAt(t), nil
}

// RecordedAt implements graph.Reader.
func (r *Reader) RecordedAt(_ context.Context, pos events.Position) (time.Time, bool, error) {
	if pos <= 0 || pos > r.store.Position() {
		return time.Time{}, false, nil
	}
	at, ok := r.store.RecordedAt(pos)
	return at, ok, nil
}

// WaitFor implements graph.Waiter: at once when the Store has folded pos, else through
// Config.WaitFor.
func (r *Reader) WaitFor(ctx context.Context, pos events.Position) error {
	if r.store.Position() >= pos {
		return nil
	}
	err := r.waitFor(ctx, pos)
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil && !errors.Is(err, ctx.Err()):
		return fmt.Errorf("graph projection: waiting for position %d: %w: %w", pos, ctx.Err(), err)
	}
	return fmt.Errorf("graph projection: waiting for position %d: %w", pos, err)
}
