package commands_test

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/branch/graph"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/fault"
)

// namesSchema has peers named in every way: TestSite by its default_filter (shortname, unique)
// or its human-friendly id (name), TestRack by its default_filter (label, not unique) while its
// human-friendly id has two parts, BuiltinTag and CoreGroup by their default_filter name.
const namesSchema = `
version: "1.0"
nodes:
  - name: Site
    namespace: Test
    default_filter: shortname__value
    human_friendly_id: [name__value]
    attributes:
      - {name: name, kind: Text, unique: true}
      - {name: shortname, kind: Text, unique: true, optional: true}
  - name: Rack
    namespace: Test
    default_filter: label__value
    human_friendly_id: [site__name__value, name__value]
    uniqueness_constraints: [[site, name__value]]
    attributes:
      - {name: name, kind: Text}
      - {name: label, kind: Text, optional: true}
    relationships:
      - {name: site, peer: TestSite, cardinality: one, optional: false}
  - name: Server
    namespace: Test
    human_friendly_id: [name__value]
    attributes:
      - {name: name, kind: Text, unique: true}
    relationships:
      - {name: site, peer: TestSite, cardinality: one, optional: true}
      - {name: racks, peer: TestRack, cardinality: many, optional: true}
      - {name: tags, peer: BuiltinTag, cardinality: many, optional: true}
`

const namesData = `---
apiVersion: infrahub.app/v1
kind: Object
spec:
  kind: TestSite
  data:
    - {name: Paris, shortname: PAR}
    - {name: Brussels, shortname: BRU}
---
apiVersion: infrahub.app/v1
kind: Object
spec:
  kind: TestRack
  data:
    - {name: r1, label: Row A, site: Paris}
    - {name: r2, label: Row B, site: Paris}
    - {name: r1, label: Shared, site: Brussels}
    - {name: r2, label: Shared, site: Brussels}
---
apiVersion: infrahub.app/v1
kind: Object
spec:
  kind: BuiltinTag
  data:
    - name: red
    - name: blue
---
apiVersion: infrahub.app/v1
kind: Object
spec:
  kind: CoreStandardGroup
  data:
    - name: servers
`

// The servers file: names in cardinality-many lists (what infrahubctl sends as {"id": name}),
// a bare string for a cardinality-one peer by default_filter and by human-friendly id, an HFID
// list, unknown top-level keys and an extra key in a nested block.
const serversFile = `apiVersion: infrahub.app/v1
kind: Object
metadata: {owner: netops}
version: 2
spec:
  kind: TestServer
  data:
    - name: s1
      site: PAR
      racks: [Row A, Row B]
      tags: [red, blue]
      member_of_groups: [servers]
    - name: s2
      site: Brussels
      racks: [[Brussels, r1]]
      tags:
        kind: BuiltinTag
        description: tags made here
        data:
          - name: green
`

func newNamesFixture(t *testing.T) *nodeFixture {
	t.Helper()
	f := newNodeFixtureTB(t)
	raw, _ := json.Marshal(namesSchema)
	f.run(t, commands.TypeLoadSchema, commands.LoadSchema{Schemas: []json.RawMessage{raw}})
	f.run(t, commands.TypeLoadObjects, commands.LoadObjects{Files: []commands.ObjectFile{{Name: "base.yml", Content: namesData}}})
	return f
}

// byHFID is the id of a node by human-friendly id, failing the test when there is none.
func byHFID(t *testing.T, v *nodes.View, kind string, hfid ...string) graph.NodeID {
	t.Helper()
	id, ok := v.ByHFID(kind, hfid)
	if !ok {
		t.Fatalf("no %s %v", kind, hfid)
	}
	return id
}

func peersOf(t *testing.T, v *nodes.View, id graph.NodeID, rel string) []graph.NodeID {
	t.Helper()
	m, _ := v.Schema.Node(mustKind(t, v, id))
	for _, r := range m.Relationships {
		if r.Name == rel {
			out := slices.Clone(v.Peers(id, nodes.RelField(r.Identifier, r.Direction)))
			slices.SortFunc(out, graph.NodeID.Compare)
			return out
		}
	}
	t.Fatalf("no relationship %s", rel)
	return nil
}

