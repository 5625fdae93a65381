package authz

import (
	"context"
	"fmt"
	"sync"

	"github.com/infrahub-go/infrahub/events"
)

// Kinds and relationships resolution reads (schema/core/accounts.yml, as Infrahub names them).
const (
	KindGenericAccount   = "CoreGenericAccount"
	KindAccountGroup     = "CoreAccountGroup"
	KindAccountRole      = "CoreAccountRole"
	KindGlobalPermission = "CoreGlobalPermission"
	KindObjectPermission = "CoreObjectPermission"

	// DefaultAnonymousRole is the role whose permissions anonymous requests get
	// (INFRAHUB_ANONYMOUS_ACCESS_ROLE).
	DefaultAnonymousRole = "Anonymous User"
)

// Ref is a node a relationship leads to.
type Ref struct{ ID, Kind string }

// Node is a node as resolution reads it: its kind and the values of its attributes (as
// encoding/json decodes them).
type Node struct {
	ID, Kind string
	Attrs    map[string]any
}

// Source is what permissions are resolved from: the accounts, groups, roles and permissions
// of the default branch, at its head. The composition root adapts the graph read port to it.
type Source interface {
	// Position is the log position the source has folded: a resolution is reused until it moves.
	Position(ctx context.Context) (events.Position, error)
	// Nodes reads the nodes ids of kind (a node kind or a generic); ids naming no node of it
	// are left out.
	Nodes(ctx context.Context, kind string, ids []string) ([]Node, error)
	// Peers reads relationship rel (declared on kind) of each of ids.
	Peers(ctx context.Context, ids []string, kind, rel string) (map[string][]Ref, error)
	// Named is the id of the node of kind whose name is name; "" when there is none.
	Named(ctx context.Context, kind, name string) (string, error)
}

// Config is how anonymous requests are treated.
type Config struct {
	// AllowAnonymous (INFRAHUB_ALLOW_ANONYMOUS_ACCESS, default true) gives anonymous requests the
	// permissions of AnonymousRole, of which they may only use view; false gives them none.
	AllowAnonymous bool
	// AnonymousRole (INFRAHUB_ANONYMOUS_ACCESS_ROLE) names that role; "" is "Anonymous User".
	AnonymousRole string
}

// Resolver computes what an identity was granted: its account's groups (CoreAccountGroup
// members), their roles, the roles' permissions. It keeps each answer until the source's log
// position moves, so that a request costs one position read when nothing changed; once told of
// the graph's folds (Folded), until a fold changes what an answer may have read instead.
type Resolver struct {
	src Source
	cfg Config

	mu    sync.RWMutex
	cache map[string]resolved // by account id; "" is anonymous
	pos   events.Position     // the position every entry of cache was computed at or after
	// folded is set by the first Folded: from then on the folds, not the position, decide
	// what cache keeps; folds counts them.
	folded bool
	folds  uint64
}

type resolved struct {
	perms *Permissions
}

// NewResolver is a resolver over src.
func NewResolver(src Source, cfg Config) *Resolver {
	if cfg.AnonymousRole == "" {
		cfg.AnonymousRole = DefaultAnonymousRole
	}
	return &Resolver{src: src, cfg: cfg, cache: map[string]resolved{}}
}

// AllowsAnonymous reports whether anonymous requests are served (INFRAHUB_ALLOW_ANONYMOUS_ACCESS).
func (r *Resolver) AllowsAnonymous() bool { return r.cfg.AllowAnonymous }

// Resolve answers a copy of id carrying its permissions. nil stays nil.
func (r *Resolver) Resolve(ctx context.Context, id *Identity) (*Identity, error) {
	if id == nil {
		return nil, nil
	}
	p, err := r.Permissions(ctx, id)
	if err != nil {
		return nil, err
	}
	out := *id
	out.Permissions = p
	return &out, nil
}

// Permissions is what id was granted: for an account, the permissions of the roles of the
// account groups it is a member of (none when it is inactive or does not exist); for an
// anonymous identity, those of the anonymous role when anonymous access is allowed.
func (r *Resolver) Permissions(ctx context.Context, id *Identity) (*Permissions, error) {
	key := id.AccountID
	if id.Anonymous {
		key = ""
	} else if key == "" {
		return NewPermissions(nil, nil), nil
	}
	r.mu.RLock()
	e, ok := r.cache[key]
	folded, from := r.folded, r.folds
	r.mu.RUnlock()
	if folded {
		if ok {
			return e.perms, nil
		}
		p, err := r.resolve(ctx, id)
		if err == nil {
			r.keep(from, key, p)
		}
		return p, err
	}
	pos, err := r.src.Position(ctx)
	if err != nil {
		return nil, fmt.Errorf("authorization: %w", err)
	}
	r.mu.RLock()
	e, ok = r.cache[key]
	fresh := r.pos == pos
	r.mu.RUnlock()
	if ok && fresh {
		return e.perms, nil
	}
	p, err := r.resolve(ctx, id)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	if r.pos != pos {
		if pos > r.pos {
			clear(r.cache) // the log moved: every answer may be stale
			r.pos = pos
		}
	}
	if r.pos == pos && !r.folded {
		r.cache[key] = resolved{perms: p}
	}
	r.mu.Unlock()
	return p, nil
}

// resolve reads what id was granted from the source.
func (r *Resolver) resolve(ctx context.Context, id *Identity) (*Permissions, error) {
	var (
		p   *Permissions
		err error
	)
	if id.Anonymous {
		p, err = r.anonymous(ctx)
	} else {
		p, err = r.account(ctx, id.AccountID)
	}
	if err != nil {
		return nil, fmt.Errorf("authorization: resolving the permissions of %s: %w", id.Name, err)
	}
	return p, nil
}

