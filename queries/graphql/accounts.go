package graphql

// What Infrahub's clients ask about the requesting account, in Infrahub's shapes:
// AccountProfile (backend/infrahub/graphql/resolvers/resolver.py, account_resolver),
// InfrahubPermissions and InfrahubAccountToken (backend/infrahub/graphql/queries/account.py),
// InfrahubAccountTokenCreate/Delete and InfrahubAccountSelfUpdate
// (backend/infrahub/graphql/mutations/account.py), and the permissions answered on kinds and
// attributes (backend/infrahub/graphql/types/permission.py).

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/infrahub-go/infrahub/authz"
	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/commands/values"
	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/projections/graph"
)

const genericAccountKind = "CoreGenericAccount"

// errJWTRequired is Infrahub's PermissionDeniedError of the account operations asked without a
// login (anonymous, or with an API token).
var errJWTRequired = fault.New(fault.ErrForbidden, "This operation requires authentication with a JWT token")

// notFound is Infrahub's NodeNotFoundError message.
type notFound struct{ kind, id string }

func (n notFound) Error() string {
	return fmt.Sprintf("Unable to find the node %s / %s in the database.", n.id, n.kind)
}
func (notFound) Unwrap() error { return fault.ErrNotFound }

// whoCache is the requester's identity with its permissions, resolved once per request.
type whoCache struct {
	done bool
	id   *authz.Identity
	err  error
}

// who answers the identity the request acts for, with its permissions: nil when the context
// carries none (the server acting for itself, or a test of this layer without authentication:
// everything is allowed).
func (e *exec) who() (*authz.Identity, error) {
	if e.whoami.done {
		return e.whoami.id, e.whoami.err
	}
	e.whoami.done = true
	id := authz.From(e.ctx)
	if id != nil && id.Permissions == nil && e.x.Resolve != nil {
		id, e.whoami.err = e.x.Resolve(e.ctx, id)
	}
	e.whoami.id = id
	return id, e.whoami.err
}

// accountID answers the requester's account id for the operations on one's own account;
// anonymous (Infrahub's account id "anonymous") or an API token is errJWTRequired when jwt is
// asked.
func (e *exec) accountID(jwt bool) (string, error) {
	id, err := e.who()
	if err != nil {
		return "", err
	}
	switch {
	case id == nil:
		return "", fmt.Errorf("%w: no account asks", errJWTRequired)
	case jwt && !id.ByJWT:
		return "", errJWTRequired
	case id.Anonymous || id.AccountID == "":
		return "anonymous", nil
	}
	return id.AccountID, nil
}

// accountProfile answers AccountProfile: the requester's account (a CoreGenericAccount).
func (e *exec) accountProfile(w *jsonWriter, f *ast.Field, path ast.Path) {
	id, err := e.who()
	if err == nil && id == nil {
		w.null() // nobody asks: there is no profile
		return
	}
	var n graph.Node
	if err == nil {
		acct, _ := e.accountID(false)
		if n, err = e.x.Graph.Get(e.ctx, e.scope, acct); errors.Is(err, fault.ErrNotFound) || (err == nil && n.Kind == "") {
			err = notFound{genericAccountKind, acct}
		}
	}
	if err != nil {
		e.fail(path, err)
		w.null()
		return
	}
	lv := e.prefetch([]graph.Node{n}, f.SelectionSet, path)
	e.node(w, f.SelectionSet, n, lv, path)
}

// accountPermissions answers InfrahubPermissions: the requester's global and object
// permissions, each as Infrahub's AccountGlobalPermissionNode / AccountObjectPermissionNode.
// The decision is the number Infrahub answers (6 for allow_all); the id is the permission
// node's.
func (e *exec) accountPermissions(w *jsonWriter, f *ast.Field, path ast.Path) {
	id, err := e.who()
	if err != nil {
		e.fail(path, err)
		w.null()
		return
	}
	p := authz.System.Permissions
	if id != nil {
		p = id.Permissions
	}
	ids, err := e.permissionNodes()
	if err != nil {
		e.fail(path, err)
		w.null()
		return
	}
	var global, object []any
	if p != nil {
		for _, g := range p.Global() {
			ident := g.String()
			n := ids[ident]
			global = append(global, map[string]any{"node": map[string]any{"id": n.id, "description": n.description,
				"name": n.name, "action": string(g.Action), "decision": fmt.Sprint(int(g.Decision)), "identifier": ident}})
		}
		for _, o := range p.Object() {
			ident := o.String()
			n := ids[ident]
			object = append(object, map[string]any{"node": map[string]any{"id": n.id, "description": n.description,
				"namespace": o.Namespace, "name": o.Name, "action": string(o.Action), "decision": fmt.Sprint(int(o.Decision)),
				"identifier": ident}})
		}
	}
	e.plain(w, f.SelectionSet, "AccountPermissionsEdges", map[string]any{
		"global_permissions": map[string]any{"count": len(global), "edges": append([]any{}, global...)},
		"object_permissions": map[string]any{"count": len(object), "edges": append([]any{}, object...)},
	}, path)
}