func mustKind(t *testing.T, v *nodes.View, id graph.NodeID) string {
	t.Helper()
	k, ok := v.Kind(id)
	if !ok {
		t.Fatalf("node %s does not exist", id)
	}
	return k
}

func sortedIDs(ids ...graph.NodeID) []graph.NodeID {
	slices.SortFunc(ids, graph.NodeID.Compare)
	return ids
}

// Object files name related nodes as infrahubctl sends them and Infrahub resolves them: a name
// in a cardinality-many list through the peer's default_filter, a bare string too, then through
// the human-friendly id; unknown top-level keys and extra keys of a nested block are ignored and
// the load says so; a second load changes nothing.
func TestObjectFileNamesByDefaultFilter(t *testing.T) {
	f := newNamesFixture(t)
	res := f.run(t, commands.TypeLoadObjects, commands.LoadObjects{Files: []commands.ObjectFile{{Name: "servers.yml", Content: serversFile}}})
	out := res.Data.(commands.ObjectsOutcome)
	var warnings []string
	for _, w := range out.Files[0].Warnings {
		warnings = append(warnings, w.String())
	}
	want := []string{
		`servers.yml:4: document 1, version: unknown key, ignored (did you mean "apiVersion"?)`,
		`servers.yml:18: document 1, item 2, field "tags".description: ignored: a nested block with data creates objects from its kind and data only`,
	}
	if !slices.Equal(warnings, want) {
		t.Fatalf("warnings:\n%s\nwant:\n%s", strings.Join(warnings, "\n"), strings.Join(want, "\n"))
	}
	if o := out.Kinds["TestServer"]; o == nil || o.Created != 2 {
		t.Fatalf("servers: %+v", out.Kinds)
	}
	v := f.view(t, "main")
	s1, s2 := byHFID(t, v, "TestServer", "s1"), byHFID(t, v, "TestServer", "s2")
	paris, brussels := byHFID(t, v, "TestSite", "Paris"), byHFID(t, v, "TestSite", "Brussels")
	checks := []struct {
		name string
		got  []graph.NodeID
		want []graph.NodeID
	}{
		{"s1 site by default_filter shortname", peersOf(t, v, s1, "site"), []graph.NodeID{paris}},
		{"s1 racks by default_filter label", peersOf(t, v, s1, "racks"),
			sortedIDs(byHFID(t, v, "TestRack", "Paris", "r1"), byHFID(t, v, "TestRack", "Paris", "r2"))},
		{"s1 tags by default_filter name", peersOf(t, v, s1, "tags"),
			sortedIDs(byHFID(t, v, "BuiltinTag", "red"), byHFID(t, v, "BuiltinTag", "blue"))},
		{"s1 groups through the generic's default_filter", peersOf(t, v, s1, "member_of_groups"),
			[]graph.NodeID{byHFID(t, v, "CoreGroup", "servers")}},
		{"s2 site by human-friendly id", peersOf(t, v, s2, "site"), []graph.NodeID{brussels}},
		{"s2 racks by an HFID list", peersOf(t, v, s2, "racks"), []graph.NodeID{byHFID(t, v, "TestRack", "Brussels", "r1")}},
		{"s2 tags made in the nested block", peersOf(t, v, s2, "tags"), []graph.NodeID{byHFID(t, v, "BuiltinTag", "green")}},
	}
	for _, c := range checks {
		if !slices.Equal(c.got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, c.got, c.want)
		}
	}
	res = f.run(t, commands.TypeLoadObjects, commands.LoadObjects{Files: []commands.ObjectFile{{Name: "servers.yml", Content: serversFile}}})
	if len(res.Positions) != 0 {
		t.Errorf("the second load wrote %d events", len(res.Positions))
	}
}

