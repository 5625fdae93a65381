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
	p := scopeOf(cmd.Payload) // a bad payload is refused by its handler
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
		set, ok := branchSchema(s.w.state, name)
		if !ok {
			return nil // the handler answers the unknown branch
		}
		m, ok := set.Node(p.Kind)
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

// branchSchema is the schema branch name has now, as State.View(name, 0) answers it, read
// without making a View; ok is false when there is no such branch.
func branchSchema(st State, name string) (set *schema.Set, ok bool) {
	b := st.Branches()
	if _, ok := b.Branch(name); !ok {
		return nil, false
	}
	set, _ = b.Schema(name)
	return set, set != nil
}

// actionsOf is what a node command needs: an upsert may create or update (Infrahub asks both).
// The lists are shared (read only), so that a check allocates nothing.
func actionsOf(typ string) []authz.Action {
	switch typ {
	case TypeCreateNode:
		return createActions
	case TypeUpsertNode:
		return upsertActions
	case TypeDeleteNode:
		return deleteActions
	}
	return updateActions
}

var (
	createActions = []authz.Action{authz.Create}
	upsertActions = []authz.Action{authz.Create, authz.Update}
	deleteActions = []authz.Action{authz.Delete}
	updateActions = []authz.Action{authz.Update}
)

// scope is what authorize reads of a command's payload: its branch and kind.
type scope struct {
	Branch string `json:"branch"`
	Kind   string `json:"kind"`
}

// scopeOf reads the payload's branch and kind as json.Unmarshal into scope does (keys matched
// case-insensitively, the last of a repeated key winning, nothing read from invalid JSON,
// what is not a string left empty). Every command passes here, so the common shape (an object
// whose keys are ASCII without escapes, whose branch and kind are strings without escapes) is
// read by the batch decoder's scanners without reflection; anything else goes to json.Unmarshal
// (scope_test.go compares both).
func scopeOf(payload []byte) scope {
	var p scope
	if validJSON(payload) && objectFields(payload, func(key string, val []byte) bool {
		var dst *string
		switch {
		case !asciiKey(key):
			return false // Unicode case folding: left to encoding/json
		case asciiFold(key, "branch"):
			dst = &p.Branch
		case asciiFold(key, "kind"):
			dst = &p.Kind
		default:
			return true
		}
		v, ok := plainJSONString(val)
		*dst = v
		return ok
	}) {
		return p
	}
	return scopeSlow(payload)
}

// scopeSlow is scopeOf through encoding/json (not inlined: its scope would be allocated on
// the fast path too).
//
//go:noinline
func scopeSlow(payload []byte) scope {
	var p scope
	_ = json.Unmarshal(payload, &p)
	return p
}

func asciiKey(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// asciiFold reports whether the ASCII key s equals the lower-case name but for letter case.
func asciiFold(s, name string) bool {
	if len(s) != len(name) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != name[i] {
			return false
		}
	}
	return true
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
