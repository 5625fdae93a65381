package commands_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/commands"
)

// computedSchema: a device's fqdn reads its own name and its site's name; an interface's label
// reads its device's fqdn (a computed attribute of a peer: a chain); a circuit's name, its
// human-friendly id, is computed from its provider.
const computedSchema = `
version: "1.0"
nodes:
  - name: Site
    namespace: Cmp
    human_friendly_id: [name__value]
    attributes:
      - {name: name, kind: Text, unique: true}
      - {name: city, kind: Text, optional: true}
  - name: Device
    namespace: Cmp
    human_friendly_id: [name__value]
    display_label: "{{ fqdn__value }} ({{ site__city__value }})"
    attributes:
      - {name: name, kind: Text, unique: true}
      - {name: slot, kind: Number, optional: true}
      - name: fqdn
        kind: Text
        read_only: true
        computed_attribute:
          kind: Jinja2
          jinja2_template: "{{ name__value }}-{{ site__name__value }}"
      - name: slot_label
        kind: Text
        read_only: true
        optional: true
        computed_attribute:
          kind: Jinja2
          jinja2_template: "{{ fqdn__value|upper }}/{{ '{:02d}'.format(slot__value) if slot__value else 'none' }}"
    relationships:
      - {name: site, peer: CmpSite, cardinality: one, kind: Attribute}
  - name: Interface
    namespace: Cmp
    attributes:
      - {name: name, kind: Text}
      - name: label
        kind: Text
        read_only: true
        computed_attribute:
          kind: Jinja2
          jinja2_template: "{{ device__fqdn__value }}:{{ name__value }}"
    relationships:
      - {name: device, peer: CmpDevice, cardinality: one, kind: Parent, optional: false}
  - name: Circuit
    namespace: Cmp
    human_friendly_id: [name__value]
    attributes:
      - name: name
        kind: Text
        read_only: true
        computed_attribute:
          kind: Jinja2
          jinja2_template: "circuit_{{ provider__name__value }}"
      - {name: speed, kind: Number, optional: true}
    relationships:
      - {name: provider, peer: CmpSite, cardinality: one, kind: Attribute, optional: false}
`

func newComputedFixture(t *testing.T) *nodeFixture {
	t.Helper()
	f := newNodeFixture(t)
	raw, _ := json.Marshal(computedSchema)
	f.run(t, commands.TypeLoadSchema, commands.LoadSchema{Schemas: []json.RawMessage{raw}})
	return f
}

