package commands_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/commands"
)

const vlanSchema = `
version: "1.0"
nodes:
  - name: Vlan
    namespace: Net
    generate_template: true
    human_friendly_id: [name__value]
    attributes:
      - {name: name, kind: Text, unique: true}
      - {name: vlan_id, kind: Number, optional: true}
  - name: Circuit
    namespace: Net
    attributes:
      - {name: name, kind: Text, unique: true}
      - {name: number, kind: Number, optional: true}
`

// A number pool gives the lowest free number of its range to the attribute it serves: numbers a
// node already holds are skipped, and a number given on one branch is never given on another.
func TestNumberPool(t *testing.T) {
	f := newNodeFixture(t)
	raw, _ := json.Marshal(vlanSchema)
	f.run(t, commands.TypeLoadSchema, commands.LoadSchema{Schemas: []json.RawMessage{raw}})
	pool := f.create(t, "CoreNumberPool", map[string]any{"name": "vlans", "node": "NetVlan", "node_attribute": "vlan_id", "start_range": 100, "end_range": 103})
	vlan := func(br, name string, id any) (string, error) {
		res, err := f.try(t, commands.TypeCreateNode, map[string]any{"branch": br, "kind": "NetVlan", "data": map[string]any{"name": name, "vlan_id": id}})
		if err != nil {
			return "", err
		}
		return res.Data.(commands.NodeOutcome).ID, nil
	}
	a, err := vlan("", "a", map[string]any{"from_pool": map[string]any{"id": pool}})
	if err != nil {
		t.Fatal(err)
	}
	if got := attrValue(t, f.view(t, branch.Default), a, "vlan_id"); got != 100.0 {
		t.Fatalf("first vlan_id from the pool: %v, want 100", got)
	}
	if _, err := vlan("", "manual", 101); err != nil {
		t.Fatal(err)
	}
	f.run(t, commands.TypeCreateBranch, map[string]any{"name": "b"})
	b, err := vlan("", "b", map[string]any{"from_pool": "vlans"}) // the pool by name
	if err != nil {
		t.Fatal(err)
	}
	if got := attrValue(t, f.view(t, branch.Default), b, "vlan_id"); got != 102.0 {
		t.Fatalf("vlan_id after 100 given and 101 held: %v, want 102", got)
	}
	// The branch does not see b, but 102 is claimed everywhere.
	c, err := vlan("b", "c", map[string]any{"from_pool": map[string]any{"id": pool}})
	if err != nil {
		t.Fatal(err)
	}
	if got := attrValue(t, f.view(t, "b"), c, "vlan_id"); got != 103.0 {
		t.Fatalf("vlan_id on branch b: %v, want 103", got)
	}
	before := f.view(t, branch.Default).Count("NetVlan")
	_, err = vlan("", "d", map[string]any{"from_pool": map[string]any{"id": pool}})
	if err == nil || !strings.Contains(err.Error(), "exhausted") || !strings.Contains(err.Error(), `"vlan_id"`) {
		t.Fatalf("allocation from an exhausted pool: %v", err)
	}
	if got := f.view(t, branch.Default).Count("NetVlan"); got != before {
		t.Fatalf("a refused allocation stored something: %d vlans, had %d", got, before)
	}
	// After merging b, main holds all four numbers, each once.
	f.run(t, commands.TypeMergeBranch, map[string]any{"branch": "b"})
	seen := map[any]bool{}
	v := f.view(t, branch.Default)
	for _, n := range v.Dump() {
		if n.Kind == "NetVlan" {
			x := n.Attributes["vlan_id"].Value
			if seen[x] {
				t.Fatalf("vlan_id %v held twice after merge", x)
			}
			seen[x] = true
		}
	}
	if len(seen) != 4 {
		t.Fatalf("vlan ids after merge: %v", seen)
	}
	// The pool serves NetVlan.vlan_id only; value and from_pool together are refused.
	_, err = f.try(t, commands.TypeCreateNode, map[string]any{"kind": "NetCircuit", "data": map[string]any{"name": "x", "number": map[string]any{"from_pool": map[string]any{"id": pool}}}})
	if err == nil || !strings.Contains(err.Error(), "NetVlan.vlan_id") || !strings.Contains(err.Error(), `"number"`) {
		t.Fatalf("pool used for another attribute: %v", err)
	}
	_, err = vlan("", "e", map[string]any{"value": 5, "from_pool": map[string]any{"id": pool}})
	if err == nil || !strings.Contains(err.Error(), "not both") {
		t.Fatalf("value and from_pool: %v", err)
	}
}

