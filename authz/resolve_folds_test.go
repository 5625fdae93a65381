package authz_test

import (
	"context"
	"testing"

	"github.com/infrahub-go/infrahub/authz"
)

// Told of the graph's folds, the resolver keeps an answer while the log moves on other nodes and
// drops it when a fold changes the account, a group, a role or a permission, or something it
// cannot attribute.
func TestResolutionCachedUntilAFoldChangesIt(t *testing.T) {
	ctx := context.Background()
	g := newGraph()
	r := authz.NewResolver(g, authz.Config{AllowAnonymous: true})
	r.Folded(false, nil, nil)
	alice := &authz.Identity{AccountID: "alice", Name: "alice"}
	resolve := func() *authz.Identity {
		t.Helper()
		id, err := r.Resolve(ctx, alice)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	resolve()
	reads := g.reads
	for range 10 {
		g.pos++ // other writes move the log
		r.Folded(false, []string{"BenchInterface"}, []string{"if-1", "device-1"})
		resolve()
	}
	if g.reads != reads {
		t.Fatalf("%d more reads while folds changed other nodes", g.reads-reads)
	}

	// An admin grants alice's role manage_schema.
	g.add("p-schema", authz.KindGlobalPermission, map[string]any{"action": "manage_schema", "decision": float64(6)})
	g.link("branch-editor", "permissions", "p-schema")
	r.Folded(false, []string{authz.KindGlobalPermission, authz.KindAccountRole}, []string{"p-schema", "branch-editor"})
	if !authz.Can(resolve(), authz.ManageSchema) {
		t.Error("a grant folded since is not seen")
	}
	// alice is deactivated: a change to her node alone.
	g.add("alice", "CoreAccount", map[string]any{"name": "alice", "status": "inactive"})
	r.Folded(false, []string{"CoreAccount"}, []string{"alice"})
	if authz.Can(resolve(), authz.ManageSchema) {
		t.Error("alice's deactivation folded since is not seen")
	}
	// Reactivated, by a fold the resolver cannot attribute.
	g.add("alice", "CoreAccount", map[string]any{"name": "alice", "status": "active"})
	r.Folded(true, nil, nil)
	if !authz.Can(resolve(), authz.ManageSchema) {
		t.Error("alice's reactivation folded since is not seen")
	}
}
