package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/internal/testenv"
)

// catalogObjects are the service catalog's object files without profiles, templates or pools.
var catalogObjects = []string{"01_location.yml", "02_groups_tags.yml", "03_ipam_domain.yml", "04_manufacturer.yml", "04_provider.yml", "06_device_type.yml"}

func getDump(t *testing.T, base, branch string) string {
	t.Helper()
	return getDumpAfter(t, base, branch, 0)
}

// getDumpAfter reads a branch's dump once the projection reached position minPos.
func getDumpAfter(t *testing.T, base, branch string, minPos events.Position) string {
	t.Helper()
	resp, err := http.Get(fmt.Sprintf("%s/api/dump?branch=%s&min_position=%d", base, branch, minPos))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Nodes json.RawMessage `json:"nodes"`
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/dump?branch=%s: %s", branch, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return string(out.Nodes)
}

func postCommand(t *testing.T, base, typ string, payload any) map[string]any {
	t.Helper()
	code, out := commandStatus(t, base, typ, payload)
	if code != http.StatusOK {
		t.Fatalf("%s: %d %v", typ, code, out)
	}
	return out
}

// `infrahub object load` loads the service catalog's plain object files, a second time without
// change; restarts (from the snapshot, after a SIGKILL, after `replay --projection graph`) give
// back exactly the same data on every branch.
func TestObjectLoadAndRestart(t *testing.T) {
	repo := testenv.Corpus(t, "infrahub-demo-service-catalog")
	addr, data := freeAddr(t), t.TempDir()
	env := map[string]string{"INFRAHUB_DATA": data}
	c := startChild(t, addr, env)
	cli := map[string]string{"INFRAHUB_ADDRESS": c.base}
	var schemas []string
	for _, p := range []string{"base", "location_minimal", "vlan", "service"} {
		schemas = append(schemas, filepath.Join(repo, "schemas", p))
	}
	if out, err := runCLI(t, cli, append([]string{"schema", "load"}, schemas...)...); err != nil {
		t.Fatalf("schema load: %q %v", out, err)
	}
	var files []string
	for _, f := range catalogObjects {
		files = append(files, filepath.Join(repo, "data", f))
	}
	out, err := runCLI(t, cli, append([]string{"object", "load"}, files...)...)
	if err != nil {
		t.Fatalf("object load: %v\n%s", err, out)
	}
	site := regexp.MustCompile(`(?m)^LocationSite\s+(\d+)\s+0\s+0$`).FindStringSubmatch(out)
	if site == nil || site[1] == "0" || !strings.Contains(out, "[6/6]") {
		t.Fatalf("first load output:\n%s", out)
	}
	out, err = runCLI(t, cli, append([]string{"object", "load"}, files...)...)
	if err != nil || strings.Count(out, " 0 created, 0 updated") != 6 {
		t.Fatalf("second load changed something: %v\n%s", err, out)
	}
	if !regexp.MustCompile(`(?m)^LocationSite\s+0\s+0\s+` + site[1] + `$`).MatchString(out) {
		t.Fatalf("second load per-kind counts:\n%s", out)
	}
	// A branch with its own change.
	postCommand(t, c.base, "branch.create", map[string]any{"name": "feature-1"})
	res := postCommand(t, c.base, "node.update", map[string]any{"branch": "feature-1", "kind": "LocationCountry",
		"hfid": []string{"FR"}, "data": map[string]any{"timezone": "UTC-5"}})
	pos := res["positions"].([]any)[0].(float64)
	resp, err := http.Get(fmt.Sprintf("%s/api/dump?branch=feature-1&min_position=%d", c.base, int64(pos)))
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("read-your-writes dump: %v %v", err, resp.Status)
	}
	resp.Body.Close()
	checkReads(t, c.base, events.Position(pos))
	before := map[string]string{"main": getDump(t, c.base, "main"), "feature-1": getDump(t, c.base, "feature-1")}
	if before["main"] == before["feature-1"] || !strings.Contains(before["feature-1"], "UTC-5") {
		t.Fatal("the branch's change is not in its dump, or leaks into main")
	}
	check := func(when string, c *child) {
		t.Helper()
		for br, want := range before {
			if got := getDump(t, c.base, br); got != want {
				t.Errorf("%s: dump of %s differs (%d vs %d bytes)", when, br, len(got), len(want))
			}
		}
	}
	if err := c.stop(); err != nil {
		t.Fatal(err)
	}
	c = startChild(t, addr, env)
	if !strings.Contains(c.logs.String(), "graph restored from snapshot") {
		t.Errorf("the restart did not use the snapshot:\n%s", c.logs.String())
	}
	check("after a restart from the snapshot", c)
	// A write after the snapshot, then SIGKILL: the restart reads the snapshot and the tail.
	res = postCommand(t, c.base, "node.update", map[string]any{"branch": "feature-1", "kind": "LocationCountry",
		"hfid": []string{"FR"}, "data": map[string]any{"timezone": "UTC-6"}})
	before["feature-1"] = getDumpAfter(t, c.base, "feature-1", events.Position(res["positions"].([]any)[0].(float64)))
	if !strings.Contains(before["feature-1"], "UTC-6") {
		t.Fatal("read-your-writes: the dump after min_position lacks the write")
	}
	c.kill()
	c = startChild(t, addr, env)
	check("after SIGKILL", c)
	if err := c.stop(); err != nil {
		t.Fatal(err)
	}
	out, err = runCLI(t, env, "replay", "--projection", "graph")
	if err != nil || !strings.Contains(out, "snapshot of graph written") {
		t.Fatalf("replay graph: %q %v", out, err)
	}
	c = startChild(t, addr, env)
	check("after replay", c)
}