// A template's <attr>_from_resource_pool takes a number for each node made from it.
func TestTemplateNumberPool(t *testing.T) {
	f := newNodeFixture(t)
	raw, _ := json.Marshal(vlanSchema)
	f.run(t, commands.TypeLoadSchema, commands.LoadSchema{Schemas: []json.RawMessage{raw}})
	f.create(t, "CoreNumberPool", map[string]any{"name": "vlans", "node": "NetVlan", "node_attribute": "vlan_id", "start_range": 10, "end_range": 20})
	f.create(t, "TemplateNetVlan", map[string]any{"template_name": "t", "vlan_id_from_resource_pool": []string{"vlans"}})
	got := map[any]bool{}
	for _, name := range []string{"x", "y", "z"} {
		id := f.create(t, "NetVlan", map[string]any{"name": name, "object_template": []string{"t"}})
		got[attrValue(t, f.view(t, branch.Default), id, "vlan_id")] = true
	}
	if !got[10.0] || !got[11.0] || !got[12.0] {
		t.Fatalf("vlan ids from the template's pool: %v, want 10, 11, 12", got)
	}
	// A value the node gives wins over the template's pool.
	id := f.create(t, "NetVlan", map[string]any{"name": "own", "vlan_id": 99, "object_template": []string{"t"}})
	if v := attrValue(t, f.view(t, branch.Default), id, "vlan_id"); v != 99.0 {
		t.Fatalf("own vlan_id: %v", v)
	}
}

// A prefix pool gives the first free prefix of the asked length: not overlapping the prefixes
// under its resource, nor what it gave before.
func TestPrefixPool(t *testing.T) {
	f := poolFixture(t, "192.0.2.0/30")
	f.run(t, commands.TypeBatch, map[string]any{"operations": []any{
		map[string]any{"type": "node.create", "ref": "r", "payload": map[string]any{"kind": "NetPrefix", "data": map[string]any{"prefix": "10.0.0.0/24", "member_type": "prefix"}}},
		map[string]any{"type": "node.create", "payload": map[string]any{"kind": "NetPrefix", "data": map[string]any{"prefix": "10.0.0.0/26"}}},
		map[string]any{"type": "node.create", "payload": map[string]any{"kind": "CoreIPPrefixPool", "data": map[string]any{
			"name": "customers", "default_prefix_type": "NetPrefix", "default_prefix_length": 26, "default_member_type": "address",
			"resources": []any{map[string]any{"ref": "r"}}, "ip_namespace": []string{"default"}}}},
	}})
	get := func(extra map[string]any) (commands.NodeOutcome, error) {
		p := map[string]any{"hfid": []string{"customers"}}
		for k, v := range extra {
			p[k] = v
		}
		res, err := f.try(t, commands.TypeAllocate, p)
		if err != nil {
			return commands.NodeOutcome{}, err
		}
		return res.Data.(commands.NodeOutcome), nil
	}
	want := []struct {
		extra  map[string]any
		prefix string
	}{
		{nil, "10.0.0.64/26"},
		{map[string]any{"prefix_length": 28}, "10.0.0.128/28"},
		{nil, "10.0.0.192/26"},
		{map[string]any{"prefix_length": 28}, "10.0.0.144/28"},
	}
	for i, w := range want {
		out, err := get(w.extra)
		if err != nil {
			t.Fatalf("allocation %d: %v", i+1, err)
		}
		if got := attrValue(t, f.view(t, branch.Default), out.ID, "prefix"); got != w.prefix {
			t.Fatalf("allocation %d: %v, want %s", i+1, got, w.prefix)
		}
		if got := attrValue(t, f.view(t, branch.Default), out.ID, "member_type"); got != "address" {
			t.Fatalf("allocation %d: member_type %v, want the pool's default", i+1, got)
		}
	}
	if _, err := get(nil); err == nil || !strings.Contains(err.Error(), "no free /26") {
		t.Fatalf("fifth /26 from a full /24: %v", err)
	}
}

