package graphql_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/internal/testenv"
	"github.com/infrahub-go/infrahub/queries/graphql"
)

func run(t *testing.T, f *fixture, req graphql.Request) map[string]any {
	t.Helper()
	resp := f.x.Execute(context.Background(), req)
	raw, _ := json.Marshal(resp)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// A query of devices with their site and interfaces makes the same number of calls to the read
// port for 10 devices as for 1,000: relationships load per level, never per node.
func TestCallsDoNotGrowWithNodes(t *testing.T) {
	f := newFixture(t, fixtureSchema)
	f.create(t, "", "TestRegion", map[string]any{"name": "europe"})
	f.create(t, "", "TestSite", map[string]any{"name": "paris", "parent": "europe"})
	load := func(from, to int) {
		var ops []any
		for i := from; i < to; i++ {
			name := fmt.Sprintf("d%03d", i)
			ops = append(ops,
				map[string]any{"type": "node.create", "ref": name, "payload": map[string]any{"kind": "TestDevice", "data": map[string]any{"name": name, "site": "paris"}}},
				map[string]any{"type": "node.create", "payload": map[string]any{"kind": "TestInterfaceL2", "data": map[string]any{"name": "eth0", "device": map[string]any{"ref": name}}}},
				map[string]any{"type": "node.create", "payload": map[string]any{"kind": "TestInterfaceL3", "data": map[string]any{"name": "eth1", "device": map[string]any{"ref": name}}}})
		}
		f.command(t, commands.TypeBatch, map[string]any{"operations": ops})
	}
	const query = `{ TestDevice { count edges { node { name { value } site { node { name { value } parent { node { name { value } } } } }
		interfaces { count edges { node { __typename name { value } device { node { name { value } } } } } } } } } }`
	calls := func(devices int) int64 {
		before := f.reader.calls.Load()
		out := run(t, f, graphql.Request{Query: query})
		if out["errors"] != nil {
			t.Fatalf("errors: %v", out["errors"])
		}
		list := out["data"].(map[string]any)["TestDevice"].(map[string]any)["edges"].([]any)
		if len(list) != devices {
			t.Fatalf("%d devices answered, want %d", len(list), devices)
		}
		last := list[len(list)-1].(map[string]any)["node"].(map[string]any)
		if n := last["interfaces"].(map[string]any)["count"]; n != float64(2) {
			t.Fatalf("interfaces of the last device: %v", n)
		}
		return f.reader.calls.Load() - before
	}
	load(0, 10)
	small := calls(10)
	load(10, 500)
	load(500, 1000)
	large := calls(1000)
	if small != large || small > 12 {
		t.Errorf("port calls: %d for 10 devices, %d for 1,000 (want equal and small)", small, large)
	}
}

// Invalid mutations answer errors naming the field and store nothing.
func TestInvalidMutationsStoreNothing(t *testing.T) {
	f := newFixture(t, fixtureSchema)
	f.loadDataset(t)
	for _, tc := range []struct {
		name, doc, want string
	}{
		{"unknown field", `mutation { TestTagCreate(data: {name: {value: "x"}, colour: {value: "red"}}) { ok } }`, `colour`},
		{"wrong type", `mutation { TestDeviceCreate(data: {name: {value: "x"}, asn: {value: "many"}}) { ok } }`, `field "asn"`},
		{"bad value", `mutation { TestDeviceCreate(data: {name: {value: "x"}, mgmt: {value: "10.0.0.300"}}) { ok } }`, `field "mgmt"`},
		{"missing mandatory", `mutation { TestDeviceCreate(data: {asn: {value: 1}}) { ok } }`, `field "name"`},
		{"uniqueness", `mutation { TestDeviceCreate(data: {name: {value: "r1"}}) { ok } }`, `uniqueness constraint "name__value"`},
		{"unknown peer", `mutation { TestDeviceCreate(data: {name: {value: "x"}, site: {hfid: ["mars"]}}) { ok } }`, `field "site"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			head, _ := f.log.Head(context.Background())
			out := run(t, f, graphql.Request{Query: tc.doc})
			errs, _ := out["errors"].([]any)
			if len(errs) == 0 || !strings.Contains(fmt.Sprint(errs), tc.want) {
				t.Fatalf("errors %v do not name %s", errs, tc.want)
			}
			if h, _ := f.log.Head(context.Background()); h != head {
				t.Errorf("a refused mutation wrote %d events", h-head)
			}
		})
	}
}

// The service catalog's .gql files validate against its generated schema (build_test covers all
// of them); its device_info query runs with its variable on the catalog's data.
func TestServiceCatalogDeviceInfo(t *testing.T) {
	root := testenv.Corpus(t, "infrahub-demo-service-catalog")
	f := newFixture(t, fixtureSchema)
	in := commands.LoadSchema{}
	for _, dir := range []string{"base", "location_minimal", "vlan", "service"} {
		paths, _ := filepath.Glob(filepath.Join(root, "schemas", dir, "*.yml"))
		for _, p := range paths {
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := json.Marshal(string(data))
			in.Schemas = append(in.Schemas, raw)
		}
	}
	f.command(t, commands.TypeLoadSchema, in)
	var files []commands.ObjectFile
	for _, name := range []string{"01_location.yml", "02_groups_tags.yml", "03_ipam_domain.yml", "04_manufacturer.yml", "04_provider.yml", "06_device_type.yml"} {
		data, err := os.ReadFile(filepath.Join(root, "data", name))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, commands.ObjectFile{Name: name, Content: string(data)})
	}
	f.command(t, commands.TypeLoadObjects, commands.LoadObjects{Files: files})
	// Two devices written through GraphQL mutations, one with interfaces.
	for _, doc := range []string{
		`mutation { DcimDeviceCreate(data: {name: {value: "sw01-par01"}, status: {value: "active"}, location: {hfid: ["par01"]}}) { ok } }`,
		`mutation { DcimDeviceCreate(data: {name: {value: "sw01-bru01"}, status: {value: "active"}, location: {hfid: ["bru01"]}}) { ok } }`,
		`mutation { DcimInterfaceL2Create(data: {name: {value: "Ethernet1"}, speed: {value: 1000}, l2_mode: {value: "Access"}, device: {hfid: ["sw01-par01"]}}) { ok } }`,
		`mutation { DcimInterfaceL3Create(data: {name: {value: "Loopback0"}, speed: {value: 1000}, device: {hfid: ["sw01-par01"]}}) { ok } }`,
	} {
		if out := run(t, f, graphql.Request{Query: doc}); out["errors"] != nil {
			t.Fatalf("%s: %v", doc, out["errors"])
		}
	}
	query, err := os.ReadFile(filepath.Join(root, "templates", "device_info.gql"))
	if err != nil {
		t.Fatal(err)
	}
	out := run(t, f, graphql.Request{Query: string(query), Variables: map[string]any{"device_name": "sw01-par01"}})
	if out["errors"] != nil {
		t.Fatalf("device_info: %v", out["errors"])
	}
	devices := out["data"].(map[string]any)["DcimDevice"].(map[string]any)["edges"].([]any)
	if len(devices) != 1 {
		t.Fatalf("device_info answered %d devices, want sw01-par01 only", len(devices))
	}
	dev := devices[0].(map[string]any)["node"].(map[string]any)
	if dev["name"].(map[string]any)["value"] != "sw01-par01" || dev["__typename"] != "DcimDevice" {
		t.Errorf("device: %v", dev)
	}
	var names []string
	for _, e := range dev["interfaces"].(map[string]any)["edges"].([]any) {
		n := e.(map[string]any)["node"].(map[string]any)
		names = append(names, n["__typename"].(string)+":"+n["name"].(map[string]any)["value"].(string))
		if n["__typename"] == "DcimInterfaceL2" && n["l2_mode"].(map[string]any)["value"] != "Access" {
			t.Errorf("l2_mode of %v", n)
		}
	}
	if strings.Join(names, ",") != "DcimInterfaceL2:Ethernet1,DcimInterfaceL3:Loopback0" {
		t.Errorf("interfaces: %v", names)
	}
	if loc := dev["location"].(map[string]any)["node"].(map[string]any); loc["__typename"] != "LocationSite" {
		t.Errorf("location: %v", loc)
	}
}

// Validated documents are kept per schema: the same text is validated again against a schema
// that a load changed, and answers the same when run twice.
func TestDocumentCachePerSchema(t *testing.T) {
	f := newFixture(t, fixtureSchema)
	const doc = `{ TestRack { count } }`
	out := run(t, f, graphql.Request{Query: doc})
	if out["errors"] == nil || !strings.Contains(fmt.Sprint(out["errors"]), "TestRack") {
		t.Fatalf("before the load: %v", out)
	}
	rack := `
version: "1.0"
nodes:
  - name: Rack
    namespace: Test
    attributes:
      - {name: name, kind: Text}
`
	raw, _ := json.Marshal(rack)
	f.command(t, commands.TypeLoadSchema, commands.LoadSchema{Schemas: []json.RawMessage{raw}})
	f.create(t, "", "TestRack", map[string]any{"name": "r1"})
	for range 2 {
		out = run(t, f, graphql.Request{Query: doc})
		if out["errors"] != nil || fmt.Sprint(out["data"]) != "map[TestRack:map[count:1]]" {
			t.Fatalf("after the load: %v", out)
		}
	}
}

// The diff and merge API as the Infrahub UI and SDK use it: DiffTreeSummary, DiffTree with
// filters, BranchValidate failing on a conflict, ResolveDiffConflict, BranchMerge, and the
// branch MERGED afterwards.
func TestDiffAndMergeAPI(t *testing.T) {
	f := newFixture(t, fixtureSchema)
	f.loadDataset(t)
	f.command(t, commands.TypeCreateBranch, map[string]any{"name": "change"})
	f.command(t, commands.TypeUpdateNode, map[string]any{"branch": "change", "kind": "TestDevice", "hfid": []string{"r1"}, "data": map[string]any{"asn": 65011}})
	f.create(t, "change", "TestTag", map[string]any{"name": "branch-tag"})
	f.create(t, "change", "TestInterfaceL2", map[string]any{"name": "eth9", "device": []string{"r1"}})
	f.command(t, commands.TypeUpdateNode, map[string]any{"branch": "change", "kind": "TestDevice", "hfid": []string{"r2"},
		"data": map[string]any{"asn": map[string]any{"value": 65099, "is_protected": true}}})
	f.command(t, commands.TypeUpdateNode, map[string]any{"kind": "TestDevice", "hfid": []string{"r1"}, "data": map[string]any{"asn": 64999}})
	mutate := func(doc string) map[string]any {
		t.Helper()
		out := run(t, f, graphql.Request{Query: doc})
		if out["errors"] != nil {
			t.Fatalf("%s: %v", doc, out["errors"])
		}
		return out["data"].(map[string]any)
	}
	sum := mutate(`{ DiffTreeSummary(branch: "change") { base_branch diff_branch num_added num_updated num_removed num_conflicts } }`)
	if got := fmt.Sprint(sum["DiffTreeSummary"]); got != "map[base_branch:main diff_branch:change num_added:2 num_conflicts:1 num_removed:0 num_updated:2]" {
		t.Errorf("DiffTreeSummary: %s", got)
	}
	tree := mutate(`{ DiffTree(branch: "change", filters: {kind: {includes: ["TestDevice"]}}) { num_conflicts nodes { kind label status contains_conflict
		attributes { name status contains_conflict properties { property_type previous_value new_value }
			conflict { uuid base_branch_value diff_branch_value selected_branch } } } } }`)["DiffTree"].(map[string]any)
	nodes := tree["nodes"].([]any)
	if len(nodes) != 2 {
		t.Fatalf("DiffTree filtered on TestDevice: %v", tree)
	}
	n := nodes[0].(map[string]any) // r1 (sorted by label)
	if r2 := fmt.Sprint(nodes[1].(map[string]any)["attributes"]); !strings.Contains(r2, "property_type:IS_PROTECTED") || strings.Contains(r2, "HAS_VALUE") {
		t.Errorf("r2's protected asn (same value): %s", r2)
	}
	rels := mutate(`{ DiffTree(branch: "change", filters: {kind: {includes: ["TestInterfaceL2"]}}) { nodes { relationships { name cardinality elements { status peer_label properties { property_type new_label } } } } } }`)
	if got := fmt.Sprint(rels["DiffTree"]); !strings.Contains(got, "peer_label:r1 (core)") || !strings.Contains(got, "new_label:r1 (core)") || !strings.Contains(got, "cardinality:ONE") {
		t.Errorf("relationship elements of the added component: %s", got)
	}
	comp := mutate(`{ DiffTree(branch: "change", filters: {status: {includes: [ADDED]}, kind: {excludes: ["TestTag"]}}) { nodes { kind label status parent { kind relationship_name } } } }`)
	if got := fmt.Sprint(comp["DiffTree"]); got != "map[nodes:[map[kind:TestInterfaceL2 label:eth9 parent:map[kind:TestDevice relationship_name:interfaces] status:ADDED]]]" {
		t.Errorf("DiffTree of the added component: %s", got)
	}
	attr := n["attributes"].([]any)[0].(map[string]any)
	conflict := attr["conflict"].(map[string]any)
	if n["status"] != "UPDATED" || n["contains_conflict"] != true || attr["name"] != "asn" ||
		conflict["base_branch_value"] != "64999" || conflict["diff_branch_value"] != "65011" || conflict["selected_branch"] != nil {
		t.Fatalf("DiffTree node: %v", n)
	}
	v := mutate(`mutation { BranchValidate(data: {name: "change"}) { ok messages } }`)["BranchValidate"].(map[string]any)
	if v["ok"] != false || len(v["messages"].([]any)) != 1 || !strings.Contains(v["messages"].([]any)[0].(string), "unresolved") {
		t.Fatalf("BranchValidate with a conflict: %v", v)
	}
	out := run(t, f, graphql.Request{Query: `mutation { BranchMerge(data: {name: "change"}) { ok } }`})
	if out["errors"] == nil || !strings.Contains(fmt.Sprint(out["errors"]), "CONFLICT") {
		t.Fatalf("BranchMerge with an unresolved conflict: %v", out)
	}
	mutate(fmt.Sprintf(`mutation { ResolveDiffConflict(data: {conflict_id: %q, selected_branch: DIFF_BRANCH}) { ok } }`, conflict["uuid"]))
	if v := mutate(`mutation { BranchValidate(data: {name: "change"}) { ok } }`)["BranchValidate"].(map[string]any); v["ok"] != true {
		t.Fatalf("BranchValidate after the resolution: %v", v)
	}
	if u := mutate(`mutation { DiffUpdate(data: {branch: "change"}) { ok } }`)["DiffUpdate"].(map[string]any); u["ok"] != true {
		t.Fatalf("DiffUpdate: %v", u)
	}
	m := mutate(`mutation { BranchMerge(data: {name: "change"}) { ok object { name status } } }`)["BranchMerge"].(map[string]any)
	if fmt.Sprint(m) != "map[object:map[name:change status:MERGED] ok:true]" {
		t.Fatalf("BranchMerge: %v", m)
	}
	got := mutate(`{ TestDevice(name__value: "r1") { edges { node { asn { value } } } } TestTag(name__value: "branch-tag") { count } }`)
	if fmt.Sprint(got) != "map[TestDevice:map[edges:[map[node:map[asn:map[value:65011]]]]] TestTag:map[count:1]]" {
		t.Fatalf("main after the merge: %v", got)
	}
}
