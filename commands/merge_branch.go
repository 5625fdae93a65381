package commands

import (
	"context"
	"fmt"
	"slices"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/commands/nodetx"
	"github.com/infrahub-go/infrahub/commands/payload"
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
	Branch       string          `json:"branch"`
	Status       string          `json:"status"`
	Changes      int             `json:"changes"`
	BranchedFrom events.Position `json:"branched_from,omitempty"`
	Already      bool            `json:"already,omitempty"` // the branch was merged before: nothing written
}

// branchOf decodes a payload naming a branch other than the default one.
func (s *Service) branchOf(cmd Command, into any, name func() string) error {
	if err := payload.Decode(cmd.Payload, into, "payload"); err != nil {
		return err
	}
	switch n := name(); {
	case n == "":
		return fmt.Errorf("%w: field \"branch\" is missing", ErrInvalid)
	case n == s.w.def:
		return fmt.Errorf("%w: field \"branch\": the default branch %q cannot be merged into itself", ErrInvalid, n)
	}
	return nil
}

// view is the branch's View.
func (s *Service) view(name string) (*nodes.View, error) {
	v, err := s.w.state.View(name, 0)
	if err != nil {
		return nil, fmt.Errorf("field \"branch\": %w", err)
	}
	return v, nil
}

// resolvedDiff is, when every conflict of the branch's diff is resolved, which ones keep the
// default branch's value, and whether any does; what refuses the command otherwise names the
// conflicts. Only the diff's conflicts are computed (State.Conflicts), not the whole diff.
func (s *Service) resolvedDiff(name, verb string) (func(branch.ConflictRef) bool, bool, error) {
	d, err := s.w.state.Conflicts(name)
	if err != nil {
		return nil, false, err
	}
	keep, err := d.KeepMain()
	if err != nil {
		return nil, false, fmt.Errorf("%w: branch %s cannot %s: %w; resolve each with branch.resolve_conflict", ErrConflict, name, verb, err)
	}
	set, err := s.w.state.Branches().CheckSchemaLoads(name)
	if err == nil && set != nil && s.validate != nil {
		err = s.validate(set)
	}
	if err != nil {
		return nil, false, fmt.Errorf("%w: the schema loaded on branch %s does not load over %s's: %w", ErrConflict, name, s.w.def, err)
	}
	keepsMain := slices.ContainsFunc(d.Conflicts, func(c branch.Conflict) bool { return c.Selected == branch.KeepBase })
	return keep, keepsMain, nil
}

// merge writes the branch's changes on the default branch in one append: all of them or
// nothing. It is refused while the diff has unresolved conflicts (the error lists them); a
// merged branch is frozen, and merging it again writes nothing. Merges take the branch's and the
// default branch's turns: merges into the default branch take turns, and no node command of this
// process slips in between the diff and the append.
func (s *Service) merge(ctx context.Context, cmd Command) (Result, error) {
	var p BranchRef
	if err := s.branchOf(cmd, &p, func() string { return p.Branch }); err != nil {
		return Result{}, err
	}
	unlock, err := s.w.lock(ctx, p.Branch, s.w.def)
	if err != nil {
		return Result{}, err
	}
	var plan []branch.Change
	res, err := s.w.write(ctx, cmd, func() (decision, error) {
		bv, err := s.view(p.Branch)
		if err != nil {
			return decision{}, err
		}
		if bv.Info.Status == branch.StatusMerged {
			return decision{data: MergeOutcome{Branch: p.Branch, Status: branch.StatusMerged, Already: true}}, nil
		}
		mv, err := s.view(s.w.def)
		if err != nil {
			return decision{}, err
		}
		keep, keepsMain, err := s.resolvedDiff(p.Branch, "merge")
		if err != nil {
			return decision{}, err
		}
		if !keepsMain {
			keep = nil // nothing keeps main's side: the plan needs no second diff to find what does
		}
		if plan, err = s.w.state.MergePlan(p.Branch, keep, nodes.CardOne(bv.Schema)); err != nil {
			return decision{}, err
		}
		// The branch's schema loads go first, in the same append: the data may use their kinds.
		var evs []events.Envelope
		for _, l := range s.w.state.Branches().SchemaLoads(p.Branch) {
			env, err := s.w.cat.New(schema.TypeLoaded, l, metaOf(cmd))
			if err != nil {
				return decision{}, err
			}
			evs = append(evs, env)
		}
		env, err := s.w.cat.New(branch.TypeMerged, branch.Merged{Name: p.Branch, Changes: plan}, metaOf(cmd))
		if err != nil {
			return decision{}, err
		}
		return decision{stream: branch.Stream(s.w.def), version: mv.Version, events: append(evs, env),
			data: MergeOutcome{Branch: p.Branch, Status: branch.StatusMerged, Changes: len(plan)}}, nil
	})
	unlock()
	if err != nil {
		return res, err
	}
	if res, err = typed[MergeOutcome](res); err != nil || len(plan) == 0 {
		return res, err
	}
	return res, s.reconcileIPAM(ctx, cmd, s.w.def, plan)
}