func getJSON(t *testing.T, url string, out any) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return resp.StatusCode
}

// checkReads exercises the read API on the loaded service catalog: filters, generics, paging,
// peers, branches and time travel (the branch's timezone was changed at position changed).
func checkReads(t *testing.T, base string, changed events.Position) {
	t.Helper()
	type page struct {
		Count int `json:"count"`
		Nodes []struct {
			ID         string `json:"id"`
			Kind       string `json:"kind"`
			Attributes map[string]struct {
				Value any `json:"value"`
			} `json:"attributes"`
		} `json:"nodes"`
	}
	var p page
	if code := getJSON(t, base+"/api/nodes/LocationSite?shortname__value=par01", &p); code != 200 || p.Count != 1 || p.Nodes[0].Attributes["name"].Value != "Paris 1" {
		t.Fatalf("filter by shortname: %d %+v", code, p)
	}
	site := p.Nodes[0].ID
	if code := getJSON(t, base+"/api/nodes/LocationGeneric?limit=2&order_by=-name__value", &p); code != 200 || len(p.Nodes) != 2 || p.Count < 4 {
		t.Fatalf("generic list with limit: %d %+v", code, p)
	}
	var peers struct {
		Count int `json:"count"`
		Peers []struct {
			ID   string `json:"id"`
			Kind string `json:"kind"`
		} `json:"peers"`
	}
	if code := getJSON(t, base+"/api/nodes/LocationSite/"+site+"/peers/parent", &peers); code != 200 || peers.Count != 1 || peers.Peers[0].Kind != "LocationMetro" {
		t.Fatalf("site parent: %d %+v", code, peers)
	}
	var bad map[string]any
	if code := getJSON(t, base+"/api/nodes/LocationSite?colour__value=red", &bad); code != 400 || !strings.Contains(fmt.Sprint(bad), "colour") {
		t.Fatalf("unknown filter: %d %v", code, bad)
	}
	tz := func(query string) any {
		var p page
		if code := getJSON(t, base+"/api/nodes/LocationCountry?shortname__value=FR&"+query, &p); code != 200 || p.Count != 1 {
			t.Fatalf("country %s: %d %+v", query, code, p)
		}
		return p.Nodes[0].Attributes["timezone"].Value
	}
	if got := tz("branch=feature-1"); got != "UTC-5" {
		t.Errorf("branch timezone = %v", got)
	}
	if got := tz("branch=feature-1&at=" + fmt.Sprint(changed-1)); got != "CET" {
		t.Errorf("branch timezone before the change = %v", got)
	}
	if got := tz(""); got != "CET" {
		t.Errorf("main sees the branch's change: %v", got)
	}
}

// allCatalogObjects are every object file the service catalog's .infrahub.yml lists, in order.
var allCatalogObjects = []string{"01_location.yml", "02_groups_tags.yml", "03_ipam_domain.yml", "04_manufacturer.yml",
	"04_profiles.yml", "04_provider.yml", "05_resource_pools.yml", "06_device_type.yml", "07_device_template.yml", "08_device.yml"}

