package authz

import (
	"fmt"

	"github.com/infrahub-go/infrahub/fault"
)

// The Require* functions are the checks the write side makes, in Infrahub's checker order
// (backend/infrahub/graphql/auth/query_permission_checker): anonymous never writes; a super admin
// may do anything; a change on the default branch needs edit_default_branch (branch creation is
// exempt); then the global permission of the operation (merge_branch, manage_schema, ...) or the
// object permission of the kind and action on that branch.
//
// A nil identity is the server's own in-process work (start-up defaults, replays, tests of lower
// layers) and is allowed: every transport sets an identity on the requests it serves (the HTTP
// middleware sets authz.Anonymous when no credentials are given), so no request reaches the
// write side without one. Refusals wrap fault.ErrForbidden and name the permission missing.

// RequireAccount refuses anonymous identities: the writes any signed-in account may make
// (creating a branch, as Infrahub exempts BranchCreate).
func RequireAccount(id *Identity) error {
	if id != nil && id.Anonymous {
		return denied(id, "an account")
	}
	return nil
}

// Require checks the global permission g.
func Require(id *Identity, g Global) error {
	if id == nil || Can(id, g) {
		return nil
	}
	return denied(id, GlobalPermission{Action: g, Decision: AllowAll}.String())
}

// RequireBranchWrite checks a change of a branch's data: an account, and on the default branch
// edit_default_branch.
func RequireBranchWrite(id *Identity, onDefaultBranch bool) error {
	if err := RequireAccount(id); err != nil || !onDefaultBranch {
		return err
	}
	return Require(id, EditDefaultBranch)
}

// RequireKind checks action a on objects of kind k on the default branch or another one:
// RequireBranchWrite for a change, then KindDecision (the kind's global permission for
// accounts, roles, permissions and repositories; else the object permission).
func RequireKind(id *Identity, k Kind, a Action, onDefaultBranch bool) error {
	if id == nil {
		return nil
	}
	if a != View {
		if err := RequireBranchWrite(id, onDefaultBranch); err != nil {
			return err
		}
	}
	if KindDecision(id, k, a, onDefaultBranch) == DecideAllow {
		return nil
	}
	if g, ok := GlobalForKind(k); ok && a != View {
		return denied(id, GlobalPermission{Action: g, Decision: AllowAll}.String())
	}
	want := AllowOther
	if onDefaultBranch {
		want = AllowDefault
	}
	return denied(id, ObjectPermission{Namespace: k.Namespace, Name: k.Name, Action: a, Decision: want}.String())
}

func denied(id *Identity, what string) error {
	if id.Anonymous {
		return fmt.Errorf("%w: anonymous requests may not write: sign in (%s is required)", fault.ErrForbidden, what)
	}
	return fmt.Errorf("%w: the account %s does not have the permission %s", fault.ErrForbidden, id.Name, what)
}

// MayView reports whether id may read objects of kind k on the default branch or another one:
// the view object permission (anonymous requests: the anonymous role's, when anonymous access
// is allowed). A nil identity is an in-process reader and may.
func MayView(id *Identity, k Kind, onDefaultBranch bool) bool {
	return id == nil || KindDecision(id, k, View, onDefaultBranch) == DecideAllow
}

// RequireView is MayView as an error naming the permission missing.
func RequireView(id *Identity, k Kind, onDefaultBranch bool) error {
	if MayView(id, k, onDefaultBranch) {
		return nil
	}
	want := AllowOther
	if onDefaultBranch {
		want = AllowDefault
	}
	return fmt.Errorf("%w: %s may not view %s objects (object permission %s is required)", fault.ErrForbidden,
		id.Name, k, ObjectPermission{Namespace: k.Namespace, Name: k.Name, Action: View, Decision: want})
}

// KindNamed is the Kind of a kind's name ("InfraDevice": namespace Infra, name Device): a
// namespace is one capitalised word, as Infrahub requires, so the name starts at the second
// capital letter. Inherits is empty: enough for view decisions.
func KindNamed(kind string) Kind {
	for i := 1; i < len(kind); i++ {
		if kind[i] >= 'A' && kind[i] <= 'Z' {
			return Kind{Namespace: kind[:i], Name: kind[i:]}
		}
	}
	return Kind{Name: kind}
}

// Viewer answers, for one identity and branch, whether objects of a kind may be read, each kind
// decided once (reads filter many nodes of few kinds). A nil identity may read everything.
func Viewer(id *Identity, onDefaultBranch bool) func(kind string) bool {
	if id == nil || (id.Permissions.SuperAdmin() && !id.Anonymous) {
		return func(string) bool { return true }
	}
	seen := map[string]bool{}
	return func(kind string) bool {
		ok, done := seen[kind]
		if !done {
			ok = MayView(id, KindNamed(kind), onDefaultBranch)
			seen[kind] = ok
		}
		return ok
	}
}