// reconcileIPAM brings the IP trees of a branch up to date after a merge or rebase brought it
// changes: a command of its own on that branch (idempotent: a tree already right writes
// nothing), run once the merge or rebase is written.
func (s *Service) reconcileIPAM(ctx context.Context, cmd Command, name string, changes []branch.Change) error {
	re := cmd.sub("ipam.reconcile", "ipam")
	_, err := s.w.nodes(asServer(ctx), re, name, func(t *nodetx.Tx) (any, error) { return nil, t.ReconcileIPAM(changes) })
	if err != nil {
		return fmt.Errorf("%s: written; bringing the IP trees of %s up to date: %w", cmd.Type, name, err)
	}
	return nil
}

// rebase moves the branch's base to the default branch's head: the branch then sees everything
// the default branch holds plus its own changes. It is refused while the diff has unresolved
// conflicts; conflicts resolved for the default branch take its values on the branch.
func (s *Service) rebase(ctx context.Context, cmd Command) (Result, error) {
	var p BranchRef
	if err := s.branchOf(cmd, &p, func() string { return p.Branch }); err != nil {
		return Result{}, err
	}
	unlock, err := s.w.lock(ctx, p.Branch, s.w.def)
	if err != nil {
		return Result{}, err
	}
	res, err := s.w.write(ctx, cmd, func() (decision, error) {
		bv, err := s.view(p.Branch)
		if err != nil {
			return decision{}, err
		}
		if bv.Info.Status == branch.StatusMerged {
			return decision{}, fmt.Errorf("%w: branch %s is merged: it cannot be rebased", ErrInvalid, p.Branch)
		}
		keep, _, err := s.resolvedDiff(p.Branch, "rebase")
		if err != nil {
			return decision{}, err
		}
		plan, err := s.w.state.RebasePlan(p.Branch, keep, nodes.CardOne(bv.Schema))
		if err != nil {
			return decision{}, err
		}
		// The new base is the position this View reflects: the state has folded everything up
		// to it, and the append fails if the branch moved since.
		base := bv.Position
		env, err := s.w.cat.New(branch.TypeRebased, branch.Rebased{Name: p.Branch, BranchedFrom: base, Changes: plan}, metaOf(cmd))
		if err != nil {
			return decision{}, err
		}
		return decision{stream: branch.Stream(p.Branch), version: bv.Version, events: []events.Envelope{env},
			data: MergeOutcome{Branch: p.Branch, Status: branch.StatusOpen, Changes: len(plan), BranchedFrom: base}}, nil
	})
	unlock()
	if err != nil {
		return res, err
	}
	if res, err = typed[MergeOutcome](res); err != nil {
		return res, err
	}
	// The branch's own IP nodes now meet what the default branch added since the old base.
	d, derr := s.w.state.Diff(p.Branch)
	if derr != nil {
		return res, nil // the branch went away meanwhile
	}
	changed := make([]branch.Change, 0, len(d.Nodes))
	for _, n := range d.Nodes {
		changed = append(changed, branch.Change{Node: n.ID, Kind: n.Kind})
	}
	return res, s.reconcileIPAM(ctx, cmd, p.Branch, changed)
}

// resolve records the choice for one conflict of the branch's diff.
func (s *Service) resolve(ctx context.Context, cmd Command) (Result, error) {
	var p ResolveConflict
	if err := s.branchOf(cmd, &p, func() string { return p.Branch }); err != nil {
		return Result{}, err
	}
	if p.Keep != branch.KeepBase && p.Keep != branch.KeepBranch {
		return Result{}, fmt.Errorf("%w: field \"keep\": %q, want %q or %q", ErrInvalid, p.Keep, branch.KeepBase, branch.KeepBranch)
	}
	unlock, err := s.w.lock(ctx, p.Branch)
	if err != nil {
		return Result{}, err
	}
	defer unlock()
	return s.w.write(ctx, cmd, func() (decision, error) {
		bv, err := s.view(p.Branch)
		if err != nil {
			return decision{}, err
		}
		if bv.Info.Status == branch.StatusMerged {
			return decision{}, fmt.Errorf("%w: branch %s is merged", ErrInvalid, p.Branch)
		}
		d, err := s.w.state.Diff(p.Branch)
		if err != nil {
			return decision{}, err
		}
		if !slices.ContainsFunc(d.Conflicts, func(c branch.Conflict) bool { return c.ID == p.Conflict }) {
			return decision{}, fmt.Errorf("%w: field \"conflict\": branch %s has no conflict %q", ErrNotFound, p.Branch, p.Conflict)
		}
		env, err := s.w.cat.New(branch.TypeConflictResolved, branch.ConflictResolved{Name: p.Branch, Conflict: p.Conflict, Keep: p.Keep}, metaOf(cmd))
		if err != nil {
			return decision{}, err
		}
		return decision{stream: branch.Stream(p.Branch), version: bv.Version, events: []events.Envelope{env}}, nil
	})
}
