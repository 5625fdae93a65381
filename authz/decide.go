package authz

import (
	"sync"

	"github.com/infrahub-go/infrahub/schema"
)

// Permissions is what an identity was granted: the global and object permissions of the roles
// of its account groups (or of the anonymous role). It answers Infrahub's decisions; it is
// immutable once made and safe for concurrent use.
type Permissions struct {
	global []GlobalPermission
	object []ObjectPermission
	has    map[Global]bool // every global action, decided once
	super  bool
	memo   sync.Map // objectKey -> Decision
}

type objectKey struct {
	namespace, name string
	action          Action
}

// NewPermissions is the permission set of these grants (in any order, duplicates allowed).
func NewPermissions(global []GlobalPermission, object []ObjectPermission) *Permissions {
	p := &Permissions{global: global, object: object, has: make(map[Global]bool, len(Globals))}
	for _, g := range global {
		p.has[g.Action] = true
	}
	for _, g := range global {
		if g.Decision == Deny {
			p.has[g.Action] = false // a deny preempts every allow of the same action
		}
	}
	p.super = p.has[SuperAdmin]
	return p
}

// Global answers the global permissions the set holds, as granted.
func (p *Permissions) Global() []GlobalPermission { return p.global }

// Object answers the object permissions the set holds, as granted.
func (p *Permissions) Object() []ObjectPermission { return p.object }

// SuperAdmin reports a super_admin grant that no super_admin deny preempts.
func (p *Permissions) SuperAdmin() bool { return p != nil && p.super }

// Has is Infrahub's global decision: the action is granted by some permission and denied by
// none. The decision's branch scope plays no part for global actions, as in Infrahub.
func (p *Permissions) Has(g Global) bool { return p != nil && p.has[g] }

// Report is Infrahub's combined object decision for objects of namespace/name and action a:
// of the matching permissions (a namespace or name "*" matches any, the action "any" every
// action), the most specific decides, a deny counting as more specific than an allow of the
// same pattern; allows of equal specificity add up (allow_default + allow_other =
// allow_all); no match is Deny.
func (p *Permissions) Report(namespace, name string, a Action) Decision {
	if p == nil {
		return Deny
	}
	k := objectKey{namespace, name, a}
	if d, ok := p.memo.Load(k); ok {
		return d.(Decision)
	}
	best, combined := -1, Deny
	for _, o := range p.object {
		if !o.matches(namespace, name, a) {
			continue
		}
		switch s := o.specificity(); {
		case s > best:
			best, combined = s, o.Decision
		case s == best && o.Decision != Deny:
			combined |= o.Decision
		}
	}
	p.memo.Store(k, combined)
	return combined
}

// Allows reports whether d allows on the default branch (onDefaultBranch) or on another one.
func (d Decision) Allows(onDefaultBranch bool) bool {
	if onDefaultBranch {
		return d&AllowDefault != 0
	}
	return d&AllowOther != 0
}

// Can decides a global action for id. Nil, unresolved and anonymous identities hold no global
// permission (anonymous never writes); a super admin holds them all.
func Can(id *Identity, g Global) bool {
	if id == nil || id.Anonymous || id.Permissions == nil {
		return false
	}
	return id.Permissions.SuperAdmin() || id.Permissions.Has(g)
}

// CanObject decides action a on objects of kind namespace+name, on the default branch or on
// another one. A super admin may do anything; an anonymous identity may only view, and only
// what its (anonymous role's) permissions allow; nil or unresolved identities may do nothing.
func CanObject(id *Identity, namespace, name string, a Action, onDefaultBranch bool) bool {
	if id == nil || id.Permissions == nil {
		return false
	}
	if id.Anonymous && a != View {
		return false
	}
	if id.Permissions.SuperAdmin() {
		return true
	}
	return id.Permissions.Report(namespace, name, a).Allows(onDefaultBranch)
}

// Kind names a node kind for decisions on its objects: its namespace, its name, and the
// generics it inherits from (some of which call for a global permission).
type Kind struct {
	Namespace, Name string
	Inherits        []string
}

// KindOf is the Kind of a node schema.
func KindOf(n *schema.Node) Kind {
	return Kind{Namespace: n.Namespace, Name: n.Name, Inherits: n.InheritFrom}
}

// String is the kind's name, "CoreAccount".
func (k Kind) String() string { return k.Namespace + k.Name }

// kindGlobals are Infrahub's kinds whose changes need a global permission instead of object
// permissions.
var kindGlobals = map[string]Global{
	"CoreGenericAccount":    ManageAccounts,
	"CoreAccountGroup":      ManageAccounts,
	"CoreAccountRole":       ManageAccounts,
	"CoreBasePermission":    ManagePermissions,
	"CoreGenericRepository": ManageRepositories,
}

// GlobalForKind is the global permission that changes to objects of k need in place of object
// permissions (accounts, groups and roles: manage_accounts; permissions: manage_permissions;
// repositories: manage_repositories), if any.
func GlobalForKind(k Kind) (Global, bool) {
	if g, ok := kindGlobals[k.String()]; ok {
		return g, true
	}
	for _, base := range k.Inherits {
		if g, ok := kindGlobals[base]; ok {
			return g, true
		}
	}
	return "", false
}

// BranchDecision is a decision relative to one branch, as Infrahub answers it to clients
// (the "permissions" of a kind query): allowed here, denied, or allowed only on the default
// branch or only on the other branches.
type BranchDecision string

const (
	DecideDeny         BranchDecision = "DENY"
	DecideAllow        BranchDecision = "ALLOW"
	DecideAllowDefault BranchDecision = "ALLOW_DEFAULT"
	DecideAllowOther   BranchDecision = "ALLOW_OTHER"
)

// KindDecision is Infrahub's decision for action a on objects of kind k on a branch: a super
// admin is allowed; a change to a kind that needs a global permission (GlobalForKind) is
// decided by it; else by the object permissions. Writes on the default branch also need
// edit_default_branch (Can), which this does not ask: Infrahub checks it per request.
func KindDecision(id *Identity, k Kind, a Action, onDefaultBranch bool) BranchDecision {
	if id == nil || id.Permissions == nil || (id.Anonymous && a != View) {
		return DecideDeny
	}
	if id.Permissions.SuperAdmin() {
		return DecideAllow
	}
	if a != View {
		if g, ok := GlobalForKind(k); ok {
			if Can(id, g) {
				return DecideAllow
			}
			return DecideDeny
		}
	}
	d := id.Permissions.Report(k.Namespace, k.Name, a)
	switch {
	case d.Allows(onDefaultBranch):
		return DecideAllow
	case d&AllowDefault != 0:
		return DecideAllowDefault
	case d&AllowOther != 0:
		return DecideAllowOther
	}
	return DecideDeny
}

// CanKind reports whether KindDecision allows a on this branch.
func CanKind(id *Identity, k Kind, a Action, onDefaultBranch bool) bool {
	return KindDecision(id, k, a, onDefaultBranch) == DecideAllow
}
