package schema_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/schema"
)

func loadYAML(t *testing.T, base *schema.Set, name, src string) *schema.Set {
	t.Helper()
	f, err := schema.Parse(name, []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	s, err := schema.Load(base, f)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// hierarchySchema has a generic that is not hierarchical with a relationship of kind Hierarchy,
// and a hierarchical generic with one more besides parent and children.
const hierarchySchema = `version: "1.0"
generics:
  - name: Area
    namespace: Test
    attributes: [{name: name, kind: Text, unique: true}]
    relationships:
      - {name: region, peer: TestArea, kind: Hierarchy, cardinality: one, optional: true}
  - name: Place
    namespace: Test
    hierarchical: true
    attributes: [{name: name, kind: Text, unique: true}]
    relationships:
      - {name: managed_from, peer: TestPlace, kind: Hierarchy, cardinality: one, optional: true}
nodes:
  - {name: Zone, namespace: Test, inherit_from: [TestArea]}
  - {name: Country, namespace: Test, inherit_from: [TestPlace], children: TestCity}
  - {name: City, namespace: Test, inherit_from: [TestPlace], parent: TestCountry}
`

// TestGenericRelationshipsInheritedWhateverTheirKind: a node inherits every relationship of its
// generics, of kind Hierarchy too (Infrahub's NodeSchema.inherit_from_interface copies them all);
// only parent and children of a hierarchical generic are the node's own, with its peers.
func TestGenericRelationshipsInheritedWhateverTheirKind(t *testing.T) {
	s := loadYAML(t, coreSet(t), "hierarchy.yml", hierarchySchema)
	for _, c := range []struct{ node, rel, peer string }{
		{"TestZone", "region", "TestArea"},
		{"TestCountry", "managed_from", "TestPlace"},
		{"TestCity", "managed_from", "TestPlace"},
	} {
		n, _ := s.Node(c.node)
		r := n.Relationship(c.rel)
		if r == nil {
			t.Errorf("%s lacks %s inherited from its generic", c.node, c.rel)
			continue
		}
		if !r.Inherited || r.Kind != schema.RelHierarchy || r.Peer != c.peer || r.Cardinality != "one" {
			t.Errorf("%s.%s: inherited=%v kind=%s peer=%s cardinality=%s", c.node, c.rel, r.Inherited, r.Kind, r.Peer, r.Cardinality)
		}
	}
	for _, c := range []struct{ node, rel, peer string }{
		{"TestCountry", "parent", "TestPlace"},
		{"TestCountry", "children", "TestCity"},
		{"TestCity", "parent", "TestCountry"},
		{"TestCity", "children", "TestPlace"},
	} {
		n, _ := s.Node(c.node)
		r := n.Relationship(c.rel)
		if r == nil || r.Inherited || r.Peer != c.peer || r.Kind != schema.RelHierarchy {
			t.Errorf("%s.%s: want the node's own hierarchy relationship to %s, got %+v", c.node, c.rel, c.peer, r)
		}
	}
	if !schema.IsHierarchyField("descendants") || schema.IsHierarchyField("managed_from") {
		t.Error("IsHierarchyField")
	}
}

// profilesSchema sets generate_profile: false on a generic and not on its node, and the reverse.
const profilesSchema = `version: "1.0"
generics:
  - name: Thing
    namespace: Test
    generate_profile: false
    attributes: [{name: name, kind: Text, unique: true}, {name: note, kind: Text, optional: true}]
  - name: Gadget
    namespace: Test
    attributes: [{name: name, kind: Text, unique: true}, {name: note, kind: Text, optional: true}]
nodes:
  - {name: Box, namespace: Test, inherit_from: [TestThing]}
  - {name: Widget, namespace: Test, generate_profile: false, inherit_from: [TestGadget]}
`

// TestProfilesRelationship: every node and generic outside the reserved namespaces has the
// profiles relationship Infrahub's manage_profile_relationships adds, whatever its
// generate_profile, which only decides whether Profile<Kind> is generated
// (opsmill/infrahub backend/infrahub/core/schema/schema_branch.py).
func TestProfilesRelationship(t *testing.T) {
	s := loadYAML(t, coreSet(t), "profiles.yml", profilesSchema)
	for _, kind := range []string{"TestThing", "TestBox", "TestGadget", "TestWidget", "BuiltinTag", "BuiltinIPNamespace"} {
		m, ok := s.Model(kind)
		if !ok {
			t.Fatalf("%s missing", kind)
		}
		r := m.Relationship("profiles")
		if r == nil {
			t.Errorf("%s has no profiles relationship", kind)
			continue
		}
		if r.Peer != "CoreProfile" || r.Kind != schema.RelProfile || r.Identifier != "node__profile" || r.Cardinality != "many" ||
			!r.IsOptional() || r.Direction != "bidirectional" || r.Branch != schema.BranchAware || r.Label != "Profiles" || r.ReadOnly {
			t.Errorf("%s.profiles = %+v", kind, r)
		}
	}
	for _, kind := range []string{"CoreAccount", "CoreStandardGroup", "CoreNode"} {
		if m, ok := s.Model(kind); ok && m.Relationship("profiles") != nil {
			t.Errorf("%s (reserved namespace) has a profiles relationship", kind)
		}
	}
	for kind, want := range map[string]bool{"ProfileTestThing": false, "ProfileTestBox": true, "ProfileTestGadget": true, "ProfileTestWidget": false} {
		if _, ok := s.Node(kind); ok != want {
			t.Errorf("%s generated: %v, want %v", kind, ok, want)
		}
	}
	// a profile kind has no profiles of its own
	if p, ok := s.Node("ProfileTestBox"); !ok || p.Relationship("profiles") != nil {
		t.Error("ProfileTestBox must exist without a profiles relationship")
	}
}

// TestProfilesRelationshipAgainstDump checks which kinds have a profiles relationship against
// the GET /api/schema answer of a real Infrahub holding the service catalog (every namespace,
// the built-in ones too: BuiltinIPNamespace has generate_profile: false and profiles all the same).
func TestProfilesRelationshipAgainstDump(t *testing.T) {
	s := serviceCatalog(t)
	data, err := os.ReadFile(filepath.Join(corpusDir(t), "infrahub-demo-service-catalog/tests/fixtures/schemas/schema01.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dump struct {
		Nodes    []dumpModel `json:"nodes"`
		Generics []dumpModel `json:"generics"`
	}
	if err := json.Unmarshal(data, &dump); err != nil {
		t.Fatal(err)
	}
	compared := 0
	for _, d := range append(dump.Nodes, dump.Generics...) {
		m, ok := s.Model(d.Kind)
		if !ok {
			continue // kinds the current files dropped (TestServiceCatalogAgainstDump lists them)
		}
		i := slices.IndexFunc(d.Relationships, func(r dumpRel) bool { return r.Name == "profiles" })
		r := m.Relationship("profiles")
		switch {
		case i < 0 && r != nil:
			t.Errorf("%s has profiles; Infrahub's has none", d.Kind)
		case i >= 0 && r == nil:
			t.Errorf("%s has no profiles; Infrahub's has", d.Kind)
		case i >= 0:
			dr := d.Relationships[i]
			if r.Peer != dr.Peer || r.Kind != dr.Kind || r.Identifier != dr.Identifier || r.Cardinality != dr.Cardinality || r.IsOptional() != dr.Optional {
				t.Errorf("%s.profiles = %+v, Infrahub's %+v", d.Kind, r, dr)
			}
			compared++
		}
	}
	if compared < 25 {
		t.Errorf("compared %d profiles relationships, want at least 25", compared)
	}
}

// TestMenuPlacementWarning: a menu_placement naming no kind loads (Infrahub no longer checks it:
// a menu item of that name may come from a menu file) with a warning naming the kind and field,
// in Infrahub's SchemaWarning shape; a later load of other files does not repeat it.
func TestMenuPlacementWarning(t *testing.T) {
	s := loadYAML(t, coreSet(t), "menu.yml", device(`    menu_placement: TestMenu
  - name: Rack
    namespace: Test
    menu_placement: TestDevice
    attributes: [{name: name, kind: Text, unique: true}]
`))
	w := s.Warnings()
	if len(w) != 1 {
		t.Fatalf("warnings %+v, want one", w)
	}
	got := w[0]
	if got.Type != "deprecation" || len(got.Kinds) != 1 || got.Kinds[0].Kind != "TestDevice" || got.Kinds[0].Field == nil ||
		*got.Kinds[0].Field != "menu_placement" || got.File != "menu.yml" || got.Line != 3 || !strings.Contains(got.Message, `"TestMenu"`) {
		t.Errorf("warning %+v", got)
	}
	raw, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	// the SDK's SchemaWarning (infrahub_sdk/schema): type, kinds[{kind, field}], message
	var sdk struct {
		Type  string `json:"type"`
		Kinds []struct {
			Kind  string  `json:"kind"`
			Field *string `json:"field"`
		} `json:"kinds"`
		Message string `json:"message"`
	}
	if err := json.Unmarshal(raw, &sdk); err != nil || sdk.Type != "deprecation" || sdk.Kinds[0].Kind != "TestDevice" || sdk.Message == "" {
		t.Errorf("SchemaWarning shape: %s (%v)", raw, err)
	}
	if n, _ := s.Node("TestDevice"); n.MenuPlacement == nil || *n.MenuPlacement != "TestMenu" {
		t.Error("the menu_placement is kept as declared")
	}
	next := loadYAML(t, s, "other.yml", `version: "1.0"
nodes:
  - {name: Shelf, namespace: Test, attributes: [{name: name, kind: Text}]}
`)
	if w := next.Warnings(); w == nil || len(w) != 0 {
		t.Errorf("a load of other files repeats the warnings: %+v", w)
	}
}

// TestMenuPlacementInherited: a node without a menu_placement takes its generic's, as Infrahub's
// inherit_from_interface does.
func TestMenuPlacementInherited(t *testing.T) {
	s := loadYAML(t, coreSet(t), "menu.yml", `version: "1.0"
generics:
  - {name: Gear, namespace: Test, menu_placement: TestRack, attributes: [{name: name, kind: Text}]}
nodes:
  - {name: Rack, namespace: Test, attributes: [{name: name, kind: Text}]}
  - {name: Fan, namespace: Test, inherit_from: [TestGear]}
  - {name: Psu, namespace: Test, inherit_from: [TestGear], menu_placement: TestFan}
`)
	for kind, want := range map[string]string{"TestFan": "TestRack", "TestPsu": "TestFan"} {
		if n, _ := s.Node(kind); n.MenuPlacement == nil || *n.MenuPlacement != want {
			t.Errorf("%s.menu_placement = %v, want %s", kind, n.MenuPlacement, want)
		}
	}
	if len(s.Warnings()) != 0 {
		t.Errorf("warnings %+v", s.Warnings())
	}
}
