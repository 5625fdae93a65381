package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/branch/graph"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/schema"
)

// Command types of merge, rebase and conflict resolution.
const (
	TypeMergeBranch     = "branch.merge"
	TypeRebaseBranch    = "branch.rebase"
	TypeResolveConflict = "branch.resolve_conflict"
)

// BranchRef is the payload of TypeMergeBranch and TypeRebaseBranch.
type BranchRef struct {
	Branch string `json:"branch"`
}

// ResolveConflict is the payload of TypeResolveConflict: keep "base" (the default branch's
// value) or "branch" for one conflict of the branch's diff.
type ResolveConflict struct {
	Branch   string `json:"branch"`
	Conflict string `json:"conflict"`
	Keep     string `json:"keep"`
}

// MergeOutcome is what a merge or rebase answers.
type MergeOutcome struct {
	Branch       string `json:"branch"`
	Status       string `json:"status"`
	Changes      int    `json:"changes"`
	BranchedFrom int64  `json:"branched_from,omitempty"`
	Already      bool   `json:"already,omitempty"` // the branch was merged before: nothing written
}

// MergeState is what merges decide against: the node Store.
type MergeState interface {
	NodeState
	Diff(name string) (nodes.Diff, error)
	MergePlan(name string, keepMain func(nodes.ConflictRef) bool, cardOne func(kind, field string) bool) ([]branch.Change, error)
	RebasePlan(name string, keepMain func(nodes.ConflictRef) bool, cardOne func(kind, field string) bool) ([]branch.Change, error)
	Branches() *branch.State
}

// Merges decides merges, rebases and conflict resolutions. It shares the node commands' locks:
// a merge holds the branch's and the default branch's, so that merges into the default branch
// take turns and no node command of this process slips in between the diff and the append.
type Merges struct {
	Nodes *Nodes
	State MergeState
}

// Register adds the merge commands to a dispatcher.
func (m *Merges) Register(d *Dispatcher) {
	d.Register(TypeMergeBranch, m.Merge)
	d.Register(TypeRebaseBranch, m.Rebase)
	d.Register(TypeResolveConflict, m.Resolve)
}

// branchOf decodes a payload naming a branch other than the default one.
func (m *Merges) branchOf(cmd Command, into any, name func() string) error {
	if err := json.Unmarshal(cmd.Payload, into); err != nil {
		return fmt.Errorf("%w: payload: %v", ErrInvalid, err)
	}
	switch n := name(); {
	case n == "":
		return fmt.Errorf("%w: field \"branch\" is missing", ErrInvalid)
	case n == m.Nodes.Default:
		return fmt.Errorf("%w: field \"branch\": the default branch %q cannot be merged into itself", ErrInvalid, n)
	}
	return nil
}

// view is the branch's View, with a not-found error naming the field.
func (m *Merges) view(name string) (*nodes.View, error) {
	v, err := m.State.View(name, 0)
	if err != nil {
		return nil, fmt.Errorf("%w: field \"branch\": %v", ErrNotFound, err)
	}
	return v, nil
}

// decision is what one attempt of a merge command decided: events to append to a stream at
// an expected version (none: nothing to write), and the answer's data.
type decision struct {
	stream  string
	version int64
	events  []events.Envelope
	data    any
}

// appendDecided decides and appends, deciding again on a caught-up state when another writer
// appended to the stream first (at most 50 times), and waits until the state has folded it.
func (m *Merges) appendDecided(ctx context.Context, cmd Command, decide func() (decision, error)) (Result, error) {
	for attempt := 0; ; attempt++ {
		d, err := decide()
		if err != nil {
			return Result{}, err
		}
		if len(d.events) == 0 {
			return Result{CommandID: cmd.ID, Data: d.data}, nil
		}
		res, err := m.Nodes.Log.Append(ctx, d.stream, d.version, d.events...)
		if errors.Is(err, events.ErrVersionConflict) && attempt < 50 {
			if serr := m.Nodes.Sync(ctx); serr != nil {
				return Result{}, serr
			}
			continue
		}
		if err != nil {
			return Result{}, fmt.Errorf("%s: %w", cmd.Type, err)
		}
		out := resultOf(d.stream, cmd.ID, res)
		out.Data = d.data
		return out, m.wait(ctx, out)
	}
}

