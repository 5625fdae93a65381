package graphql_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/queries/graphql"
)

// Groups: members and subscribers seen from both ends (member_of_groups, subscriber_of_groups on
// every node), changed from either end, hierarchical groups with ancestors and descendants, no
// group its own ancestor, and members that leave when deleted.
func TestGroups(t *testing.T) {
	f := newFixture(t, fixtureSchema)
	f.loadDataset(t)
	do := func(doc string) string {
		t.Helper()
		out := run(t, f, graphql.Request{Query: doc})
		if out["errors"] != nil {
			t.Fatalf("%s: %v", doc, out["errors"])
		}
		return fmt.Sprint(out["data"])
	}
	fails := func(doc, want string) {
		t.Helper()
		out := run(t, f, graphql.Request{Query: doc})
		if out["errors"] == nil || !strings.Contains(fmt.Sprint(out["errors"]), want) {
			t.Fatalf("%s: %v, want an error naming %s", doc, out["errors"], want)
		}
	}
	do(`mutation { CoreStandardGroupCreate(data: {name: {value: "all"}}) { ok } }`)
	do(`mutation { CoreStandardGroupCreate(data: {name: {value: "core"}, parent: {hfid: ["all"]},
		members: [{hfid: ["r1"], kind: "TestDevice"}, {hfid: ["r2"], kind: "TestDevice"}], subscribers: [{hfid: ["paris"], kind: "TestSite"}]}) { ok } }`)
	do(`mutation { CoreStandardGroupCreate(data: {name: {value: "core-eu"}, parent: {hfid: ["core"]}}) { ok } }`)

	devices := `{ TestDevice(name__value: "r1") { edges { node { member_of_groups { edges { node { display_label } } } } } }
		TestSite(name__value: "paris") { edges { node { subscriber_of_groups { edges { node { display_label } } } } } } }`
	if got := do(devices); !strings.Contains(got, "member_of_groups:map[edges:[map[node:map[display_label:core]]]]") ||
		!strings.Contains(got, "subscriber_of_groups:map[edges:[map[node:map[display_label:core]]]]") {
		t.Fatalf("groups seen from the members: %s", got)
	}
	members := `{ CoreStandardGroup(name__value: "core") { edges { node { members { count edges { node { display_label } } } } } } }`
	if got := do(members); !strings.Contains(got, "count:2") {
		t.Fatalf("members of core: %s", got)
	}
	// From the member's end, and with RelationshipAdd/Remove on the group's.
	do(`mutation { TestDeviceUpdate(data: {hfid: ["r1"], member_of_groups: [{hfid: ["core"]}, {hfid: ["all"]}]}) { ok } }`)
	if got := do(`{ CoreStandardGroup(name__value: "all") { edges { node { members { count } } } } }`); !strings.Contains(got, "count:1") {
		t.Fatalf("all after r1 joined it: %s", got)
	}
	group := do(`{ CoreStandardGroup(name__value: "core") { edges { node { id } } } }`)
	gid := group[strings.Index(group, "id:")+3 : strings.Index(group, "id:")+3+36]
	do(`mutation { RelationshipRemove(data: {id: "` + gid + `", name: "members", nodes: [{hfid: ["r2"], kind: "TestDevice"}]}) { ok } }`)
	if got := do(members); !strings.Contains(got, "count:1") || strings.Contains(got, "r2") {
		t.Fatalf("core after removing r2: %s", got)
	}
	do(`mutation { RelationshipAdd(data: {id: "` + gid + `", name: "members", nodes: [{hfid: ["r2"], kind: "TestDevice"}]}) { ok } }`)

	// The hierarchy.
	tree := do(`{ all: CoreStandardGroup(name__value: "all") { edges { node { children { edges { node { display_label } } } descendants { count } } } }
		leaf: CoreStandardGroup(name__value: "core-eu") { edges { node { ancestors { count edges { node { display_label } } } } } } }`)
	if !strings.Contains(tree, "children:map[edges:[map[node:map[display_label:core]]]]") || !strings.Contains(tree, "descendants:map[count:2]") ||
		!strings.Contains(tree, "ancestors:map[count:2") {
		t.Fatalf("group hierarchy: %s", tree)
	}
	fails(`mutation { CoreStandardGroupUpdate(data: {hfid: ["all"], parent: {hfid: ["core-eu"]}}) { ok } }`, "parent")
	fails(`mutation { CoreStandardGroupUpdate(data: {hfid: ["core"], parent: {hfid: ["core"]}}) { ok } }`, "parent")
	if got := do(`{ CoreStandardGroup(name__value: "all") { edges { node { parent { node { id } } } } } }`); strings.Contains(got, "id:") {
		t.Fatalf("a refused cycle changed the parent: %s", got)
	}

	// A deleted member leaves its groups.
	do(`mutation { TestDeviceDelete(data: {hfid: ["r2"]}) { ok } }`)
	if got := do(members); !strings.Contains(got, "count:1") {
		t.Fatalf("core after r2 was deleted: %s", got)
	}
	// The generic lists every group.
	if got := do(`{ CoreGroup { count } }`); !strings.Contains(got, "count:3") {
		t.Fatalf("CoreGroup: %s", got)
	}
}