// TestComputedAttributes: a Jinja2 computed attribute is stored when the node is created, and
// follows its inputs: the node's own attributes, its cardinality-one peer, and that peer's
// attributes (each reader updated in the same command), down a chain of readers.
func TestComputedAttributes(t *testing.T) {
	f := newComputedFixture(t)
	par := f.create(t, "CmpSite", map[string]any{"name": "par", "city": "Paris"})
	lon := f.create(t, "CmpSite", map[string]any{"name": "lon", "city": "London"})
	r1 := f.create(t, "CmpDevice", map[string]any{"name": "r1", "site": par, "slot": 3})
	r2 := f.create(t, "CmpDevice", map[string]any{"name": "r2"})
	eth := f.create(t, "CmpInterface", map[string]any{"name": "eth0", "device": r1})
	check := func(step, id, attr, want string) {
		t.Helper()
		if got := attrValue(t, f.view(t, branch.Default), id, attr); got != want {
			t.Errorf("%s: %s = %v, want %q", step, attr, got, want)
		}
	}
	label := func(step, id, want string) {
		t.Helper()
		if got := f.view(t, branch.Default).DisplayLabel(nid(t, id)); got != want {
			t.Errorf("%s: display label %q, want %q", step, got, want)
		}
	}
	check("create", r1, "fqdn", "r1-par")
	check("create", r1, "slot_label", "R1-PAR/03")
	check("create without peer", r2, "fqdn", "r2-None") // no site: None, printed as Python prints it
	check("create without peer", r2, "slot_label", "R2-NONE/none")
	check("create reading a peer's computed attribute", eth, "label", "r1-par:eth0")
	label("create", r1, "r1-par (Paris)")

	// An input attribute of the node itself.
	f.run(t, commands.TypeUpdateNode, map[string]any{"kind": "CmpDevice", "id": r1, "data": map[string]any{"name": "core1"}})
	check("own input", r1, "fqdn", "core1-par")
	check("own input, chained", eth, "label", "core1-par:eth0")
	label("own input", r1, "core1-par (Paris)")

	// The peer itself.
	f.run(t, commands.TypeUpdateNode, map[string]any{"kind": "CmpDevice", "id": r1, "data": map[string]any{"site": lon}})
	check("peer changed", r1, "fqdn", "core1-lon")
	check("peer changed, chained", eth, "label", "core1-lon:eth0")
	label("peer changed", r1, "core1-lon (London)")

	// An attribute of the peer: every reader gets its own update in the same command.
	f.run(t, commands.TypeUpdateNode, map[string]any{"kind": "CmpDevice", "id": r2, "data": map[string]any{"site": lon}})
	res := f.run(t, commands.TypeUpdateNode, map[string]any{"kind": "CmpSite", "id": lon, "data": map[string]any{"name": "ldn"}})
	// the site, both devices and the interface
	if len(res.Positions) != 4 {
		t.Errorf("renaming the site wrote %d events, want 4 (site, two devices, interface)", len(res.Positions))
	}
	check("peer attribute", r1, "fqdn", "core1-ldn")
	check("peer attribute", r2, "fqdn", "r2-ldn")
	check("peer attribute, chained", eth, "label", "core1-ldn:eth0")
	// An attribute no template reads changes nothing else.
	res = f.run(t, commands.TypeUpdateNode, map[string]any{"kind": "CmpSite", "id": lon, "data": map[string]any{"city": "Londres"}})
	if len(res.Positions) != 1 {
		t.Errorf("an attribute no template reads wrote %d events, want 1", len(res.Positions))
	}
	check("unread attribute", r1, "fqdn", "core1-ldn")

	// Losing the peer (deleted) renders it as None.
	f.run(t, commands.TypeUpdateNode, map[string]any{"kind": "CmpDevice", "id": r2, "data": map[string]any{"site": par}})
	f.run(t, commands.TypeDeleteNode, map[string]any{"kind": "CmpSite", "id": par})
	check("peer deleted", r2, "fqdn", "r2-None")
	_ = par
}

// A user cannot set a computed attribute: the command is refused naming the field, and nothing
// is stored.
func TestComputedAttributeRefusesAValue(t *testing.T) {
	f := newComputedFixture(t)
	par := f.create(t, "CmpSite", map[string]any{"name": "par"})
	r1 := f.create(t, "CmpDevice", map[string]any{"name": "r1", "site": par})
	before := f.view(t, branch.Default).Dump()
	for _, c := range []struct {
		typ     string
		payload map[string]any
	}{
		{commands.TypeCreateNode, map[string]any{"kind": "CmpDevice", "data": map[string]any{"name": "r2", "fqdn": "mine"}}},
		{commands.TypeUpdateNode, map[string]any{"kind": "CmpDevice", "id": r1, "data": map[string]any{"fqdn": map[string]any{"value": "mine"}}}},
		{commands.TypeUpsertNode, map[string]any{"kind": "CmpDevice", "data": map[string]any{"name": "r1", "fqdn": "mine"}}},
	} {
		_, err := f.try(t, c.typ, c.payload)
		if !errors.Is(err, commands.ErrInvalid) || !strings.Contains(err.Error(), `"fqdn"`) {
			t.Errorf("%s: err = %v, want invalid naming fqdn", c.typ, err)
		}
	}
	after := f.view(t, branch.Default).Dump()
	if len(after) != len(before) {
		t.Errorf("a refused command stored nodes: %d, then %d", len(before), len(after))
	}
	if got := attrValue(t, f.view(t, branch.Default), r1, "fqdn"); got != "r1-par" {
		t.Errorf("fqdn = %v after refused writes", got)
	}
}