// The whole service catalog loads as its .infrahub.yml says (profiles, pools with their prefixes,
// templates with their interface templates and profiles, devices naming their template), and a
// second load changes nothing.
func TestServiceCatalogObjectsLoad(t *testing.T) {
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
	for _, f := range allCatalogObjects {
		files = append(files, filepath.Join(repo, "data", f))
	}
	// then the menu, the repository and the permissions, stored as data (two of its object
	// permissions are defaults the start created: the load grants them to its role, an update)
	for _, f := range []string{"menu.yml", "repository.yaml", "permissions.yml"} {
		files = append(files, filepath.Join(repo, f))
	}
	out, err := runCLI(t, cli, append([]string{"object", "load"}, files...)...)
	if err != nil {
		t.Fatalf("object load: %v\n%s", err, out)
	}
	for _, want := range []string{`(?m)^DcimDevice\s+16\s+0\s+0$`, `(?m)^TemplateDcimDevice\s+2\s+0\s+0$`,
		`(?m)^CoreMenuItem\s+15\s+0\s+0$`, `(?m)^CoreRepository\s+1\s+0\s+0$`, `(?m)^CoreObjectPermission\s+2\s+2\s+0$`,
		`(?m)^ProfileDcimInterfaceL3\s+2\s+0\s+0$`, `(?m)^CoreIPAddressPool\s+1\s+0\s+0$`, `(?m)^IpamPrefix\s+2\s+0\s+0$`} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("first load lacks %s:\n%s", want, out)
		}
	}
	out, err = runCLI(t, cli, append([]string{"object", "load"}, files...)...)
	if err != nil || strings.Count(out, " 0 created, 0 updated") != len(files) {
		t.Fatalf("second load changed something: %v\n%s", err, out)
	}
	// Devices made from a template have its values and its interfaces (made once).
	body := `{"query": "{ DcimDevice(name__value: \"sw01-par01\") { edges { node { role { value } object_template { node { display_label } } interfaces { count edges { node { __typename name { value } speed { value } enabled { value } } } } } } } }"}`
	resp, err := http.Post(c.base+"/graphql", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	got := string(raw)
	// Interfaces made from profiled template interfaces take the profile's values, and say so.
	body3 := `{"query": "{ DcimInterfaceL3(name__value: \"Ethernet1\") { count edges { node { mtu { value is_from_profile source { display_label } } } } } }"}`
	resp3, err := http.Post(c.base+"/graphql", "application/json", strings.NewReader(body3))
	if err != nil {
		t.Fatal(err)
	}
	raw3, _ := io.ReadAll(resp3.Body)
	resp3.Body.Close()
	if n := strings.Count(string(raw3), `"mtu":{"value":9000,"is_from_profile":true,"source":{"display_label":"Peer to Peer Interface"}}`); n != 8 {
		t.Errorf("%d router interfaces Ethernet1 with the profile's mtu, want 8:\n%s", n, raw3)
	}
	// Management addresses come from the pool's prefix, one per device, all different.
	body2 := `{"query": "{ DcimDevice { count edges { node { primary_address { node { address { value } } } } } } }"}`
	resp2, err := http.Post(c.base+"/graphql", "application/json", strings.NewReader(body2))
	if err != nil {
		t.Fatal(err)
	}
	var addrs struct {
		Data struct {
			DcimDevice struct {
				Count int
				Edges []struct {
					Node struct {
						PrimaryAddress struct {
							Node *struct{ Address struct{ Value string } }
						} `json:"primary_address"`
					}
				}
			}
		}
	}
	_ = json.NewDecoder(resp2.Body).Decode(&addrs)
	resp2.Body.Close()
	seen := map[string]bool{}
	for _, e := range addrs.Data.DcimDevice.Edges {
		a := e.Node.PrimaryAddress.Node
		if a == nil || !strings.HasPrefix(a.Address.Value, "172.16.1.") || seen[a.Address.Value] {
			t.Errorf("a device's management address: %+v (seen %v)", a, seen)
			continue
		}
		seen[a.Address.Value] = true
	}
	if len(seen) != 16 {
		t.Errorf("%d distinct management addresses, want 16", len(seen))
	}
	for i := 1; i <= 16; i++ {
		if a := fmt.Sprintf("172.16.1.%d/24", i); !seen[a] {
			t.Errorf("%s was not given (the pool skipped it): %v", a, seen)
		}
	}
	// The pool's prefix holds them, the first 16 of its hosts (its member_type is prefix: its
	// utilization counts child prefixes, of which it has none).
	body4 := `{"query": "{ IpamPrefix(prefix__value: \"172.16.1.0/24\") { edges { node { utilization { value } ip_addresses { count } } } } }"}`
	resp4, err := http.Post(c.base+"/graphql", "application/json", strings.NewReader(body4))
	if err != nil {
		t.Fatal(err)
	}
	raw4, _ := io.ReadAll(resp4.Body)
	resp4.Body.Close()
	if !strings.Contains(string(raw4), `"utilization":{"value":0},"ip_addresses":{"count":16}`) {
		t.Errorf("the management prefix: %s", raw4)
	}
	for _, want := range []string{`"role":{"value":"core"}`, `"display_label":"Generic switch"`, `"count":6`,
		`{"__typename":"DcimInterfaceL2","name":{"value":"Ethernet9"},"speed":{"value":1000},"enabled":{"value":false}}`} {
		if !strings.Contains(got, want) {
			t.Errorf("device made from the template lacks %s:\n%s", want, got)
		}
	}
}
