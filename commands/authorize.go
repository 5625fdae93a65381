package commands

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/infrahub-go/infrahub/authz"
	"github.com/infrahub-go/infrahub/commands/nodetx"
	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/schema"
)

// authorize checks cmd against the identity ctx carries, before anything is decided (package
// authz decides; this maps each command to what it needs). A context without an identity is
// the server's own work and is allowed (see authz). Node changes are checked again, per kind and
// action, on what the transaction actually did (authorizeChanges): object loads, batches,
// upserts and deletes by id name their kinds only once decided.
func (s *Service) authorize(ctx context.Context, cmd Command) error {
	id := authz.From(ctx)
	if id == nil {
		return nil
	}
	if err := authz.RequireAccount(id); err != nil {
		return err
	}
	var p struct {
		Branch string `json:"branch"`
		Kind   string `json:"kind"`
		Name   string `json:"name"`
	}
	_ = json.Unmarshal(cmd.Payload, &p) // a bad payload is refused by its handler
	onDefault := p.Branch == "" || p.Branch == s.w.def
	switch cmd.Type {
	case TypeRecordDiagnostic, TypeCreateBranch:
		return nil // any account (Infrahub exempts BranchCreate from edit_default_branch)
	case TypeSubmitTask, TypeCancelTask, TypeRetryTask:
		return nil // per workflow, once the handler knows it (tasks.authorize)
	case TypeDeleteBranch:
		return authz.Require(id, authz.EditDefaultBranch) // a change made on the default branch
	case TypeMergeBranch:
		if err := authz.Require(id, authz.EditDefaultBranch); err != nil {
			return err
		}
		return authz.Require(id, authz.MergeBranch)
	case TypeRebaseBranch:
		return authz.Require(id, authz.RebaseBranch)
	case TypeResolveConflict:
		return authz.RequireBranchWrite(id, onDefault)
	case TypeLoadSchema:
		return authz.Require(id, authz.ManageSchema)
	case TypeCreateNode, TypeUpdateNode, TypeUpsertNode, TypeDeleteNode, TypeAddPeers, TypeRemovePeers:
		if err := authz.RequireBranchWrite(id, onDefault); err != nil {
			return err
		}
		if p.Kind == "" {
			return nil // named by id: checked once the transaction knows its kind
		}
		name := p.Branch
		if name == "" {
			name = s.w.def
		}
		v, err := s.w.state.View(name, 0)
		if err != nil {
			return nil // the handler answers the unknown branch
		}
		m, ok := v.Schema.Node(p.Kind)
		if !ok {
			return nil // the handler answers the unknown kind
		}
		for _, a := range actionsOf(cmd.Type) {
			if err := authz.RequireKind(id, authz.KindOf(m), a, onDefault); err != nil {
				return err
			}
		}
		return nil
	default: // batches, object loads, allocations: per kind once decided
		return authz.RequireBranchWrite(id, onDefault)
	}
}

// actionsOf is what a node command needs: an upsert may create or update (Infrahub asks both).
func actionsOf(typ string) []authz.Action {
	switch typ {
	case TypeCreateNode:
		return []authz.Action{authz.Create}
	case TypeUpsertNode:
		return []authz.Action{authz.Create, authz.Update}
	case TypeDeleteNode:
		return []authz.Action{authz.Delete}
	}
	return []authz.Action{authz.Update}
}

// authorizeChanges checks, for the identity ctx carries, every kind a decided transaction
// created, updated or deleted on its branch. Nothing is appended when it refuses.
func authorizeChanges(ctx context.Context, t *nodetx.Tx, onDefault bool) error {
	id := authz.From(ctx)
	if id == nil {
		return nil
	}
	for kind, o := range t.Outcomes() {
		m, ok := t.Schema().Node(kind)
		if !ok {
			return fmt.Errorf("%w: kind %s is not in the branch's schema", fault.ErrForbidden, kind)
		}
		if err := requireOutcome(id, m, o, onDefault); err != nil {
			return err
		}
	}
	return nil
}

func requireOutcome(id *authz.Identity, m *schema.Node, o *Outcome, onDefault bool) error {
	k := authz.KindOf(m)
	for _, c := range []struct {
		n int
		a authz.Action
	}{{o.Created, authz.Create}, {o.Updated, authz.Update}, {o.Deleted, authz.Delete}} {
		if c.n == 0 {
			continue
		}
		if err := authz.RequireKind(id, k, c.a, onDefault); err != nil {
			return err
		}
	}
	return nil
}

// asServer is ctx for the follow-ups of an authorized command (the computed attributes after a
// schema load, the IPAM tree after a merge): the server's own work, checked no further.
func asServer(ctx context.Context) context.Context {
	if authz.From(ctx) == nil {
		return ctx
	}
	return authz.With(ctx, authz.System)
}