type permissionNode struct{ id, name, description any }

// permissionNodes reads the permission nodes of the default branch by identifier, for the ids
// and descriptions InfrahubPermissions answers (a permission is granted by its identifier).
func (e *exec) permissionNodes() (map[string]permissionNode, error) {
	out := map[string]permissionNode{}
	scope := graph.Scope{Branch: e.x.Default}
	for _, kind := range []string{authz.KindGlobalPermission, authz.KindObjectPermission} {
		if _, ok := e.set.Model(kind); !ok {
			continue
		}
		page, err := e.x.Graph.List(e.ctx, scope, graph.Query{Kind: kind, Filters: map[string]any{}})
		if err != nil {
			return nil, err
		}
		for _, n := range page.Nodes {
			attr := func(name string) any { return n.Attributes[name].Value }
			str := func(name string) string { s, _ := attr(name).(string); return s }
			d, err := authz.DecisionOf(attr("decision"))
			if err != nil {
				continue
			}
			var ident string
			if kind == authz.KindGlobalPermission {
				ident = authz.GlobalPermission{Action: authz.Global(str("action")), Decision: d}.String()
			} else {
				action := str("action")
				if action == "" {
					action = string(authz.Any)
				}
				ident = authz.ObjectPermission{Namespace: str("namespace"), Name: str("name"), Action: authz.Action(action), Decision: d}.String()
			}
			out[ident] = permissionNode{id: n.ID, name: n.DisplayLabel, description: attr("description")}
		}
	}
	return out, nil
}

// kindPermissions answers the permissions field of a kind's paginated answer: what the
// requester may do with objects of kind on this branch (authz.KindDecision).
func (e *exec) kindPermissions(w *jsonWriter, sel ast.SelectionSet, kind string) {
	node := map[string]any{"kind": kind}
	for _, a := range []authz.Action{authz.View, authz.Create, authz.Update, authz.Delete} {
		node[string(a)] = string(e.decide(kind, a))
	}
	e.plain(w, sel, "PaginatedObjectPermission", map[string]any{"count": 1, "edges": []any{map[string]any{"node": node}}}, nil)
}

// decide is the requester's decision for a on kind on this branch; allowed when nobody asks.
func (e *exec) decide(kind string, a authz.Action) authz.BranchDecision {
	id, err := e.who()
	if err != nil {
		return authz.DecideDeny
	}
	if id == nil {
		return authz.DecideAllow
	}
	m, ok := e.set.Model(kind)
	if !ok {
		return authz.DecideDeny
	}
	return authz.KindDecision(id, authz.Kind{Namespace: m.Namespace, Name: m.Name}, a, e.scope.Branch == e.x.Default)
}

// accountTokens answers InfrahubAccountToken: the requester's API tokens (id, name,
// expiration; never the value), limit 10 and offset 0 unless given.
func (e *exec) accountTokens(w *jsonWriter, f *ast.Field, path ast.Path) {
	acct, err := e.accountID(true)
	if err != nil {
		e.fail(path, err)
		w.null()
		return
	}
	args := f.ArgumentMap(e.vars)
	q := graph.Query{Kind: values.TokenKind, Filters: map[string]any{"account__ids": []any{acct}}, Limit: 10}
	if n, ok := toInt(args["limit"]); ok {
		q.Limit = n
	}
	if n, ok := toInt(args["offset"]); ok {
		q.Offset = n
	}
	page, err := e.x.Graph.List(e.ctx, graph.Scope{Branch: e.x.Default}, q)
	if err != nil {
		e.fail(path, err)
		w.null()
		return
	}
	edges := []any{}
	for _, n := range page.Nodes {
		edges = append(edges, map[string]any{"node": map[string]any{"id": n.ID,
			"name": n.Attributes["name"].Value, "expiration": n.Attributes["expiration"].Value}})
	}
	e.plain(w, f.SelectionSet, "AccountTokenEdges", map[string]any{"count": page.Count, "edges": edges}, path)
}