// A computed human-friendly id: created from the peer, found again by upsert with the same
// data, and renamed when the peer is.
func TestComputedHFID(t *testing.T) {
	f := newComputedFixture(t)
	acme := f.create(t, "CmpSite", map[string]any{"name": "acme"})
	first := f.run(t, commands.TypeUpsertNode, map[string]any{"kind": "CmpCircuit", "data": map[string]any{"provider": acme, "speed": 10}})
	again := f.run(t, commands.TypeUpsertNode, map[string]any{"kind": "CmpCircuit", "data": map[string]any{"provider": acme, "speed": 100}})
	o1, o2 := first.Data.(commands.NodeOutcome), again.Data.(commands.NodeOutcome)
	if o1.ID != o2.ID || o2.Outcome != "updated" || strings.Join(o1.HFID, "/") != "circuit_acme" {
		t.Fatalf("upsert by computed hfid: %+v then %+v", o1, o2)
	}
	if _, err := f.try(t, commands.TypeCreateNode, map[string]any{"kind": "CmpCircuit", "data": map[string]any{"provider": acme}}); !errors.Is(err, commands.ErrConflict) {
		t.Errorf("a second circuit with the same computed hfid: %v", err)
	}
	f.run(t, commands.TypeUpdateNode, map[string]any{"kind": "CmpSite", "id": acme, "data": map[string]any{"name": "globex"}})
	v := f.view(t, branch.Default)
	if h := strings.Join(v.HFID(nid(t, o1.ID)), "/"); h != "circuit_globex" {
		t.Errorf("hfid after the provider's rename: %q", h)
	}
}

// On a branch, a recomputation stays on the branch; the merge brings it to main.
func TestComputedOnBranch(t *testing.T) {
	f := newComputedFixture(t)
	par := f.create(t, "CmpSite", map[string]any{"name": "par"})
	r1 := f.create(t, "CmpDevice", map[string]any{"name": "r1", "site": par})
	f.run(t, commands.TypeCreateBranch, map[string]any{"name": "b"})
	f.run(t, commands.TypeUpdateNode, map[string]any{"branch": "b", "kind": "CmpSite", "id": par, "data": map[string]any{"name": "paris"}})
	if got := attrValue(t, f.view(t, "b"), r1, "fqdn"); got != "r1-paris" {
		t.Errorf("branch: fqdn = %v", got)
	}
	if got := attrValue(t, f.view(t, branch.Default), r1, "fqdn"); got != "r1-par" {
		t.Errorf("main before the merge: fqdn = %v", got)
	}
	f.run(t, commands.TypeMergeBranch, map[string]any{"branch": "b"})
	if got := attrValue(t, f.view(t, branch.Default), r1, "fqdn"); got != "r1-paris" {
		t.Errorf("main after the merge: fqdn = %v", got)
	}
}