// An allocation with an identifier is answered with the same resource when asked again; the
// resource may be given extra data, and a relationship may take its peer from a pool.
func TestAllocateIdentifier(t *testing.T) {
	f := poolFixture(t, "192.0.2.0/29")
	get := func(br, ident string, data map[string]any) (commands.NodeOutcome, error) {
		res, err := f.try(t, commands.TypeAllocate, map[string]any{"branch": br, "hfid": []string{"mgmt"}, "identifier": ident, "data": data})
		if err != nil {
			return commands.NodeOutcome{}, err
		}
		return res.Data.(commands.NodeOutcome), nil
	}
	a, err := get("", "svc-1", map[string]any{"description": "for svc-1"})
	if err != nil {
		t.Fatal(err)
	}
	if a.Outcome != "created" || attrValue(t, f.view(t, branch.Default), a.ID, "address") != "192.0.2.1/29" ||
		attrValue(t, f.view(t, branch.Default), a.ID, "description") != "for svc-1" {
		t.Fatalf("first allocation: %+v", a)
	}
	again, err := get("", "svc-1", nil)
	if err != nil || again.ID != a.ID || again.Outcome != "unchanged" {
		t.Fatalf("same identifier again: %+v, %v (want %s unchanged)", again, err, a.ID)
	}
	other, err := get("", "svc-2", nil)
	if err != nil || other.ID == a.ID {
		t.Fatalf("another identifier: %+v, %v", other, err)
	}
	// A branch made afterwards sees the allocation and answers it too.
	f.run(t, commands.TypeCreateBranch, map[string]any{"name": "b"})
	onB, err := get("b", "svc-1", nil)
	if err != nil || onB.ID != a.ID {
		t.Fatalf("identifier on a later branch: %+v, %v", onB, err)
	}
	// An identifier first used on a branch is not given again elsewhere.
	if _, err := get("b", "svc-3", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := get("", "svc-3", nil); err == nil || !strings.Contains(err.Error(), "another branch") {
		t.Fatalf("identifier held on branch b, asked on main: %v", err)
	}
	// A relationship takes its peer from a pool.
	r := f.create(t, "NetRouter", map[string]any{"name": "edge", "mgmt": map[string]any{"from_pool": map[string]any{"hfid": []string{"mgmt"}}}})
	v := f.view(t, branch.Default)
	peers := v.Peers(nid(t, r), fieldOf(t, v, "NetRouter", "mgmt"))
	if len(peers) != 1 {
		t.Fatalf("router mgmt peers: %v", peers)
	}
	if got := attrValue(t, f.view(t, branch.Default), peers[0].String(), "address"); got != "192.0.2.4/29" {
		t.Fatalf("router address from the pool: %v, want 192.0.2.4/29 (.1, .2 given on main, .3 on b)", got)
	}
	// Bad requests name what is wrong.
	for _, c := range []struct {
		payload map[string]any
		want    string
	}{
		{map[string]any{}, `"id" or "hfid"`},
		{map[string]any{"hfid": []string{"nope"}}, "no resource pool"},
		{map[string]any{"hfid": []string{"mgmt"}, "data": map[string]any{"address": "192.0.2.5/29"}}, `"address"`},
		{map[string]any{"hfid": []string{"mgmt"}, "data": map[string]any{"colour": "x"}}, `"colour"`},
	} {
		if _, err := f.try(t, commands.TypeAllocate, c.payload); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want an error naming %s", c.payload, err, c.want)
		}
	}
}

const numberPoolAttrSchema = `
version: "1.0"
generics:
  - name: Service
    namespace: Svc
    human_friendly_id: [name__value]
    attributes:
      - {name: name, kind: Text, unique: true}
      - {name: service_id, kind: NumberPool, read_only: true, parameters: {start_range: 100, end_range: 102}}
nodes:
  - name: Backbone
    namespace: Svc
    inherit_from: [SvcService]
  - name: Transit
    namespace: Svc
    inherit_from: [SvcService]
`