// A name that matches nothing, or several nodes, is refused naming the field and the name; a
// reference by id still works.
func TestObjectFileNameRefusals(t *testing.T) {
	f := newNamesFixture(t)
	server := func(field string) commands.LoadObjects {
		return commands.LoadObjects{Files: []commands.ObjectFile{{Name: "s.yml", Content: "apiVersion: infrahub.app/v1\nkind: Object\nspec:\n  kind: TestServer\n  data:\n    - name: s9\n      " + field + "\n"}}}
	}
	// CoreGroup names two groups "dup" of different kinds; TestRack's label "Shared" two racks.
	f.run(t, commands.TypeCreateNode, map[string]any{"kind": "CoreStandardGroup", "data": map[string]any{"name": "dup"}})
	f.run(t, commands.TypeCreateNode, map[string]any{"kind": "CoreGeneratorGroup", "data": map[string]any{"name": "dup"}})
	tests := []struct {
		name, field string
		kind        error
		want        []string
	}{
		{"no match", "racks: [Row A, nope]", fault.ErrNotFound,
			[]string{"s.yml:6", `TestServer, field "racks"`, `no TestRack named "nope"`, "default_filter label__value"}},
		{"no match for a bare string", "site: Lyon", fault.ErrNotFound,
			[]string{`TestServer, field "site"`, `no TestSite named "Lyon"`}},
		{"two nodes share the default_filter value", "racks: [Shared]", fault.ErrNotFound,
			[]string{`TestServer, field "racks"`, `"Shared" names 2 TestRack nodes by default_filter label__value`}},
		{"two kinds of a generic share the name", "member_of_groups: [dup]", fault.ErrNotFound,
			[]string{`TestServer, field "member_of_groups"`, `"dup" names 2 CoreGroup nodes`}},
		{"an id that is no node", "racks: [0190c4f8-2a1b-7c3d-8e4f-5a6b7c8d9e0f]", fault.ErrNotFound,
			[]string{`field "racks"`, "0190c4f8-2a1b-7c3d-8e4f-5a6b7c8d9e0f does not exist"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.try(t, commands.TypeLoadObjects, server(tt.field))
			if err == nil {
				t.Fatal("loaded")
			}
			if !errors.Is(err, tt.kind) {
				t.Errorf("error %v is not %v", err, tt.kind)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %s", err, w)
				}
			}
			if n := f.view(t, "main").Count("TestServer"); n != 0 {
				t.Errorf("%d servers stored", n)
			}
		})
	}
	v := f.view(t, "main")
	rack := byHFID(t, v, "TestRack", "Brussels", "r2")
	f.run(t, commands.TypeLoadObjects, server("racks: ["+rack.String()+", {id: "+rack.String()+"}]"))
	v = f.view(t, "main")
	if got := peersOf(t, v, byHFID(t, v, "TestServer", "s9"), "racks"); !slices.Equal(got, []graph.NodeID{rack}) {
		t.Fatalf("racks by id: %v, want %v", got, rack)
	}
}