// A template that does not parse, or reads what the node does not have, is refused when the
// schema is loaded, naming the attribute.
func TestComputedTemplateRefusedAtLoad(t *testing.T) {
	f := newNodeFixture(t)
	for _, c := range []struct{ tpl, want string }{
		{"{{ name__value ", "CmpBad.attributes[fqdn].computed_attribute.jinja2_template: invalid Jinja2 template"},
		{"{{ rack__name__value }}", `CmpBad.attributes[fqdn].computed_attribute.jinja2_template: template variable "rack__name__value": unknown relationship rack`},
	} {
		sch := `
version: "1.0"
nodes:
  - name: Bad
    namespace: Cmp
    attributes:
      - {name: name, kind: Text}
      - name: fqdn
        kind: Text
        read_only: true
        computed_attribute: {kind: Jinja2, jinja2_template: ` + jsonString(c.tpl) + `}
`
		raw, _ := json.Marshal(sch)
		_, err := f.try(t, commands.TypeLoadSchema, commands.LoadSchema{Schemas: []json.RawMessage{raw}})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: err = %v, want %q", c.tpl, err, c.want)
		}
	}
	if _, ok := f.view(t, branch.Default).Schema.Node("CmpBad"); ok {
		t.Error("a refused schema was stored")
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// A schema load that adds a computed attribute, or changes its template, computes it for the
// nodes that exist, on the branch of the load only.
func TestComputedRefreshOnSchemaLoad(t *testing.T) {
	f := newNodeFixture(t)
	load := func(br, tpl string) {
		t.Helper()
		attr := ""
		if tpl != "" {
			attr = `
      - name: tag
        kind: Text
        read_only: true
        optional: true
        computed_attribute: {kind: Jinja2, jinja2_template: "` + tpl + `"}`
		}
		raw, _ := json.Marshal(`
version: "1.0"
nodes:
  - name: Host
    namespace: Ref
    human_friendly_id: [name__value]
    attributes:
      - {name: name, kind: Text, unique: true}` + attr + "\n")
		f.run(t, commands.TypeLoadSchema, commands.LoadSchema{Branch: br, Schemas: []json.RawMessage{raw}})
	}
	load("", "")
	a := f.create(t, "RefHost", map[string]any{"name": "a"})
	b := f.create(t, "RefHost", map[string]any{"name": "b"})
	f.run(t, commands.TypeCreateBranch, map[string]any{"name": "br"})
	load("", "host-{{ name__value }}")
	for id, want := range map[string]string{a: "host-a", b: "host-b"} {
		if got := attrValue(t, f.view(t, branch.Default), id, "tag"); got != want {
			t.Errorf("tag after the schema added it: %v, want %s", got, want)
		}
	}
	load("br", "{{ name__value }}.lab")
	if got := attrValue(t, f.view(t, "br"), a, "tag"); got != "a.lab" {
		t.Errorf("tag on the branch after its own template: %v", got)
	}
	if got := attrValue(t, f.view(t, branch.Default), a, "tag"); got != "host-a" {
		t.Errorf("main changed by the branch's schema load: %v", got)
	}
	// Loading the same schema again writes nothing.
	before := f.view(t, branch.Default).Position
	load("", "host-{{ name__value }}")
	if after := f.view(t, branch.Default).Position; after != before {
		t.Errorf("an unchanged schema load wrote %d..%d", before, after)
	}
}

// A node whose template stops rendering because of another node's write keeps its value, and
// that write goes through; the node's own write is refused with the attribute named.
func TestComputedRenderFailureOfADependent(t *testing.T) {
	f := newNodeFixture(t)
	raw, _ := json.Marshal(`
version: "1.0"
nodes:
  - name: Room
    namespace: Dep
    human_friendly_id: [name__value]
    attributes:
      - {name: name, kind: Text, unique: true}
  - name: Rack
    namespace: Dep
    human_friendly_id: [name__value]
    attributes:
      - {name: name, kind: Text, unique: true}
      - name: where
        kind: Text
        read_only: true
        optional: true
        computed_attribute: {kind: Jinja2, jinja2_template: "{{ room__name__value.upper() }}"}
    relationships:
      - {name: room, peer: DepRoom, cardinality: one, optional: true}
`)
	f.run(t, commands.TypeLoadSchema, commands.LoadSchema{Schemas: []json.RawMessage{raw}})
	room := f.create(t, "DepRoom", map[string]any{"name": "a1"})
	rack := f.create(t, "DepRack", map[string]any{"name": "r1", "room": room})
	if got := attrValue(t, f.view(t, branch.Default), rack, "where"); got != "A1" {
		t.Fatalf("where: %v", got)
	}
	// Deleting the room is another node's write: it goes through, the rack keeps its value.
	f.run(t, commands.TypeDeleteNode, map[string]any{"kind": "DepRoom", "id": room})
	if got := attrValue(t, f.view(t, branch.Default), rack, "where"); got != "A1" {
		t.Fatalf("where after its room went: %v", got)
	}
	// The rack's own write renders its template: refused, naming the attribute.
	_, err := f.try(t, commands.TypeUpdateNode, map[string]any{"kind": "DepRack", "id": rack, "data": map[string]any{"name": "r2"}})
	if err == nil || !strings.Contains(err.Error(), `"where"`) {
		t.Fatalf("own write with a template that does not render: %v", err)
	}
}