// keep stores the answer for key unless the graph folded a batch since it began reading (from):
// what it read may be stale already. Checking the count under the lock Folded takes is what
// makes a later fold see key.
func (r *Resolver) keep(from uint64, key string, p *Permissions) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.folds == from {
		r.cache[key] = resolved{perms: p}
	}
}

// resolvedKinds are the kinds whose nodes an answer reads besides the account: a change to one
// of them drops every answer.
var resolvedKinds = map[string]bool{KindAccountGroup: true, KindAccountRole: true,
	KindGlobalPermission: true, KindObjectPermission: true}

// Folded is told, after the graph the source reads folded a batch (whether or not it succeeded),
// the kinds and ids of the nodes the batch changed (each node event's node and the ends of its
// edges); all says it may have changed others (events that are not node events, a failed or
// undecoded fold, a reset). Every answer is dropped when the batch changed a group, a role, a
// permission or an account an answer is kept for. From the first call on, answers are kept
// until such a fold rather than until the source's position moves: whatever folds the graph
// must then call Folded after each batch.
func (r *Resolver) Folded(all bool, kinds, ids []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.folded {
		r.folded = true
		clear(r.cache) // kept by position until now
	}
	r.folds++
	if len(r.cache) == 0 {
		return
	}
	drop := all
	for _, k := range kinds {
		drop = drop || resolvedKinds[k]
	}
	for _, id := range ids {
		if _, ok := r.cache[id]; ok && id != "" {
			drop = true
		}
	}
	if drop {
		clear(r.cache)
	}
}

func (r *Resolver) anonymous(ctx context.Context) (*Permissions, error) {
	if !r.cfg.AllowAnonymous {
		return NewPermissions(nil, nil), nil
	}
	role, err := r.src.Named(ctx, KindAccountRole, r.cfg.AnonymousRole)
	if err != nil || role == "" {
		return NewPermissions(nil, nil), err
	}
	return r.ofRoles(ctx, []string{role})
}

func (r *Resolver) account(ctx context.Context, accountID string) (*Permissions, error) {
	accounts, err := r.src.Nodes(ctx, KindGenericAccount, []string{accountID})
	if err != nil || len(accounts) == 0 {
		return NewPermissions(nil, nil), err
	}
	acc := accounts[0]
	if s, _ := acc.Attrs["status"].(string); s == "inactive" {
		return NewPermissions(nil, nil), nil
	}
	peers, err := r.src.Peers(ctx, []string{acc.ID}, acc.Kind, "member_of_groups")
	if err != nil {
		return nil, err
	}
	var groups []string
	for _, g := range peers[acc.ID] {
		if g.Kind == KindAccountGroup {
			groups = append(groups, g.ID)
		}
	}
	if len(groups) == 0 {
		return NewPermissions(nil, nil), nil
	}
	roles, err := r.src.Peers(ctx, groups, KindAccountGroup, "roles")
	if err != nil {
		return nil, err
	}
	return r.ofRoles(ctx, ids(roles))
}

// ofRoles reads the permissions of roles. A permission whose stored values are not Infrahub's
// grants nothing (it is skipped, not an error that would lock every account out).
func (r *Resolver) ofRoles(ctx context.Context, roles []string) (*Permissions, error) {
	if len(roles) == 0 {
		return NewPermissions(nil, nil), nil
	}
	perms, err := r.src.Peers(ctx, roles, KindAccountRole, "permissions")
	if err != nil {
		return nil, err
	}
	var globalIDs, objectIDs []string
	seen := map[string]bool{}
	for _, refs := range perms {
		for _, p := range refs {
			if seen[p.ID] {
				continue
			}
			seen[p.ID] = true
			switch p.Kind {
			case KindGlobalPermission:
				globalIDs = append(globalIDs, p.ID)
			case KindObjectPermission:
				objectIDs = append(objectIDs, p.ID)
			}
		}
	}
	var global []GlobalPermission
	var object []ObjectPermission
	if len(globalIDs) > 0 {
		nodes, err := r.src.Nodes(ctx, KindGlobalPermission, globalIDs)
		if err != nil {
			return nil, err
		}
		for _, n := range nodes {
			if g, ok := globalOf(n); ok {
				global = append(global, g)
			}
		}
	}
	if len(objectIDs) > 0 {
		nodes, err := r.src.Nodes(ctx, KindObjectPermission, objectIDs)
		if err != nil {
			return nil, err
		}
		for _, n := range nodes {
			if o, ok := objectOf(n); ok {
				object = append(object, o)
			}
		}
	}
	return NewPermissions(global, object), nil
}

func globalOf(n Node) (GlobalPermission, bool) {
	a, _ := n.Attrs["action"].(string)
	d, err := DecisionOf(n.Attrs["decision"])
	if err != nil || !Global(a).Valid() {
		return GlobalPermission{}, false
	}
	return GlobalPermission{Action: Global(a), Decision: d}, true
}

func objectOf(n Node) (ObjectPermission, bool) {
	ns, _ := n.Attrs["namespace"].(string)
	name, _ := n.Attrs["name"].(string)
	a, _ := n.Attrs["action"].(string)
	if a == "" {
		a = string(Any) // the schema's default
	}
	d, err := DecisionOf(n.Attrs["decision"])
	if err != nil || ns == "" || name == "" || !Action(a).Valid() {
		return ObjectPermission{}, false
	}
	return ObjectPermission{Namespace: ns, Name: name, Action: Action(a), Decision: d}, true
}

func ids(m map[string][]Ref) []string {
	var out []string
	seen := map[string]bool{}
	for _, refs := range m {
		for _, r := range refs {
			if !seen[r.ID] {
				seen[r.ID] = true
				out = append(out, r.ID)
			}
		}
	}
	return out
}
