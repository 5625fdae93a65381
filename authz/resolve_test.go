package authz_test

import (
	"context"
	"testing"

	"github.com/infrahub-go/infrahub/authz"
	"github.com/infrahub-go/infrahub/events"
)

// graphSource is an account graph in memory: nodes by id, relationship peers by (id, rel).
type graphSource struct {
	pos   events.Position
	nodes map[string]authz.Node
	peers map[[2]string][]string
	reads int
}

func (g *graphSource) Position(context.Context) (events.Position, error) { return g.pos, nil }

func (g *graphSource) Nodes(_ context.Context, kind string, ids []string) ([]authz.Node, error) {
	g.reads++
	var out []authz.Node
	for _, id := range ids {
		if n, ok := g.nodes[id]; ok && (n.Kind == kind || kind == authz.KindGenericAccount) {
			out = append(out, n)
		}
	}
	return out, nil
}

func (g *graphSource) Peers(_ context.Context, ids []string, _, rel string) (map[string][]authz.Ref, error) {
	g.reads++
	out := map[string][]authz.Ref{}
	for _, id := range ids {
		for _, p := range g.peers[[2]string{id, rel}] {
			out[id] = append(out[id], authz.Ref{ID: p, Kind: g.nodes[p].Kind})
		}
	}
	return out, nil
}

func (g *graphSource) Named(_ context.Context, kind, name string) (string, error) {
	g.reads++
	for id, n := range g.nodes {
		if n.Kind == kind && n.Attrs["name"] == name {
			return id, nil
		}
	}
	return "", nil
}

func (g *graphSource) add(id, kind string, attrs map[string]any) {
	g.nodes[id] = authz.Node{ID: id, Kind: kind, Attrs: attrs}
}

func (g *graphSource) link(id, rel string, peers ...string) {
	g.peers[[2]string{id, rel}] = append(g.peers[[2]string{id, rel}], peers...)
}

// newGraph holds alice in group editors (role branch-editor: any on other branches, view
// everywhere) and a disabled bob in the same group, and the anonymous role.
func newGraph() *graphSource {
	g := &graphSource{pos: 1, nodes: map[string]authz.Node{}, peers: map[[2]string][]string{}}
	g.add("alice", "CoreAccount", map[string]any{"name": "alice", "status": "active"})
	g.add("bob", "CoreAccount", map[string]any{"name": "bob", "status": "inactive"})
	g.add("carol", "CoreAccount", map[string]any{"name": "carol"})
	g.add("editors", authz.KindAccountGroup, map[string]any{"name": "editors"})
	g.add("tagged", "CoreStandardGroup", map[string]any{"name": "tagged"})
	g.add("branch-editor", authz.KindAccountRole, map[string]any{"name": "branch-editor"})
	g.add("anon", authz.KindAccountRole, map[string]any{"name": "Anonymous User"})
	g.add("p-view", authz.KindObjectPermission, map[string]any{"namespace": "*", "name": "*", "action": "view", "decision": float64(6)})
	g.add("p-other", authz.KindObjectPermission, map[string]any{"namespace": "*", "name": "*", "action": "any", "decision": float64(4)})
	g.add("p-deny", authz.KindObjectPermission, map[string]any{"namespace": "*", "name": "*", "action": "any", "decision": float64(1)})
	g.add("p-merge", authz.KindGlobalPermission, map[string]any{"action": "merge_branch", "decision": float64(6)})
	g.add("p-bad", authz.KindObjectPermission, map[string]any{"namespace": "*", "name": "*", "action": "any", "decision": float64(3)})
	g.link("alice", "member_of_groups", "editors", "tagged")
	g.link("bob", "member_of_groups", "editors")
	g.link("carol", "member_of_groups", "tagged")
	g.link("editors", "roles", "branch-editor")
	g.link("branch-editor", "permissions", "p-view", "p-other", "p-merge", "p-bad")
	g.link("anon", "permissions", "p-view", "p-deny")
	return g
}

