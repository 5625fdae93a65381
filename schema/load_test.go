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

func mustParse(t testing.TB, name, src string) *schema.File {
	t.Helper()
	f, err := schema.Parse(name, []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func mustLoad(t testing.TB, base *schema.Set, srcs ...string) *schema.Set {
	t.Helper()
	var files []*schema.File
	for i, src := range srcs {
		files = append(files, mustParse(t, "f"+string(rune('0'+i))+".yml", src))
	}
	s, err := schema.Load(base, files...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

const widget = `version: "1.0"
nodes:
  - name: Widget
    namespace: Test
    id: 11111111-1111-1111-1111-111111111111
    attributes:
      - name: name
        kind: Text
        unique: true
      - name: color
        kind: Text
        optional: true
      - name: size
        id: 22222222-2222-2222-2222-222222222222
        kind: Number
        optional: true
`

func TestIncrementalLoad(t *testing.T) {
	s1 := mustLoad(t, coreSet(t), widget)
	w, _ := s1.Node("TestWidget")
	if !slices.Equal(w.HumanFriendlyID, []string{"name__value"}) {
		t.Errorf("hfid not derived from the single unique attribute: %v", w.HumanFriendlyID)
	}
	if !slices.ContainsFunc(w.UniquenessConstraints, func(u []string) bool { return slices.Equal(u, []string{"name__value"}) }) {
		t.Errorf("hfid does not imply a uniqueness constraint: %v", w.UniquenessConstraints)
	}

	// a later load lists only one attribute: the others stay; state absent removes; id renames
	s2 := mustLoad(t, s1, `version: "1.0"
nodes:
  - name: Widget
    namespace: Test
    attributes:
      - name: color
        kind: Text
        state: absent
      - name: dimension
        id: 22222222-2222-2222-2222-222222222222
        kind: Number
        optional: true
      - name: weight
        kind: Number
        optional: true
`)
	w2, _ := s2.Node("TestWidget")
	got := attrNames(&w2.Model)
	if !slices.Equal(got, []string{"name", "dimension", "weight"}) {
		t.Errorf("attributes after incremental load = %v", got)
	}
	if w2.ID != "11111111-1111-1111-1111-111111111111" {
		t.Errorf("id lost: %q", w2.ID)
	}
	// the first set is untouched
	if got := attrNames(&w.Model); !slices.Equal(got, []string{"name", "color", "size"}) {
		t.Errorf("base set changed: %v", got)
	}

	d := schema.Diff(s1, s2)
	var kd *schema.KindDiff
	for i := range d.Changed {
		if d.Changed[i].Kind == "TestWidget" {
			kd = &d.Changed[i]
		}
	}
	if kd == nil {
		t.Fatalf("TestWidget not in diff: %+v", d)
	}
	if !slices.Equal(kd.Added, []string{"attributes.dimension", "attributes.weight"}) ||
		!slices.Equal(kd.Removed, []string{"attributes.color", "attributes.size"}) {
		t.Errorf("diff = %+v", kd)
	}
	if s1.Hash() == s2.Hash() {
		t.Error("hash unchanged by a change")
	}

	// a node renamed through its id
	s3 := mustLoad(t, s2, `version: "1.0"
nodes:
  - name: Gadget
    namespace: Test
    id: 11111111-1111-1111-1111-111111111111
`)
	if _, ok := s3.Node("TestWidget"); ok {
		t.Error("TestWidget still present after rename")
	}
	g, ok := s3.Node("TestGadget")
	if !ok || !slices.Equal(attrNames(&g.Model), []string{"name", "dimension", "weight"}) {
		t.Errorf("renamed node = %+v", g)
	}
	d3 := schema.Diff(s2, s3)
	if !slices.Contains(d3.Added, "TestGadget") || !slices.Contains(d3.Removed, "TestWidget") ||
		!slices.Contains(d3.Removed, "ProfileTestWidget") {
		t.Errorf("rename diff = %+v", d3)
	}

	// state absent removes a node
	s4 := mustLoad(t, s3, `version: "1.0"
nodes:
  - name: Gadget
    namespace: Test
    state: absent
`)
	if _, ok := s4.Node("TestGadget"); ok {
		t.Error("TestGadget still present after state: absent")
	}
	if _, ok := s4.Node("ProfileTestGadget"); ok {
		t.Error("profile of a removed node still present")
	}
}

func TestHashStable(t *testing.T) {
	base := coreSet(t)
	a := mustLoad(t, base, widget)
	b := mustLoad(t, base, widget)
	if a.Hash() != b.Hash() || len(a.Hash()) != 64 {
		t.Errorf("hashes %q %q", a.Hash(), b.Hash())
	}
	if d := schema.Diff(a, b); !d.Empty() {
		t.Errorf("diff of equal sets: %+v", d)
	}
	// loading the same schema again is idempotent
	c := mustLoad(t, a, widget)
	if c.Hash() != a.Hash() {
		t.Error("reloading the same schema changed the hash")
	}
}

func TestExtensionOfCoreKind(t *testing.T) {
	s := mustLoad(t, coreSet(t), `version: "1.0"
extensions:
  nodes:
    - kind: BuiltinTag
      attributes:
        - name: color
          kind: Color
          optional: true
`)
	tag, _ := s.Node("BuiltinTag")
	if a := tag.Attribute("color"); a == nil || a.Kind != "Color" {
		t.Fatalf("BuiltinTag.color = %+v", a)
	}
	p, _ := s.Node("ProfileBuiltinTag")
	if p.Attribute("color") == nil {
		t.Error("ProfileBuiltinTag lacks the extension's attribute")
	}
}

func TestBranchSupport(t *testing.T) {
	s := mustLoad(t, coreSet(t), `version: "1.0"
nodes:
  - name: Global
    namespace: Test
    branch: agnostic
    attributes:
      - name: name
        kind: Text
        unique: true
      - name: note
        kind: Text
        optional: true
        branch: aware
    relationships:
      - name: others
        peer: TestGlobal
      - name: locals
        peer: TestScratch
        identifier: global_scratch
  - name: Scratch
    namespace: Test
    branch: local
    attributes:
      - name: name
        kind: Text
        unique: true
    relationships:
      - name: plain
        peer: TestPlain
  - name: Plain
    namespace: Test
    attributes:
      - name: name
        kind: Text
        unique: true
    relationships:
      - name: globals
        peer: TestGlobal
`)
	tests := []struct{ kind, elem, want string }{
		{"TestGlobal", "name", schema.BranchAgnostic}, // attributes inherit the node's
		{"TestGlobal", "note", schema.BranchAware},    // unless given
		{"TestGlobal", "others", schema.BranchAgnostic},
		{"TestGlobal", "locals", schema.BranchLocal},
		{"TestScratch", "plain", schema.BranchLocal},
		{"TestPlain", "globals", schema.BranchAware},
	}
	for _, tt := range tests {
		m, _ := s.Model(tt.kind)
		var got string
		if a := m.Attribute(tt.elem); a != nil {
			got = a.Branch
		} else if r := m.Relationship(tt.elem); r != nil {
			got = r.Branch
		}
		if got != tt.want {
			t.Errorf("%s.%s branch = %q, want %q", tt.kind, tt.elem, got, tt.want)
		}
	}
}

func TestComponentDefaultsAndHierarchy(t *testing.T) {
	s := mustLoad(t, coreSet(t), `version: "1.0"
generics:
  - name: Place
    namespace: Test
    hierarchical: true
    attributes:
      - name: name
        kind: Text
        unique: true
nodes:
  - name: Region
    namespace: Test
    inherit_from: [TestPlace]
    parent: ""
    children: TestCity
    relationships:
      - name: offices
        peer: TestOffice
        kind: Component
  - name: City
    namespace: Test
    inherit_from: [TestPlace]
    parent: TestRegion
    children: ""
  - name: Office
    namespace: Test
    attributes:
      - name: name
        kind: Text
    relationships:
      - name: region
        peer: TestRegion
        kind: Parent
        cardinality: one
        optional: false
`)
	region, _ := s.Node("TestRegion")
	if r := region.Relationship("offices"); r.OnDelete != "cascade" || r.Identifier != "testoffice__testregion" {
		t.Errorf("component = %+v", r)
	}
	city, _ := s.Node("TestCity")
	if p := city.Relationship("parent"); p == nil || p.Peer != "TestRegion" || p.IsOptional() {
		t.Errorf("city parent = %+v", p)
	}
	if p := region.Relationship("parent"); p == nil || !p.IsOptional() {
		t.Errorf("region parent = %+v", p)
	}
	g, _ := s.Generic("TestPlace")
	if !slices.Equal(g.UsedBy, []string{"TestCity", "TestRegion"}) {
		t.Errorf("used_by = %v", g.UsedBy)
	}
}

func TestAPIShape(t *testing.T) {
	s := serviceCatalog(t)
	b, err := json.Marshal(s.API())
	if err != nil {
		t.Fatal(err)
	}
	var api map[string]json.RawMessage
	if err := json.Unmarshal(b, &api); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"main", "nodes", "generics", "profiles", "templates", "namespaces"} {
		if _, ok := api[k]; !ok {
			t.Errorf("answer lacks %q", k)
		}
	}
	var nodes []map[string]any
	if err := json.Unmarshal(api["nodes"], &nodes); err != nil {
		t.Fatal(err)
	}
	// the same property names as Infrahub's dump for one node
	data, err := os.ReadFile(filepath.Join(corpusDir(t), "infrahub-demo-service-catalog/tests/fixtures/schemas/schema01.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dump struct {
		Nodes []map[string]any `json:"nodes"`
	}
	if err := json.Unmarshal(data, &dump); err != nil {
		t.Fatal(err)
	}
	var ours, theirs map[string]any
	for _, n := range nodes {
		if n["kind"] == "DcimDevice" {
			ours = n
		}
	}
	for _, n := range dump.Nodes {
		if n["kind"] == "DcimDevice" {
			theirs = n
		}
	}
	for k := range theirs {
		if _, ok := ours[k]; !ok {
			t.Errorf("node property %q missing from our answer", k)
		}
	}
	attr := func(n map[string]any) map[string]any { return n["attributes"].([]any)[0].(map[string]any) }
	for k := range attr(theirs) {
		if _, ok := attr(ours)[k]; !ok {
			t.Errorf("attribute property %q missing from our answer", k)
		}
	}
	rel := func(n map[string]any) map[string]any { return n["relationships"].([]any)[0].(map[string]any) }
	for k := range rel(theirs) {
		if _, ok := rel(ours)[k]; !ok {
			t.Errorf("relationship property %q missing from our answer", k)
		}
	}
	var namespaces []schema.Namespace
	if err := json.Unmarshal(api["namespaces"], &namespaces); err != nil {
		t.Fatal(err)
	}
	editable := map[string]bool{}
	for _, ns := range namespaces {
		editable[ns.Name] = ns.UserEditable
	}
	// as in Infrahub's answer
	for ns, want := range map[string]bool{"Dcim": true, "Builtin": true, "Core": false, "Profile": false, "Lineage": false} {
		if got, ok := editable[ns]; !ok || got != want {
			t.Errorf("namespace %s user_editable = %v (present %v), want %v", ns, got, ok, want)
		}
	}
}

// What `infrahub schema export` prints loads back into the very same schema.
func TestDeclaredRoundTrip(t *testing.T) {
	s := serviceCatalog(t)
	text, err := s.Declared().YAML()
	if err != nil {
		t.Fatal(err)
	}
	f, err := schema.Parse("export.yml", text)
	if err != nil {
		t.Fatalf("export does not parse: %v\n%.600s", err, text)
	}
	again, err := schema.Load(coreSet(t), f)
	if err != nil {
		t.Fatalf("export does not load: %v", err)
	}
	if again.Hash() != s.Hash() {
		t.Fatalf("export loads into hash %s, the schema had %s; diff %+v", again.Hash(), s.Hash(), schema.Diff(s, again))
	}
	if strings.Contains(string(text), "namespace: Core") || strings.Contains(string(text), "namespace: Builtin") {
		t.Fatal("the export holds built-in kinds")
	}
}