// Commands name related nodes as the SDK's mutations do: {"id": name} for the strings of a
// cardinality-many list (infrahub_sdk/node/related_node.py, RelatedNodeBase: a string becomes
// {"id": …}; spec/object.py passes the list of names as is), a bare string, and
// relationship.add; an update names its node by a name with its kind, as Infrahub's
// NodeManager.find_object takes it.
func TestCommandsNameRelatedNodes(t *testing.T) {
	f := newNamesFixture(t)
	// the data of TestServerUpsert(data: {name: {value: "s3"}, racks: [{id: "Row A"}], tags: [{id: "red"}, {hfid: ["blue"]}]})
	res := f.run(t, commands.TypeUpsertNode, map[string]any{"kind": "TestServer", "data": map[string]any{
		"name":  map[string]any{"value": "s3"},
		"racks": []any{map[string]any{"id": "Row A"}},
		"tags":  []any{map[string]any{"id": "red"}, map[string]any{"hfid": []any{"blue"}}},
		"site":  "BRU",
	}})
	s3 := nid(t, res.Data.(commands.NodeOutcome).ID)
	f.run(t, commands.TypeAddPeers, map[string]any{"kind": "TestServer", "hfid": []string{"s3"}, "name": "racks",
		"peers": []any{map[string]any{"id": "Row B"}}})
	f.run(t, commands.TypeUpdateNode, map[string]any{"kind": "TestServer", "id": "s3", "data": map[string]any{
		"member_of_groups": []any{map[string]any{"id": "servers"}}}})
	v := f.view(t, "main")
	want := map[string][]graph.NodeID{
		"racks":            sortedIDs(byHFID(t, v, "TestRack", "Paris", "r1"), byHFID(t, v, "TestRack", "Paris", "r2")),
		"tags":             sortedIDs(byHFID(t, v, "BuiltinTag", "red"), byHFID(t, v, "BuiltinTag", "blue")),
		"site":             {byHFID(t, v, "TestSite", "Brussels")},
		"member_of_groups": {byHFID(t, v, "CoreGroup", "servers")},
	}
	for rel, ids := range want {
		if got := peersOf(t, v, s3, rel); !slices.Equal(got, ids) {
			t.Errorf("%s: %v, want %v", rel, got, ids)
		}
	}
	_, err := f.try(t, commands.TypeUpdateNode, map[string]any{"kind": "TestServer", "id": "s3", "data": map[string]any{
		"racks": []any{map[string]any{"id": "Shared"}}}})
	if !errors.Is(err, fault.ErrNotFound) || !strings.Contains(err.Error(), `field "racks"`) || !strings.Contains(err.Error(), `"Shared" names 2 TestRack nodes`) {
		t.Fatalf("an ambiguous name: %v", err)
	}
	// A batch names nodes its earlier operations made: by a unique default_filter value (the tag)
	// and by one no claim holds (the rack's label).
	op := func(typ string, payload map[string]any) map[string]any {
		raw, _ := json.Marshal(payload)
		return map[string]any{"type": typ, "payload": json.RawMessage(raw)}
	}
	f.run(t, commands.TypeBatch, map[string]any{"operations": []any{
		op(commands.TypeCreateNode, map[string]any{"kind": "BuiltinTag", "data": map[string]any{"name": "yellow"}}),
		op(commands.TypeCreateNode, map[string]any{"kind": "TestRack", "data": map[string]any{"name": "r3", "label": "Row C", "site": "PAR"}}),
		op(commands.TypeCreateNode, map[string]any{"kind": "TestServer", "data": map[string]any{"name": "s4", "tags": []any{"yellow"}, "racks": []any{"Row C"}}}),
	}})
	v = f.view(t, "main")
	s4 := byHFID(t, v, "TestServer", "s4")
	if got := peersOf(t, v, s4, "tags"); !slices.Equal(got, []graph.NodeID{byHFID(t, v, "BuiltinTag", "yellow")}) {
		t.Errorf("s4's tags: %v", got)
	}
	if got := peersOf(t, v, s4, "racks"); !slices.Equal(got, []graph.NodeID{byHFID(t, v, "TestRack", "Paris", "r3")}) {
		t.Errorf("s4's racks: %v", got)
	}
	_, err = f.try(t, commands.TypeUpdateNode, map[string]any{"kind": "TestServer", "id": "s99", "data": map[string]any{}})
	if !errors.Is(err, fault.ErrNotFound) || !strings.Contains(err.Error(), `field "id"`) || !strings.Contains(err.Error(), `"s99"`) {
		t.Fatalf("an update of a name that matches nothing: %v", err)
	}
}

// An hfid naming a related node holds strings: a null (or list, or object) element is refused
// naming it, never looked up as "<nil>".
func TestRelatedHFIDElementsAreStrings(t *testing.T) {
	f := newNamesFixture(t)
	for _, tags := range []any{[]any{[]any{nil}}, []any{[]any{"red", map[string]any{}}}} {
		_, err := f.try(t, commands.TypeCreateNode, map[string]any{"kind": "TestServer", "data": map[string]any{"name": "s9", "tags": tags}})
		if !errors.Is(err, fault.ErrInvalid) || !strings.Contains(err.Error(), `field "tags"`) || !strings.Contains(err.Error(), "hfid element") ||
			strings.Contains(err.Error(), "<nil>") {
			t.Errorf("tags %v: %v; want invalid naming the hfid element", tags, err)
		}
	}
}
