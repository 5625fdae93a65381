package schema_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/schema"
)

// device wraps attribute and relationship YAML into a TestDevice node.
func device(body string) string {
	return `version: "1.0"
nodes:
  - name: Device
    namespace: Test
    human_friendly_id: [name__value]
    attributes:
      - name: name
        kind: Text
        unique: true
` + body
}

func TestInvalidSchemas(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want string
	}{
		{"unknown attribute kind", device(`      - name: status
        kind: Dropdwn
`), `test.yml:10: TestDevice.attributes[status].kind: unknown kind "Dropdwn"`},
		{"missing peer", device(`    relationships:
      - name: site
        peer: TestSite
        cardinality: one
`), `test.yml:11: TestDevice.relationships[site].peer: unknown kind "TestSite"`},
		{"bad namespace", `version: "1.0"
nodes:
  - name: Device
    namespace: test
`, `testDevice.namespace: "test" must match`},
		{"reserved namespace", `version: "1.0"
nodes:
  - name: Thing
    namespace: Core
`, `CoreThing.namespace: "Core" is a reserved namespace`},
		{"name too short", `version: "1.0"
nodes:
  - name: D
    namespace: Test
`, `TestD.name: "D" must be 2 to 32 characters long`},
		{"bad node name", `version: "1.0"
nodes:
  - name: my_device
    namespace: Test
`, `.name: "my_device" must match ^[A-Z][a-zA-Z0-9]+$`},
		{"parent optional", device(`    relationships:
      - name: owner
        peer: TestDevice
        kind: Parent
        cardinality: one
        optional: true
`), `TestDevice.relationships[owner].optional: a Parent relationship must not be optional`},
		{"parent many", device(`    relationships:
      - name: owner
        peer: TestDevice
        kind: Parent
        optional: false
`), `TestDevice.relationships[owner].cardinality: a Parent relationship must have cardinality one`},
		{"hfid on missing attribute", `version: "1.0"
nodes:
  - name: Device
    namespace: Test
    human_friendly_id: [serial__value]
    attributes:
      - name: name
        kind: Text
`, `TestDevice.human_friendly_id[0]: "serial__value": unknown attribute serial`},
		{"hfid on many relationship", device(`    relationships:
      - name: tags
        peer: BuiltinTag
    uniqueness_constraints: [["tags__name__value"]]
`), `TestDevice.uniqueness_constraints[0]: "tags__name__value": relationship tags must have cardinality one`},
		{"conflicting attribute from generic", `version: "1.0"
generics:
  - name: Thing
    namespace: Test
    attributes:
      - name: size
        kind: Text
nodes:
  - name: Device
    namespace: Test
    inherit_from: [TestThing]
    attributes:
      - name: size
        kind: Number
`, `TestDevice.attributes[size].kind: kind Number conflicts with kind Text of the attribute inherited from TestThing`},
		{"override forbidden", `version: "1.0"
generics:
  - name: Thing
    namespace: Test
    attributes:
      - name: size
        kind: Text
        allow_override: none
nodes:
  - name: Device
    namespace: Test
    inherit_from: [TestThing]
    attributes:
      - name: size
        kind: Text
`, `TestDevice.attributes[size]: overrides the attribute inherited from TestThing, which does not allow it`},
		{"attribute against inherited relationship", `version: "1.0"
generics:
  - name: Thing
    namespace: Test
    relationships:
      - name: tags
        peer: BuiltinTag
nodes:
  - name: Device
    namespace: Test
    inherit_from: [TestThing]
    attributes:
      - name: tags
        kind: Text
`, `TestDevice.attributes[tags]: conflicts with relationship tags inherited from TestThing`},
		{"unknown generic", device(`    inherit_from: [TestNope]
`), `TestDevice.inherit_from: unknown generic "TestNope"`},
		{"inherit from a node", `version: "1.0"
nodes:
  - name: Other
    namespace: Test
  - name: Device
    namespace: Test
    inherit_from: [TestOther]
`, `TestDevice.inherit_from: TestOther is a node, not a generic`},
		{"restricted namespace", `version: "1.0"
generics:
  - name: Animal
    namespace: Zoo
    restricted_namespaces: [Dog]
nodes:
  - name: Cat
    namespace: Test
    inherit_from: [ZooAnimal]
`, `TestCat.inherit_from: namespace Test may not inherit from ZooAnimal (restricted to Dog)`},
		{"dropdown without choices", device(`      - name: status
        kind: Dropdown
`), `TestDevice.attributes[status].choices: a Dropdown attribute needs choices`},
		{"default value of wrong type", device(`      - name: mtu
        kind: Number
        default_value: abc
`), `TestDevice.attributes[mtu].default_value: abc is not a valid Number value`},
		{"default value not a choice", device(`      - name: color
        kind: Dropdown
        default_value: purple
        choices:
          - name: red
`), `TestDevice.attributes[color].default_value: purple is not one of the choices`},
		{"parameter of another kind", device(`      - name: label2
        kind: Text
        parameters:
          min_value: 3
`), `TestDevice.attributes[label2].parameters.min_value: not a parameter of kind Text`},
		{"invalid regex", device(`      - name: serial
        kind: Text
        parameters:
          regex: "[a-"
`), `TestDevice.attributes[serial].parameters.regex: invalid regular expression "[a-"`},
		{"unknown property", device(`      - name: serial
        kind: Text
        optinal: true
`), `test.yml:12: TestDevice.attributes[serial].optinal: unknown property "optinal"`},
		{"uppercase attribute name", device(`      - name: Serial
        kind: Text
`), `TestDevice.attributes[Serial].name: "Serial" must match ^[a-z][a-z0-9_]*$`},
		{"reserved attribute name", device(`      - name: id
        kind: Text
`), `TestDevice.attributes[id].name: "id" is a reserved name`},
		{"duplicate attribute", device(`      - name: name
        kind: Text
`), `TestDevice.attributes[name].name: "name" is declared twice`},
		{"max_count with cardinality one", device(`    relationships:
      - name: tag
        peer: BuiltinTag
        cardinality: one
        max_count: 3
`), `TestDevice.relationships[tag].max_count: 3 is not allowed with cardinality one`},
		{"min above max", device(`    relationships:
      - name: tags
        peer: BuiltinTag
        optional: false
        min_count: 5
        max_count: 2
`), `TestDevice.relationships[tags].min_count: min_count 5 is greater than max_count 2`},
		{"order_by unknown attribute", device(`    order_by: [foo__value]
`), `TestDevice.order_by[0]: "foo__value": unknown attribute foo`},
		{"display_label template variable", device(`    display_label: "{{ name__value }} {{ bar__value }}"
`), `TestDevice.display_label: template variable "bar__value": unknown attribute bar`},
		{"display_labels deprecated but checked", device(`    display_labels: [nope__value]
`), `TestDevice.display_labels[0]: "nope__value": unknown attribute nope`},
		{"self relation without direction", device(`    relationships:
      - name: upstream
        peer: TestDevice
      - name: downstream
        peer: TestDevice
`), `TestDevice.relationships[downstream].identifier: identifier "testdevice__testdevice" is also used by relationship upstream`},
		{"extension of unknown kind", `version: "1.0"
extensions:
  nodes:
    - kind: TestNope
      attributes:
        - name: extra
          kind: Text
`, `extensions.nodes[TestNope].kind: unknown kind "TestNope"`},
		{"unsupported version", `version: "2.0"
`, `version: unsupported version "2.0"`},
		{"bad branch", device(`      - name: serial
        kind: Text
        branch: sometimes
`), `TestDevice.attributes[serial].branch: must be aware, agnostic or local, not "sometimes"`},
		{"parent without hierarchy", device(`    parent: TestDevice
`), `TestDevice.parent: only a node inheriting from a hierarchical generic has a parent`},
		{"jinja2 computed not read_only", device(`      - name: fqdn
        kind: Text
        computed_attribute:
          kind: Jinja2
          jinja2_template: "{{ name__value }}.example.com"
`), `TestDevice.attributes[fqdn].read_only: a Jinja2 computed attribute must be read_only`},
		{"jinja2 computed template syntax", device(`      - name: fqdn
        kind: Text
        read_only: true
        computed_attribute:
          kind: Jinja2
          jinja2_template: "{{ name__value }.example.com"
`), `TestDevice.attributes[fqdn].computed_attribute.jinja2_template: invalid Jinja2 template`},
		{"jinja2 computed unknown variable", device(`      - name: fqdn
        kind: Text
        read_only: true
        computed_attribute:
          kind: Jinja2
          jinja2_template: "{{ name__value }}.{{ site__name__value }}"
`), `TestDevice.attributes[fqdn].computed_attribute.jinja2_template: template variable "site__name__value": unknown relationship site`},
		{"jinja2 computed through a cardinality-many relationship", device(`      - name: fqdn
        kind: Text
        read_only: true
        computed_attribute:
          kind: Jinja2
          jinja2_template: "{{ tags__name__value }}"
    relationships:
      - name: tags
        peer: BuiltinTag
        cardinality: many
`), `TestDevice.attributes[fqdn].computed_attribute.jinja2_template: template variable "tags__name__value": relationship tags must have cardinality one`},
		{"number pool not read_only", device(`      - name: vni
        kind: NumberPool
`), `TestDevice.attributes[vni].read_only: a NumberPool attribute must be read_only`},
		{"unknown relationship kind", device(`    relationships:
      - name: tags
        peer: BuiltinTag
        kind: Child
`), `TestDevice.relationships[tags].kind: unknown relationship kind "Child"`},
		{"node and generic with one kind", `version: "1.0"
generics:
  - name: Device
    namespace: Test
nodes:
  - name: Device
    namespace: Test
`, `TestDevice: kind TestDevice is already defined as a generic`},
		{"two parents", device(`    relationships:
      - name: owner
        peer: TestDevice
        kind: Parent
        cardinality: one
        optional: false
      - name: holder
        peer: TestDevice
        kind: Parent
        cardinality: one
        optional: false
        identifier: holder
`), `TestDevice.relationships: only one relationship of kind Parent is allowed, found owner, holder`},
		// (an unknown menu_placement is accepted with a warning: TestMenuPlacementWarning)
		{"two hierarchical generics", `version: "1.0"
generics:
  - {name: Place, namespace: Test, hierarchical: true}
  - {name: Area, namespace: Test, hierarchical: true}
nodes:
  - {name: Site, namespace: Test, inherit_from: [TestPlace, TestArea]}
`, `TestSite.inherit_from: inherits from two hierarchical generics, TestPlace and TestArea`},
		{"common parent missing", device(`    relationships:
      - name: tags
        peer: BuiltinTag
        common_parent: device
`), `TestDevice.relationships[tags].common_parent: TestDevice has no relationship device of cardinality one`},
		{"identifier pairs with another kind", `version: "1.0"
nodes:
  - name: Alpha
    namespace: Test
    relationships:
      - name: beta
        peer: TestBeta
        identifier: shared
  - name: Beta
    namespace: Test
    relationships:
      - name: gamma
        peer: TestGamma
        identifier: shared
  - name: Gamma
    namespace: Test
`, `TestAlpha.relationships[beta].identifier: identifier "shared" pairs with TestBeta.gamma, whose peer TestGamma is not TestAlpha`},
		{"hfid through a relationship to a missing peer attribute", device(`    relationships:
      - name: tag
        peer: BuiltinTag
        cardinality: one
        optional: false
    uniqueness_constraints: [["tag__colour__value", "name__value"]]
`), `TestDevice.uniqueness_constraints[0]: "tag__colour__value": peer BuiltinTag has no attribute colour`},
		{"bad cardinality", device(`    relationships:
      - name: tags
        peer: BuiltinTag
        cardinality: few
`), `TestDevice.relationships[tags].cardinality: must be one or many, not "few"`},
		{"wrong value type", device(`      - name: serial
        kind: Text
        optional: maybe
`), "cannot unmarshal !!str `maybe` into bool"},
	}
	base := coreSet(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := schema.Parse("test.yml", []byte(tt.yaml))
			if err == nil {
				_, err = schema.Load(base, f)
			}
			if err == nil {
				t.Fatalf("accepted; want %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error does not contain %q:\n%v", tt.want, err)
			}
			var se *schema.Error
			if !errors.As(err, &se) || len(se.Problems) == 0 {
				t.Errorf("error is not a *schema.Error with problems: %T", err)
			}
		})
	}
	if len(tests) < 25 {
		t.Fatalf("only %d cases", len(tests))
	}
}

// TestAllProblemsAtOnce checks that a load reports every problem, not only the first.
func TestAllProblemsAtOnce(t *testing.T) {
	f, err := schema.Parse("multi.yml", []byte(device(`      - name: status
        kind: Dropdwn
    relationships:
      - name: site
        peer: TestSite
`)))
	if err != nil {
		t.Fatal(err)
	}
	_, err = schema.Load(coreSet(t), f)
	var se *schema.Error
	if !errors.As(err, &se) || len(se.Problems) != 2 {
		t.Fatalf("want 2 problems, got %v", err)
	}
	if got := strings.Count(err.Error(), "\n"); got != 1 {
		t.Errorf("want one problem per line, got:\n%v", err)
	}
}