// accountMutation runs InfrahubAccountTokenCreate, InfrahubAccountTokenDelete and
// InfrahubAccountSelfUpdate for the requester's own account, logged in with a JWT.
func (x mutator) accountMutation(w *jsonWriter, f *ast.Field, typ string, data map[string]any, path ast.Path) error {
	e := x.e
	acct, err := e.accountID(true)
	if err != nil {
		return err
	}
	account, err := e.x.Graph.Get(e.ctx, graph.Scope{Branch: e.x.Default}, acct)
	if errors.Is(err, fault.ErrNotFound) || (err == nil && account.Kind == "") {
		return notFound{"CoreAccount", acct}
	}
	if err != nil {
		return err
	}
	answer := map[string]any{"ok": true}
	switch f.Name {
	case "InfrahubAccountTokenCreate":
		token := newToken()
		fields := commands.Data{"token": jsonOf(token), "account": jsonOf(map[string]any{"id": acct})}
		for _, k := range []string{"name", "expiration"} {
			if v, ok := data[k].(string); ok && v != "" {
				fields[k] = jsonOf(v)
			}
		}
		res, err := x.dispatchForSelf(acct, commands.TypeCreateNode, commands.CreateNode{Branch: e.x.Default, Kind: values.TokenKind, Data: fields})
		if err != nil {
			return err
		}
		out, _ := res.Data.(commands.NodeOutcome)
		answer["object"] = map[string]any{"id": out.ID, "token": map[string]any{"value": token}}
	case "InfrahubAccountTokenDelete":
		tokenID, _ := data["id"].(string)
		page, err := e.x.Graph.List(e.ctx, graph.Scope{Branch: e.x.Default}, graph.Query{Kind: values.TokenKind,
			Filters: map[string]any{"ids": []any{tokenID}, "account__ids": []any{acct}}, Limit: 1})
		if err != nil {
			return err
		}
		if len(page.Nodes) == 0 {
			return notFound{"AccountToken", tokenID}
		}
		if _, err := x.dispatchForSelf(acct, commands.TypeDeleteNode, commands.DeleteNode{Branch: e.x.Default, Kind: values.TokenKind, ID: tokenID}); err != nil {
			return err
		}
	case "InfrahubAccountSelfUpdate":
		fields := commands.Data{}
		for _, k := range []string{"password", "description"} {
			if v, ok := data[k].(string); ok && v != "" { // as Infrahub: an empty value changes nothing
				fields[k] = jsonOf(v)
			}
		}
		if len(fields) > 0 {
			if _, err := x.dispatchForSelf(acct, commands.TypeUpdateNode, commands.UpdateNode{Branch: e.x.Default, Kind: account.Kind, ID: acct, Data: fields}); err != nil {
				return err
			}
		}
	}
	e.plain(w, f.SelectionSet, typ, answer, path)
	return nil
}

// newToken is a new API token value: 128 random bits as a UUID (version 4), as Infrahub's tokens
// look.
func newToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func jsonOf(v any) json.RawMessage {
	raw, _ := json.Marshal(v)
	return raw
}

// dispatchForSelf runs a command an account may run on what is its own (its tokens, its password
// and description), whatever its permissions, as Infrahub allows: the mutation checked the login
// and the ownership, the command runs as the server and is recorded for the account.
func (x mutator) dispatchForSelf(account, typ string, payload any) (commands.Result, error) {
	raw, err := json.Marshal(payload)
	if err != nil {
		return commands.Result{}, err
	}
	if x.e.x.Dispatch == nil {
		return commands.Result{}, fmt.Errorf("%w: mutations are not accepted by this server", commands.ErrInvalid)
	}
	return x.e.x.Dispatch(authz.With(x.e.ctx, authz.System), commands.Command{Type: typ, Actor: account, Payload: raw})
}