// resolvedDiff is the branch's diff and, when every conflict is resolved, which ones keep the
// default branch's value; what refuses the command otherwise names the conflicts.
func (m *Merges) resolvedDiff(name, verb string) (func(nodes.ConflictRef) bool, error) {
	d, err := m.State.Diff(name)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	keep, err := d.KeepMain()
	if err != nil {
		return nil, fmt.Errorf("%w: branch %s cannot %s: %v; resolve each with branch.resolve_conflict", ErrConflict, name, verb, err)
	}
	if err := m.State.Branches().CheckSchemaLoads(name); err != nil {
		return nil, fmt.Errorf("%w: the schema loaded on branch %s does not load over %s's: %v", ErrConflict, name, m.Nodes.Default, err)
	}
	return keep, nil
}

// Merge writes the branch's changes on the default branch in one append: all of them or
// nothing. It is refused while the diff has unresolved conflicts (the error lists them); a
// merged branch is frozen, and merging it again writes nothing.
func (m *Merges) Merge(ctx context.Context, cmd Command) (Result, error) {
	var p BranchRef
	if err := m.branchOf(cmd, &p, func() string { return p.Branch }); err != nil {
		return Result{}, err
	}
	unlock := m.Nodes.lock(p.Branch)
	unlockMain := m.Nodes.lock(m.Nodes.Default)
	var plan []branch.Change
	res, err := m.appendDecided(ctx, cmd, func() (decision, error) {
		bv, err := m.view(p.Branch)
		if err != nil {
			return decision{}, err
		}
		if bv.Info.Status == branch.StatusMerged {
			return decision{data: MergeOutcome{Branch: p.Branch, Status: branch.StatusMerged, Already: true}}, nil
		}
		mv, err := m.view(m.Nodes.Default)
		if err != nil {
			return decision{}, err
		}
		keep, err := m.resolvedDiff(p.Branch, "merge")
		if err != nil {
			return decision{}, err
		}
		if plan, err = m.State.MergePlan(p.Branch, keep, nodes.CardOne(bv.Schema)); err != nil {
			return decision{}, err
		}
		// The branch's schema loads go first, in the same append: the data may use their kinds.
		var evs []events.Envelope
		for _, l := range m.State.Branches().SchemaLoads(p.Branch) {
			env, err := m.Nodes.Cat.New(schema.TypeLoaded, l, metaOf(cmd))
			if err != nil {
				return decision{}, err
			}
			evs = append(evs, env)
		}
		env, err := m.Nodes.Cat.New(branch.TypeMerged, branch.Merged{Name: p.Branch, Changes: plan}, metaOf(cmd))
		if err != nil {
			return decision{}, err
		}
		return decision{stream: branch.Stream(m.Nodes.Default), version: mv.Version, events: append(evs, env),
			data: MergeOutcome{Branch: p.Branch, Status: branch.StatusMerged, Changes: len(plan)}}, nil
	})
	unlockMain()
	unlock()
	if err != nil || len(plan) == 0 {
		return res, err
	}
	return res, m.reconcileIPAM(ctx, cmd, m.Nodes.Default, plan)
}