func TestResolveAccountThroughGroupsAndRoles(t *testing.T) {
	ctx := context.Background()
	r := authz.NewResolver(newGraph(), authz.Config{AllowAnonymous: true})
	alice, err := r.Resolve(ctx, &authz.Identity{AccountID: "alice", Name: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	if !authz.CanObject(alice, "Dcim", "Device", authz.View, true) || !authz.CanObject(alice, "Dcim", "Device", authz.Update, false) {
		t.Error("alice's role does not let her view, or edit on a branch")
	}
	if authz.CanObject(alice, "Dcim", "Device", authz.Update, true) {
		t.Error("alice edits the default branch (the malformed decision 3 granted something?)")
	}
	if !authz.Can(alice, authz.MergeBranch) || authz.Can(alice, authz.ManageSchema) {
		t.Error("alice's global permissions are not her role's")
	}
	for _, who := range []string{"bob", "carol", "nobody"} {
		id, err := r.Resolve(ctx, &authz.Identity{AccountID: who, Name: who})
		if err != nil {
			t.Fatal(err)
		}
		if authz.CanObject(id, "Dcim", "Device", authz.View, true) || authz.Can(id, authz.MergeBranch) {
			t.Errorf("%s (inactive, in no account group, or unknown) was granted something", who)
		}
	}
}

func TestResolveAnonymous(t *testing.T) {
	ctx := context.Background()
	on, err := authz.NewResolver(newGraph(), authz.Config{AllowAnonymous: true}).Resolve(ctx, authz.Anonymous)
	if err != nil {
		t.Fatal(err)
	}
	if !authz.CanObject(on, "Dcim", "Device", authz.View, true) || authz.CanObject(on, "Dcim", "Device", authz.Create, false) {
		t.Error("anonymous access allowed: anonymous should view and not create")
	}
	if authz.Anonymous.Permissions != nil {
		t.Error("Resolve changed the shared Anonymous identity")
	}
	off, err := authz.NewResolver(newGraph(), authz.Config{AllowAnonymous: false}).Resolve(ctx, authz.Anonymous)
	if err != nil {
		t.Fatal(err)
	}
	if authz.CanObject(off, "Dcim", "Device", authz.View, true) {
		t.Error("anonymous access refused, yet anonymous views")
	}
}

func TestResolutionCachedUntilTheLogMoves(t *testing.T) {
	ctx := context.Background()
	g := newGraph()
	r := authz.NewResolver(g, authz.Config{AllowAnonymous: true})
	alice := &authz.Identity{AccountID: "alice", Name: "alice"}
	if _, err := r.Resolve(ctx, alice); err != nil {
		t.Fatal(err)
	}
	reads := g.reads
	for range 100 {
		if _, err := r.Resolve(ctx, alice); err != nil {
			t.Fatal(err)
		}
	}
	if g.reads != reads {
		t.Fatalf("%d more reads for 100 resolutions at the same position", g.reads-reads)
	}
	// An admin grants alice's role manage_schema: the next write moves the log.
	g.add("p-schema", authz.KindGlobalPermission, map[string]any{"action": "manage_schema", "decision": float64(6)})
	g.link("branch-editor", "permissions", "p-schema")
	g.pos++
	id, err := r.Resolve(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	if !authz.Can(id, authz.ManageSchema) {
		t.Error("a grant after the log moved is not seen")
	}
}

// A request's authorization when nothing changed: one position read and a map lookup, then a
// decision per kind (memoized per permission set).
func BenchmarkResolveCachedAndDecide(b *testing.B) {
	ctx := context.Background()
	r := authz.NewResolver(newGraph(), authz.Config{AllowAnonymous: true})
	alice := &authz.Identity{AccountID: "alice", Name: "alice"}
	kind := authz.Kind{Namespace: "Dcim", Name: "Device"}
	for b.Loop() {
		id, err := r.Resolve(ctx, alice)
		if err != nil || !authz.CanKind(id, kind, authz.View, true) {
			b.Fatal("refused", err)
		}
	}
}

// A resolution after the log moved: every read of the account graph again.
func BenchmarkResolveAfterWrite(b *testing.B) {
	ctx := context.Background()
	g := newGraph()
	r := authz.NewResolver(g, authz.Config{AllowAnonymous: true})
	alice := &authz.Identity{AccountID: "alice", Name: "alice"}
	for b.Loop() {
		g.pos++
		if _, err := r.Resolve(ctx, alice); err != nil {
			b.Fatal(err)
		}
	}
}
