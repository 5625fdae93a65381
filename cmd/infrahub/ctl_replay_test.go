package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/internal/testenv"
)

// path walks a decoded JSON answer; a missing or mistyped step fails the test with the path.
func path(t *testing.T, v any, steps ...any) any {
	t.Helper()
	for i, s := range steps {
		switch k := s.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("%v: not an object at %v", steps[:i+1], v)
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				t.Fatalf("%v: no item %d in %v", steps[:i+1], k, v)
			}
			v = l[k]
		}
	}
	return v
}

// upsertID posts an SDK save(allow_upsert=True) mutation and answers the object's id.
func upsertID(t *testing.T, base, mutation, doc string) string {
	t.Helper()
	code, data, errs := sdkGraphQL(t, base, "main", doc, nil)
	if code != 200 || errs != nil || path(t, data, mutation, "ok") != true {
		t.Fatalf("%s: %d %v %v", mutation, code, data, errs)
	}
	id, _ := path(t, data, mutation, "object", "id").(string)
	if id == "" {
		t.Fatalf("%s: no object id in %v", mutation, data)
	}
	return id
}

// The requests of `infrahubctl menu load`, `object load` and `render` over a real server holding
// the service catalog, each run twice as users re-run them: the second run finds every node by its
// hfid and creates nothing.
func TestInfrahubctlLoadAndRender(t *testing.T) {
	repo := testenv.Corpus(t, "infrahub-demo-service-catalog")
	c := startChild(t, freeAddr(t), map[string]string{"INFRAHUB_DATA": t.TempDir()})
	cli := map[string]string{"INFRAHUB_ADDRESS": c.base}
	var schemas, files []string
	for _, p := range []string{"base", "location_minimal", "vlan", "service"} {
		schemas = append(schemas, filepath.Join(repo, "schemas", p))
	}
	if out, err := runCLI(t, cli, append([]string{"schema", "load"}, schemas...)...); err != nil {
		t.Fatalf("schema load: %q %v", out, err)
	}
	for _, f := range allCatalogObjects[:9] { // everything the devices name
		files = append(files, filepath.Join(repo, "data", f))
	}
	if out, err := runCLI(t, cli, append([]string{"object", "load"}, files...)...); err != nil {
		t.Fatalf("object load: %v\n%s", err, out)
	}

	// Both verbs first read the schema (infrahub_sdk/schema/__init__.py fetch: GET /api/schema?branch=)
	// and build hfids from human_friendly_id (infrahub_sdk/node/node.py get_human_friendly_id).
	var schema map[string]any
	if code := getJSON(t, c.base+"/api/schema?branch=main", &schema); code != 200 {
		t.Fatalf("GET /api/schema: %d", code)
	}
	hfids := map[string]string{}
	for _, n := range schema["nodes"].([]any) {
		n := n.(map[string]any)
		if h, ok := n["human_friendly_id"].([]any); ok {
			hfids[n["kind"].(string)] = strings.Join(toStrings(h), ",")
		}
	}
	if hfids["CoreMenuItem"] != "namespace__value,name__value" || hfids["DcimDevice"] != "name__value" {
		t.Fatalf("human_friendly_id the SDK builds hfids from: %v", hfids)
	}

	// infrahubctl menu load menu.yml (infrahub_sdk/ctl/menu.py load → spec/object.py process): the
	// child first, then its parent naming it in children; twice.
	var childID, parentID string
	for run := 0; run < 2; run++ {
		child := upsertID(t, c.base, "CoreMenuItemUpsert", sdkDocument(t, "menu_child_upsert"))
		parent := upsertID(t, c.base, "CoreMenuItemUpsert",
			strings.ReplaceAll(sdkDocument(t, "menu_parent_upsert"), "CHILD_ID", child))
		if run == 1 && (child != childID || parent != parentID) {
			t.Fatalf("the second menu load made new items: %s/%s then %s/%s", childID, parentID, child, parent)
		}
		childID, parentID = child, parent
	}
	_, data, errs := sdkGraphQL(t, c.base, "main", `{ CoreMenuItem(namespace__value: "Location") { count edges { node { id name { value }
		order_weight { value } path { value } parent { node { id } } children { count } } } } }`, nil)
	if errs != nil || path(t, data, "CoreMenuItem", "count") != 2.0 {
		t.Fatalf("menu items after two loads: %v %v", data, errs)
	}
	for _, e := range path(t, data, "CoreMenuItem", "edges").([]any) {
		n := path(t, e, "node")
		switch path(t, n, "id") {
		case childID:
			if path(t, n, "parent", "node", "id") != parentID || path(t, n, "order_weight", "value") != 4000.0 ||
				path(t, n, "path", "value") != "/objects/LocationSite" {
				t.Errorf("child item: %v", n)
			}
		case parentID:
			if path(t, n, "children", "count") != 1.0 || path(t, n, "parent", "node") != nil {
				t.Errorf("parent item: %v", n)
			}
		}
	}
	// the web UI's sidebar shows the loaded section with its child (frontend/app/src/entities/menu)
	var menu map[string]any
	if code := getJSON(t, c.base+"/api/menu?branch=main", &menu); code != 200 {
		t.Fatalf("GET /api/menu: %d", code)
	}
	found := false
	for _, s := range path(t, menu, "sections", "object").([]any) {
		if path(t, s, "identifier") == "LocationMenu" {
			found = path(t, s, "label") == "Location" && path(t, s, "children", 0, "identifier") == "LocationSite" &&
				path(t, s, "children", 0, "path") == "/objects/LocationSite"
		}
	}
	if !found {
		t.Errorf("the loaded menu section is not in /api/menu: %v", path(t, menu, "sections", "object"))
	}

	// infrahubctl object load 08_device.yml, first device, twice: location and object_template by
	// hfid, member_of_groups by name, unset relationships null; the template gives its interfaces.
	first := upsertID(t, c.base, "DcimDeviceUpsert", sdkDocument(t, "device_upsert"))
	if again := upsertID(t, c.base, "DcimDeviceUpsert", sdkDocument(t, "device_upsert")); again != first {
		t.Fatalf("the second object load made a new device: %s then %s", first, again)
	}
	_, data, errs = sdkGraphQL(t, c.base, "main", `{ DcimDevice(name__value: "sw01-bru01") { count edges { node { id
		location { node { display_label } } device_type { node { display_label } } object_template { node { id } }
		member_of_groups { edges { node { display_label } } } interfaces { count } } } } }`, nil)
	dev := path(t, data, "DcimDevice", "edges", 0, "node")
	if errs != nil || path(t, data, "DcimDevice", "count") != 1.0 || path(t, dev, "id") != first ||
		path(t, dev, "location", "node", "display_label") != "Brussels 1" ||
		path(t, dev, "member_of_groups", "edges", 0, "node", "display_label") != "generic_devices" ||
		path(t, dev, "object_template", "node") == nil || path(t, dev, "device_type", "node") == nil ||
		path(t, dev, "interfaces", "count").(float64) == 0 {
		t.Fatalf("device after two loads: %v %v", data, errs)
	}

	// infrahubctl render device_config device_name=sw01-bru01: the transform's query file with the
	// CLI's variables as strings (infrahub_sdk/ctl/utils.py execute_graphql_query); the template
	// reads data.DcimDevice.edges[0].node and walks these fields.
	raw, err := os.ReadFile(filepath.Join(repo, "templates", "device_info.gql"))
	if err != nil {
		t.Fatal(err)
	}
	code, data, errs := sdkGraphQL(t, c.base, "main", string(raw), map[string]any{"device_name": "sw01-bru01"})
	if code != 200 || errs != nil {
		t.Fatalf("render query: %d %v", code, errs)
	}
	node := path(t, data, "DcimDevice", "edges", 0, "node")
	if path(t, node, "__typename") != "DcimDevice" || path(t, node, "name", "value") != "sw01-bru01" ||
		path(t, node, "location", "node", "__typename") != "LocationSite" {
		t.Fatalf("render data: %v", node)
	}
	if _, ok := path(t, node, "location", "node", "vlans", "edges").([]any); !ok {
		t.Errorf("vlans.edges must be a list (the template iterates it): %v", node)
	}
	intfs := path(t, node, "interfaces", "edges").([]any)
	if len(intfs) == 0 {
		t.Fatal("render data has no interfaces")
	}
	for _, e := range intfs {
		n := path(t, e, "node")
		if _, ok := path(t, n, "name", "value").(string); !ok {
			t.Errorf("interface name: %v", n)
		}
		switch path(t, n, "__typename") {
		case "DcimInterfaceL2":
			if _, ok := path(t, n, "tagged_vlan", "edges").([]any); !ok {
				t.Errorf("L2 interface: %v", n)
			}
		case "DcimInterfaceL3":
			if _, ok := path(t, n, "ip_addresses", "edges").([]any); !ok {
				t.Errorf("L3 interface: %v", n)
			}
		default:
			t.Errorf("interface __typename: %v", n)
		}
	}
	if _, ok := path(t, data, "ServiceGeneric", "edges").([]any); !ok {
		t.Errorf("ServiceGeneric.edges: %v", data)
	}
}

func toStrings(l []any) []string {
	out := make([]string, len(l))
	for i, v := range l {
		out[i], _ = v.(string)
	}
	return out
}