// reconcileIPAM brings the IP trees of a branch up to date after a merge or rebase brought it
// changes of IP prefixes or addresses: a prefix added on one side and an address on the other
// meet only there. It is a command of its own on that branch (idempotent: a tree already right
// writes nothing), run once the merge or rebase is written.
func (m *Merges) reconcileIPAM(ctx context.Context, cmd Command, name string, changes []branch.Change) error {
	re := Command{Type: "ipam.reconcile", Actor: cmd.Actor}
	if cmd.ID != "" {
		re.ID = cmd.ID + "/ipam"
	}
	_, _, err := m.Nodes.decide(ctx, re, name, func(t *tx) error {
		touched := false
		for _, c := range changes {
			id, err := graph.ParseNodeID(c.Node)
			if err != nil {
				continue
			}
			n := t.node(id)
			if n == nil || n.model == nil || ipAttr(n.model) != "" || c.Kind != "" && isIPKind(t, c.Kind) {
				touched = true // an IP node, or a node gone (maybe a prefix)
				break
			}
		}
		if !touched {
			return nil
		}
		for _, ns := range t.v.Nodes("BuiltinIPNamespace") {
			if err := t.ipamChanged(ns); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("%s: written; bringing the IP trees of %s up to date: %w", cmd.Type, name, err)
	}
	return nil
}

// isIPKind reports an IP prefix or address kind.
func isIPKind(t *tx, kind string) bool {
	m, ok := t.set.Node(kind)
	return ok && ipAttr(m) != ""
}

// Rebase moves the branch's base to the default branch's head: the branch then sees everything
// the default branch holds plus its own changes. It is refused while the diff has unresolved
// conflicts; conflicts resolved for the default branch take its values on the branch.
func (m *Merges) Rebase(ctx context.Context, cmd Command) (Result, error) {
	var p BranchRef
	if err := m.branchOf(cmd, &p, func() string { return p.Branch }); err != nil {
		return Result{}, err
	}
	unlock := m.Nodes.lock(p.Branch)
	unlockMain := m.Nodes.lock(m.Nodes.Default)
	res, err := m.appendDecided(ctx, cmd, func() (decision, error) {
		bv, err := m.view(p.Branch)
		if err != nil {
			return decision{}, err
		}
		if bv.Info.Status == branch.StatusMerged {
			return decision{}, fmt.Errorf("%w: branch %s is merged: it cannot be rebased", ErrInvalid, p.Branch)
		}
		keep, err := m.resolvedDiff(p.Branch, "rebase")
		if err != nil {
			return decision{}, err
		}
		plan, err := m.State.RebasePlan(p.Branch, keep, nodes.CardOne(bv.Schema))
		if err != nil {
			return decision{}, err
		}
		// The new base is the position this View reflects: the state has folded everything up
		// to it, and the append fails if the branch moved since.
		base := bv.Position
		env, err := m.Nodes.Cat.New(branch.TypeRebased, branch.Rebased{Name: p.Branch, BranchedFrom: base, Changes: plan}, metaOf(cmd))
		if err != nil {
			return decision{}, err
		}
		return decision{stream: branch.Stream(p.Branch), version: bv.Version, events: []events.Envelope{env},
			data: MergeOutcome{Branch: p.Branch, Status: branch.StatusOpen, Changes: len(plan), BranchedFrom: base}}, nil
	})
	unlockMain()
	unlock()
	if err != nil {
		return res, err
	}
	// The branch's own IP nodes now meet what the default branch added since the old base.
	d, derr := m.State.Diff(p.Branch)
	if derr != nil {
		return res, nil // the branch went away meanwhile
	}
	changed := make([]branch.Change, 0, len(d.Nodes))
	for _, n := range d.Nodes {
		changed = append(changed, branch.Change{Node: n.ID, Kind: n.Kind})
	}
	return res, m.reconcileIPAM(ctx, cmd, p.Branch, changed)
}

// Resolve records the choice for one conflict of the branch's diff.
func (m *Merges) Resolve(ctx context.Context, cmd Command) (Result, error) {
	var p ResolveConflict
	if err := m.branchOf(cmd, &p, func() string { return p.Branch }); err != nil {
		return Result{}, err
	}
	if p.Keep != branch.KeepBase && p.Keep != branch.KeepBranch {
		return Result{}, fmt.Errorf("%w: field \"keep\": %q, want %q or %q", ErrInvalid, p.Keep, branch.KeepBase, branch.KeepBranch)
	}
	defer m.Nodes.lock(p.Branch)()
	return m.appendDecided(ctx, cmd, func() (decision, error) {
		bv, err := m.view(p.Branch)
		if err != nil {
			return decision{}, err
		}
		if bv.Info.Status == branch.StatusMerged {
			return decision{}, fmt.Errorf("%w: branch %s is merged", ErrInvalid, p.Branch)
		}
		d, err := m.State.Diff(p.Branch)
		if err != nil {
			return decision{}, fmt.Errorf("%w: %v", ErrInvalid, err)
		}
		if !slices.ContainsFunc(d.Conflicts, func(c nodes.Conflict) bool { return c.ID == p.Conflict }) {
			return decision{}, fmt.Errorf("%w: field \"conflict\": branch %s has no conflict %q", ErrNotFound, p.Branch, p.Conflict)
		}
		env, err := m.Nodes.Cat.New(branch.TypeConflictResolved, branch.ConflictResolved{Name: p.Branch, Conflict: p.Conflict, Keep: p.Keep}, metaOf(cmd))
		if err != nil {
			return decision{}, err
		}
		return decision{stream: branch.Stream(p.Branch), version: bv.Version, events: []events.Envelope{env}}, nil
	})
}

func (m *Merges) wait(ctx context.Context, res Result) error {
	if m.Nodes.WaitFor == nil || len(res.Positions) == 0 {
		return nil
	}
	return m.Nodes.WaitFor(ctx, res.Positions[len(res.Positions)-1])
}

func metaOf(cmd Command) events.Metadata {
	return events.Metadata{CommandID: cmd.ID, Actor: cmd.Actor}
}