// A NumberPool attribute takes the next number of its own range when a node is created; the
// range belongs to the kind that declares it (here a generic: its nodes share it), on every
// branch at once.
func TestNumberPoolAttribute(t *testing.T) {
	f := newNodeFixture(t)
	raw, _ := json.Marshal(numberPoolAttrSchema)
	f.run(t, commands.TypeLoadSchema, commands.LoadSchema{Schemas: []json.RawMessage{raw}})
	f.run(t, commands.TypeCreateBranch, map[string]any{"name": "b"})
	got := map[any]string{}
	for i, c := range []struct{ br, kind string }{{"", "SvcBackbone"}, {"b", "SvcTransit"}, {"", "SvcTransit"}} {
		res := f.run(t, commands.TypeCreateNode, map[string]any{"branch": c.br, "kind": c.kind, "data": map[string]any{"name": fmt.Sprint("s", i)}})
		br := c.br
		if br == "" {
			br = branch.Default
		}
		v := attrValue(t, f.view(t, br), res.Data.(commands.NodeOutcome).ID, "service_id")
		if other, dup := got[v]; dup {
			t.Fatalf("service_id %v given twice (%s and %s)", v, other, c.kind)
		}
		got[v] = c.kind
	}
	if len(got) != 3 || got[100.0] == "" || got[102.0] == "" {
		t.Fatalf("service ids: %v, want 100, 101, 102", got)
	}
	_, err := f.try(t, commands.TypeCreateNode, map[string]any{"kind": "SvcBackbone", "data": map[string]any{"name": "s9"}})
	if err == nil || !strings.Contains(err.Error(), "exhausted") || !strings.Contains(err.Error(), `"service_id"`) {
		t.Fatalf("fourth service from a range of three: %v", err)
	}
	if _, err := f.try(t, commands.TypeCreateNode, map[string]any{"kind": "SvcBackbone", "data": map[string]any{"name": "s8", "service_id": 5}}); err == nil {
		t.Fatal("a NumberPool attribute took a value from the client")
	}
}

// Object files ask pools with from_pool, for an attribute and for a relationship; loading the
// file again allocates nothing new (the upsert finds the objects and keeps what they hold).
func TestObjectFileFromPool(t *testing.T) {
	f := poolFixture(t, "192.0.2.0/29")
	raw, _ := json.Marshal(vlanSchema)
	f.run(t, commands.TypeLoadSchema, commands.LoadSchema{Schemas: []json.RawMessage{raw}})
	f.create(t, "CoreNumberPool", map[string]any{"name": "vlans", "node": "NetVlan", "node_attribute": "vlan_id", "start_range": 10, "end_range": 20})
	file := commands.ObjectFile{Name: "objects.yml", Content: `---
apiVersion: infrahub.app/v1
kind: Object
spec:
  kind: NetVlan
  data:
    - name: users
      vlan_id: {from_pool: {hfid: [vlans]}}
    - name: voice
      vlan_id: {from_pool: vlans}
---
apiVersion: infrahub.app/v1
kind: Object
spec:
  kind: NetRouter
  data:
    - name: edge1
      mgmt: {from_pool: {hfid: [mgmt]}}
`}
	state := func() map[string]any {
		out := map[string]any{}
		v := f.view(t, branch.Default)
		addr := map[string]any{}
		for _, n := range v.Dump() {
			if n.Kind == "NetAddress" {
				addr[n.ID] = n.Attributes["address"].Value
			}
		}
		for _, n := range v.Dump() {
			switch n.Kind {
			case "NetVlan":
				out[n.HFID[0]] = n.Attributes["vlan_id"].Value
			case "NetRouter":
				for _, p := range n.Relationships["mgmt"] {
					out[n.HFID[0]] = addr[p]
				}
			}
		}
		out["addresses"] = len(addr)
		return out
	}
	f.run(t, commands.TypeLoadObjects, commands.LoadObjects{Files: []commands.ObjectFile{file}})
	first := state()
	if first["users"] != 10.0 || first["voice"] != 11.0 || first["edge1"] != "192.0.2.1/29" || first["addresses"] != 1 {
		t.Fatalf("after the first load: %v", first)
	}
	f.run(t, commands.TypeLoadObjects, commands.LoadObjects{Files: []commands.ObjectFile{file}})
	if again := state(); fmt.Sprint(again) != fmt.Sprint(first) {
		t.Fatalf("the second load changed what the first allocated: %v, then %v", first, again)
	}
	bad := commands.ObjectFile{Name: "bad.yml", Content: `---
apiVersion: infrahub.app/v1
kind: Object
spec:
  kind: NetRouter
  data:
    - name: edge2
      mgmt: {from_pool: mgmt, hfid: [x]}
`}
	if _, err := f.try(t, commands.TypeLoadObjects, commands.LoadObjects{Files: []commands.ObjectFile{bad}}); err == nil || !strings.Contains(err.Error(), "bad.yml") || !strings.Contains(err.Error(), "from_pool") {
		t.Fatalf("from_pool with hfid: %v", err)
	}
}
