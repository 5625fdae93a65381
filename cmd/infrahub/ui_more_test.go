package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/internal/testenv"
)

// Infrahub's web UI pages schema, GraphQL sandbox, IPAM, resource manager and search, replayed
// against a real `infrahub serve` holding the whole service catalog: each page's GraphQL
// documents and REST requests, verbatim from opsmill/infrahub frontend/app/src (cited per
// document), with every field the page reads checked.
func TestUIPagesSchemaIPAMPoolsSearch(t *testing.T) {
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
	if out, err := runCLI(t, cli, append([]string{"object", "load"}, files...)...); err != nil {
		t.Fatalf("object load: %v\n%s", err, out)
	}
	u := uiClient{t: t, base: c.base}
	t.Run("schema", u.schemaPage)
	t.Run("graphiql", u.graphiqlPage)
	t.Run("ipam", u.ipamPages)
	t.Run("resource-manager", u.resourceManagerPages)
	t.Run("search", u.searchPages)
}

// uiClient sends what the UI sends: GraphQL to /graphql/<branch> (frontend/app/src/config/config.ts
// GRAPHQL_URL) as the admin.
type uiClient struct {
	t    *testing.T
	base string
}

func (u uiClient) gql(t *testing.T, query string, vars map[string]any) map[string]any {
	t.Helper()
	body := map[string]any{"query": query}
	if vars != nil {
		body["variables"] = vars
	}
	code, _, out := authCall(t, u.base, "POST", "/graphql/main", keyOf(testAdminToken), mustJSON(body))
	if code != http.StatusOK || out["errors"] != nil {
		t.Fatalf("GraphQL %d: %v\n%s", code, out["errors"], query)
	}
	data, _ := out["data"].(map[string]any)
	return data
}

// uiNodes answers the nodes of a connection's edges (failing when edges is not a list of {node}).
func uiNodes(t *testing.T, conn any, what string) []map[string]any {
	t.Helper()
	edges, ok := dig(conn, "edges").([]any)
	if !ok {
		t.Fatalf("%s: edges is not a list: %v", what, conn)
	}
	out := make([]map[string]any, 0, len(edges))
	for _, e := range edges {
		n, ok := dig(e, "node").(map[string]any)
		if !ok {
			t.Fatalf("%s: an edge without a node: %v", what, e)
		}
		out = append(out, n)
	}
	return out
}

func uiStr(v any) bool { s, ok := v.(string); return ok && s != "" }

func uiNum(v any) (float64, bool) { f, ok := v.(float64); return f, ok }

// schemaPage: frontend/app/src/config/config.ts SCHEMA_URL and SCHEMA_SUMMARY_URL, read by
// entities/schema (the schema page lists nodes, generics, profiles and templates by kind,
// namespace and label, with each attribute's and relationship's details).
func (u uiClient) schemaPage(t *testing.T) {
	var s map[string]any
	if code := getJSON(t, u.base+"/api/schema?branch=main", &s); code != 200 {
		t.Fatalf("GET /api/schema: %d", code)
	}
	if !uiStr(s["main"]) {
		t.Errorf("schema hash main = %v", s["main"])
	}
	kinds := map[string]map[string]any{}
	for _, list := range []string{"nodes", "generics", "profiles", "templates"} {
		l, ok := s[list].([]any)
		if !ok || len(l) == 0 {
			t.Fatalf("schema %s: %T %d", list, s[list], len(l))
		}
		for _, x := range l {
			m := x.(map[string]any)
			for _, f := range []string{"kind", "name", "namespace", "hash"} {
				if !uiStr(m[f]) {
					t.Errorf("%s %v: %s = %v", list, m["kind"], f, m[f])
				}
			}
			if _, ok := m["attributes"].([]any); !ok {
				t.Errorf("%s %v: attributes = %T", list, m["kind"], m["attributes"])
			}
			if _, ok := m["relationships"].([]any); !ok {
				t.Errorf("%s %v: relationships = %T", list, m["kind"], m["relationships"])
			}
			kinds[m["kind"].(string)] = m
		}
	}
	dev := kinds["DcimDevice"]
	if dev == nil || dev["label"] != "Network Device" || dev["namespace"] != "Dcim" {
		t.Fatalf("DcimDevice: %v", dev)
	}
	for _, a := range dev["attributes"].([]any) {
		m := a.(map[string]any)
		for _, f := range []string{"name", "kind", "label"} {
			if !uiStr(m[f]) {
				t.Errorf("DcimDevice attribute %v: %s = %v", m["name"], f, m[f])
			}
		}
		for _, f := range []string{"optional", "read_only", "unique"} {
			if _, ok := m[f].(bool); !ok {
				t.Errorf("DcimDevice attribute %v: %s = %v", m["name"], f, m[f])
			}
		}
	}
	for _, r := range dev["relationships"].([]any) {
		m := r.(map[string]any)
		for _, f := range []string{"name", "peer", "cardinality", "kind"} {
			if !uiStr(m[f]) {
				t.Errorf("DcimDevice relationship %v: %s = %v", m["name"], f, m[f])
			}
		}
	}
	if ub, ok := kinds["BuiltinIPPrefix"]["used_by"].([]any); !ok || !strings.Contains(fmt.Sprint(ub), "IpamPrefix") {
		t.Errorf("BuiltinIPPrefix used_by = %v", kinds["BuiltinIPPrefix"]["used_by"])
	}
	var sum map[string]any
	if code := getJSON(t, u.base+"/api/schema/summary?branch=main", &sum); code != 200 || !uiStr(sum["main"]) {
		t.Fatalf("GET /api/schema/summary: %d %v", code, sum["main"])
	}
	for _, list := range []string{"nodes", "generics"} {
		m, _ := sum[list].(map[string]any)
		if h := m["DcimDevice"]; list == "nodes" && h != dev["hash"] {
			t.Errorf("summary hash of DcimDevice %v, schema %v", h, dev["hash"])
		}
		if len(m) == 0 {
			t.Errorf("summary %s empty", list)
		}
	}
}

// graphiqlPage: frontend/app/src/screens/graphql/graphiql.tsx renders GraphiQL with its default
// props, which sends graphql-js getIntrospectionQuery({inputValueDeprecation: false,
// schemaDescription: false}) with operationName IntrospectionQuery and builds the client schema
// from the answer (buildClientSchema): testdata/ui/graphiql-introspection.graphql is that text,
// printed by graphql 16.15. Every type reference of the answer must name a type of the answer.
func (u uiClient) graphiqlPage(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("testdata", "ui", "graphiql-introspection.graphql"))
	if err != nil {
		t.Fatal(err)
	}
	code, _, out := authCall(t, u.base, "POST", "/graphql/main", keyOf(testAdminToken),
		mustJSON(map[string]any{"query": string(doc), "operationName": "IntrospectionQuery"}))
	if code != 200 || out["errors"] != nil {
		t.Fatalf("introspection: %d %v", code, out["errors"])
	}
	s, _ := dig(out, "data", "__schema").(map[string]any)
	if dig(s, "queryType", "name") != "Query" || dig(s, "queryType", "kind") != "OBJECT" || dig(s, "mutationType", "name") != "Mutation" {
		t.Fatalf("root types: %v %v", s["queryType"], s["mutationType"])
	}
	types := map[string]map[string]any{}
	for _, x := range s["types"].([]any) {
		m := x.(map[string]any)
		types[m["name"].(string)] = m
	}
	var ref func(where string, r any)
	ref = func(where string, r any) {
		m, _ := r.(map[string]any)
		if m == nil {
			t.Errorf("%s: no type", where)
			return
		}
		switch m["kind"] {
		case "NON_NULL", "LIST":
			ref(where, m["ofType"])
		default:
			if tt := types[fmt.Sprint(m["name"])]; tt == nil || tt["kind"] != m["kind"] {
				t.Errorf("%s: type %v %v is not in the schema's types", where, m["kind"], m["name"])
			}
		}
	}
	for name, tt := range types {
		switch tt["kind"] {
		case "OBJECT", "INTERFACE":
			fields, _ := tt["fields"].([]any)
			if len(fields) == 0 {
				t.Errorf("%s %s has no fields", tt["kind"], name)
			}
			for _, f := range fields {
				fm := f.(map[string]any)
				ref(name+"."+fm["name"].(string), fm["type"])
				for _, a := range fm["args"].([]any) {
					ref(name+"."+fm["name"].(string)+"("+a.(map[string]any)["name"].(string)+")", a.(map[string]any)["type"])
				}
			}
			for _, i := range tt["interfaces"].([]any) {
				ref(name+" implements", i)
			}
		case "INPUT_OBJECT":
			for _, f := range tt["inputFields"].([]any) {
				ref(name+"."+f.(map[string]any)["name"].(string), f.(map[string]any)["type"])
			}
		case "UNION":
			for _, p := range tt["possibleTypes"].([]any) {
				ref(name+" member", p)
			}
		case "ENUM":
			if len(tt["enumValues"].([]any)) == 0 {
				t.Errorf("enum %s without values", name)
			}
		}
	}
	for _, k := range []string{"DcimDevice", "IpamPrefix", "BuiltinIPPrefix", "CoreNumberPool", "PoolUtilization", "PoolAllocated"} {
		if types[k] == nil {
			t.Errorf("introspection lacks %s", k)
		}
	}
	for _, d := range s["directives"].([]any) {
		dm := d.(map[string]any)
		if !uiStr(dm["name"]) || len(dm["locations"].([]any)) == 0 {
			t.Errorf("directive %v", dm)
		}
	}
}

// ipamPages: the IPAM pages' documents.
func (u uiClient) ipamPages(t *testing.T) {
	// entities/ipam/ip-namespaces/api/get-ip-namespace-list-from-api.ts (jsonToGraphQLQuery output)
	ns := uiNodes(t, u.gql(t, `query GetObjectsBuiltinIPNamespace { BuiltinIPNamespace (limit: 10, offset: 0) { edges { node { id display_label hfid description { value } ip_prefixes { count } ip_addresses { count } ... on IpamNamespace { default { value } } } } } }`, nil)["BuiltinIPNamespace"], "namespaces")
	if len(ns) != 1 || ns[0]["display_label"] != "default" || dig(ns[0], "default", "value") != true ||
		dig(ns[0], "ip_prefixes", "count") != float64(2) || dig(ns[0], "ip_addresses", "count") != float64(16) {
		t.Fatalf("namespaces: %v", ns)
	}
	if _, ok := dig(ns[0], "description").(map[string]any); !ok {
		t.Errorf("namespace description: %v", ns[0]["description"])
	}
	nsID := ns[0]["id"].(string)

	// entities/ipam/api/prefixes.ts GET_TOP_LEVEL_PREFIXES (the tree's first level)
	const topLevel = `
  query GET_TOP_LEVEL_PREFIXES($namespaces: [ID]) {
    BuiltinIPPrefix(is_top_level__value: true, ip_namespace__ids: $namespaces) {
      edges {
        node {
          id
          display_label
          parent {
            node {
              id
            }
          }
          children {
            count
          }
          descendants {
            count
          }
        }
      }
    }
  }
`
	top := uiNodes(t, u.gql(t, topLevel, map[string]any{"namespaces": []string{nsID}})["BuiltinIPPrefix"], "top level")
	prefixes := map[string]string{}
	for _, p := range top {
		prefixes[fmt.Sprint(p["display_label"])] = fmt.Sprint(p["id"])
		if dig(p, "parent", "node") != nil || dig(p, "children", "count") != float64(0) || dig(p, "descendants", "count") != float64(0) {
			t.Errorf("top-level prefix %v", p)
		}
	}
	mgmt, public := prefixes["172.16.1.0/24"], prefixes["203.0.113.0/24"]
	if len(top) != 2 || mgmt == "" || public == "" {
		t.Fatalf("top-level prefixes: %v", top)
	}

	// entities/ipam/api/prefixes.ts GET_PREFIXES_ONLY (the tree, searching)
	const only = `
  query GET_PREFIXES_ONLY($parentIds: [ID!], $search: String, $ipNamespaceIds: [ID!]) {
    BuiltinIPPrefix(parent__ids: $parentIds, any__value: $search, partial_match: true, ip_namespace__ids: $ipNamespaceIds) {
      edges {
        node {
          id
          display_label
          parent {
            node {
              id
            }
          }
          children {
            count
          }
          descendants {
            count
          }
        }
      }
    }
  }
`
	found := uiNodes(t, u.gql(t, only, map[string]any{"search": "203.0", "ipNamespaceIds": []string{nsID}})["BuiltinIPPrefix"], "prefix search")
	if len(found) != 1 || found[0]["id"] != public {
		t.Errorf("search 203.0: %v", found)
	}

	// entities/ipam/api/prefixes.ts GET_PREFIXES (the prefix table) and GET_PREFIX (one prefix)
	const list = `
  query GET_PREFIXES($namespaces: [ID], $offset: Int, $limit: Int) {
    BuiltinIPPrefix(ip_namespace__ids: $namespaces, offset: $offset, limit: $limit) {
      count
      edges {
        node {
          id
          display_label
          prefix {
            id
            value
          }
          description {
            value
          }
          member_type {
            value
          }
          is_pool {
            value
          }
          is_top_level {
            value
          }
          utilization {
            value
          }
          netmask {
            value
          }
          hostmask {
            value
          }
          network_address {
            value
          }
          broadcast_address {
            value
          }
          ip_namespace {
            node {
              display_label
            }
          }
          parent {
            node {
              id
              display_label
            }
          }
          children {
            count
            edges {
              node {
                id
                display_label
                prefix {
                  value
                }
              }
            }
          }
        }
      }
      permissions {
        edges {
          node {
            kind
            view
            create
            update
            delete
          }
        }
      }
    }
  }
`
	res := u.gql(t, list, map[string]any{"namespaces": []string{nsID}, "offset": 0, "limit": 10})["BuiltinIPPrefix"]
	if dig(res, "count") != float64(2) {
		t.Errorf("prefix count: %v", dig(res, "count"))
	}
	for _, p := range uiNodes(t, res, "prefixes") {
		if p["id"] != mgmt {
			continue
		}
		want := map[string]any{"prefix": "172.16.1.0/24", "member_type": "prefix", "is_pool": false, "is_top_level": true,
			"netmask": "255.255.255.0", "hostmask": "0.0.0.255", "network_address": "172.16.1.0", "broadcast_address": "172.16.1.255"}
		for f, v := range want {
			if got := dig(p, f, "value"); got != v {
				t.Errorf("prefix %s = %v, want %v", f, got, v)
			}
		}
		// member_type prefix: the utilization counts child prefixes (none), not addresses
		if util, ok := uiNum(dig(p, "utilization", "value")); !ok || util != 0 {
			t.Errorf("utilization of the management prefix: %v", dig(p, "utilization", "value"))
		}
		if dig(p, "ip_namespace", "node", "display_label") != "default" || dig(p, "parent", "node") != nil || !uiStr(dig(p, "prefix", "id")) {
			t.Errorf("prefix relations: %v", p)
		}
		if _, ok := dig(p, "children", "edges").([]any); !ok || dig(p, "children", "count") != float64(0) {
			t.Errorf("children: %v", p["children"])
		}
	}
	perms := uiNodes(t, dig(res, "permissions"), "permissions")
	if len(perms) == 0 || perms[0]["view"] != "ALLOW" || perms[0]["create"] != "ALLOW" {
		t.Errorf("permissions: %v", perms)
	}
	const one = `
  query GET_PREFIX($namespace: String, $ids: [ID], $offset: Int, $limit: Int) {
    BuiltinIPPrefix(ip_namespace__name__value: $namespace, ids: $ids) {
      count
      edges {
        node {
          display_label
          parent {
            node {
              id
              display_label
              prefix {
                value
              }
            }
          }
          children(offset: $offset, limit: $limit) {
            count
            edges {
              node {
                id
                display_label
                prefix {
                  id
                  value
                }
                member_type {
                  value
                  color
                }
              }
            }
          }
        }
      }
    }
  }
`
	res = u.gql(t, one, map[string]any{"namespace": "default", "ids": []string{public}, "offset": 0, "limit": 10})["BuiltinIPPrefix"]
	if n := uiNodes(t, res, "one prefix"); len(n) != 1 || n[0]["display_label"] != "203.0.113.0/24" {
		t.Errorf("GET_PREFIX: %v", res)
	}

	// entities/ipam/api/prefixes.ts GET_PREFIX_KIND and ip-prefixes/api/get-ip-prefix-ancestors-from-api.ts
	kind := uiNodes(t, u.gql(t, `
  query GET_PREFIX_KIND($ids: [ID]) {
    BuiltinIPPrefix(ids: $ids) {
      edges {
        node {
          id
          display_label
          __typename
        }
      }
    }
  }
`, map[string]any{"ids": []string{mgmt}})["BuiltinIPPrefix"], "prefix kind")
	if len(kind) != 1 || kind[0]["__typename"] != "IpamPrefix" {
		t.Errorf("GET_PREFIX_KIND: %v", kind)
	}
	anc := uiNodes(t, u.gql(t, `query GetIpamPrefixAncestors { IpamPrefix (ids: ["`+mgmt+`"]) { edges { node { id hfid display_label __typename parent { node { id hfid display_label __typename } } ancestors { edges { node { id hfid display_label __typename parent { node { id } } } } } } } } }`, nil)["IpamPrefix"], "ancestors")
	if len(anc) != 1 || dig(anc[0], "parent", "node") != nil || len(uiNodes(t, anc[0]["ancestors"], "ancestors")) != 0 {
		t.Errorf("ancestors: %v", anc)
	}

	// entities/ipam/ip-prefixes/api/get-ip-prefix-tree-map-from-api.ts GET_IP_PREFIX_TREE_MAP:
	// the free space of the management prefix is answered as available prefixes
	const treeMap = `
  query GET_IP_PREFIX_TREE_MAP($parentIds: [ID!], $limit: Int) {
    BuiltinIPPrefix(parent__ids: $parentIds, include_available: true, limit: $limit) {
      count
      edges {
        node {
          __typename
          id
          display_label
          prefix {
            value
          }
          member_type {
            value
          }
          utilization {
            value
          }
          is_pool {
            value
          }
          description {
            value
          }
          children {
            count
          }
          ip_addresses {
            count
          }
        }
      }
    }
  }
`
	// the management prefix holds addresses, no prefix: its tiles are its two free halves
	// (backend/infrahub/graphql/resolvers/ipam.py _resolve_available_prefix_nodes), and count
	// is the number of real child prefixes
	res = u.gql(t, treeMap, map[string]any{"parentIds": []string{mgmt}, "limit": 100})["BuiltinIPPrefix"]
	tiles := uiNodes(t, res, "tree map")
	if dig(res, "count") != float64(0) || len(tiles) != 2 {
		t.Fatalf("tree map: %v", res)
	}
	for i, want := range []string{"172.16.1.0/25", "172.16.1.128/25"} {
		tile := tiles[i]
		if tile["__typename"] != "InternalIPPrefixAvailable" || dig(tile, "prefix", "value") != want || tile["display_label"] != want ||
			!uiStr(tile["id"]) || dig(tile, "utilization", "value") != nil || dig(tile, "children", "count") != float64(0) ||
			dig(tile, "ip_addresses", "count") != float64(0) || dig(tile, "is_pool", "value") != false {
			t.Errorf("free tile %d: %v", i, tile)
		}
	}

	// entities/ipam/ip-prefixes/api/get-ip-prefix-list-from-api.ts
	// buildGetIpPrefixListWithAvailabilityQuery (json-to-graphql-query output) for IpamPrefix,
	// the management prefix's children tab
	withAvail := `query GetObjectsIpamPrefix { BuiltinIPPrefix (limit: 10, offset: 0, include_available: true, kinds: ["IpamPrefix"], parent__ids: ["` + mgmt + `"]) { edges { node { id display_label hfid ... on IpamPrefix { ancestors { count } children { count } ip_addresses { count } prefix { id value } description { id value } member_type { id value color description label } ip_namespace { node { id hfid display_label } } } ... on InternalIPPrefixAvailable { parent { node { id display_label hfid ancestors { count } } } } } } } }`
	avail := uiNodes(t, u.gql(t, withAvail, nil)["BuiltinIPPrefix"], "prefix list with availability")
	if len(avail) != 2 {
		t.Fatalf("prefix list with availability: %v", avail)
	}
	for _, a := range avail {
		if !uiStr(a["id"]) || !strings.HasPrefix(fmt.Sprint(a["display_label"]), "172.16.1.") ||
			dig(a, "parent", "node", "id") != mgmt || dig(a, "parent", "node", "ancestors", "count") != float64(0) {
			t.Errorf("available prefix row: %v", a)
		}
	}

	// entities/ipam/ip-addresses/api/get-ip-address-list-from-api.ts
	// getIpAddressListWithAvailabilityGraphQLQuery for IpamIPAddress: the 16 addresses of the
	// management prefix with the free ranges between them, which together cover its usable
	// addresses 172.16.1.1 to 172.16.1.254 exactly, in order
	addrAvail := `query GetObjectsIpamIPAddress { BuiltinIPAddress (limit: 50, offset: 0, include_available: true, kinds: ["IpamIPAddress"], ip_prefix__ids: ["` + mgmt + `"]) { edges { node { id display_label hfid ... on IpamIPAddress { address { id value } description { id value } ip_prefix { node { id display_label hfid } } ip_namespace { node { id display_label hfid } } } ... on InternalIPRangeAvailable { address { value } last_address { value } } } } } }`
	rowsA := uiNodes(t, u.gql(t, addrAvail, nil)["BuiltinIPAddress"], "address list with availability")
	expect, real := 1, 0
	for _, r := range rowsA {
		from, to := lastOctet(t, dig(r, "address", "value")), 0
		// the document selects no __typename: a range is the row with a last_address
		switch _, isRange := r["last_address"]; {
		case !isRange && dig(r, "ip_prefix", "node", "id") == mgmt:
			real++
			to = from
		case isRange:
			to = lastOctet(t, dig(r, "last_address", "value"))
			if n := to - from + 1; r["display_label"] != fmt.Sprintf("%d IP addresses available", n) && !(n == 1 && r["display_label"] == "1 IP address available") {
				t.Errorf("range label: %v", r)
			}
		default:
			t.Errorf("row: %v", r)
		}
		if from != expect || to < from {
			t.Errorf("row %v does not follow .%d", r, expect-1)
		}
		expect = to + 1
	}
	if real != 16 || expect != 255 {
		t.Errorf("address list with availability: %d addresses, covered up to .%d: %v", real, expect-1, rowsA)
	}

	// entities/ipam/ip-prefixes/api/get-ip-prefix-list-from-api.ts without availability
	// (IpamPrefix attributes prefix, description, member_type; relationship ip_namespace)
	without := `query GetObjectsIpamPrefix { IpamPrefix (limit: 10, offset: 0) { edges { node { id display_label hfid ancestors { count } children { count } ip_addresses { count } prefix { id value } description { id value } member_type { id value color description label } ip_namespace { node { id hfid display_label } } } } } }`
	rows := uiNodes(t, u.gql(t, without, nil)["IpamPrefix"], "prefix list")
	if len(rows) != 2 {
		t.Errorf("prefix list: %v", rows)
	}
	for _, r := range rows {
		if dig(r, "ip_namespace", "node", "display_label") != "default" || !uiStr(dig(r, "member_type", "label")) ||
			!uiStr(dig(r, "prefix", "value")) || dig(r, "ancestors", "count") != float64(0) {
			t.Errorf("prefix row: %v", r)
		}
	}

	// entities/ipam/ip-addresses/api/get-ip-address-list-from-api.ts without availability, the
	// management prefix's address tab (ip_prefix__ids filter)
	addrDoc := `query GetObjectsIpamIPAddress { IpamIPAddress (limit: 50, offset: 0, ip_prefix__ids: ["` + mgmt + `"]) { edges { node { id display_label hfid address { id value } description { id value } ip_namespace { node { id display_label hfid } } ip_prefix { node { id display_label hfid } } } } } }`
	addrs := uiNodes(t, u.gql(t, addrDoc, nil)["IpamIPAddress"], "addresses")
	for _, a := range addrs {
		if dig(a, "ip_namespace", "node", "display_label") != "default" || dig(a, "ip_prefix", "node", "id") != mgmt ||
			!strings.HasPrefix(fmt.Sprint(dig(a, "address", "value")), "172.16.1.") {
			t.Errorf("address row: %v", a)
		}
	}
	if len(addrs) != 16 {
		t.Errorf("addresses of the management prefix: %d", len(addrs))
	}

	// ip-prefixes/api/get-next-ip-prefix-available-from-api.ts sends no prefix_length: the
	// answer is the first free block whatever its size (backend/infrahub/pools/prefix.py
	// get_next_available_prefix with prefix_length None), the whole prefix when it holds no prefix
	nextPrefix := u.gql(t, `
  query getNextIPPrefixAvailable($parentPrefixId: String!) {
    InfrahubIPPrefixGetNextAvailable(prefix_id: $parentPrefixId) {
      prefix
    }
  }
`, map[string]any{"parentPrefixId": mgmt})
	if p := dig(nextPrefix, "InfrahubIPPrefixGetNextAvailable", "prefix"); p != "172.16.1.0/24" {
		t.Errorf("next prefix: %v", nextPrefix)
	}

	// next available: ip-addresses/api/get-next-ip-address-available-from-api.ts
	next := u.gql(t, `
  query getNextIPAddressAvailable($parentPrefixId: String!) {
    InfrahubIPAddressGetNextAvailable(prefix_id: $parentPrefixId) {
      address
    }
  }
`, map[string]any{"parentPrefixId": mgmt})
	if a := dig(next, "InfrahubIPAddressGetNextAvailable", "address"); !uiStr(a) || !strings.HasPrefix(a.(string), "172.16.1.") {
		t.Errorf("next address: %v", next)
	}
}

// resourceManagerPages: the resource manager's list and pool pages.
func (u uiClient) resourceManagerPages(t *testing.T) {
	// entities/resource-manager/api/resource-pool.ts GET_KIND_FOR_RESOURCE_POOL over every pool
	pools := uiNodes(t, u.gql(t, `
  query GET_KIND_FOR_RESOURCE_POOL($ids: [ID]) {
    CoreResourcePool(ids: $ids) {
      edges {
        node {
          id
          display_label
          __typename
        }
      }
    }
  }
`, map[string]any{"ids": nil})["CoreResourcePool"], "pools")
	byKind := map[string]string{}
	for _, p := range pools {
		byKind[fmt.Sprint(p["__typename"])] = fmt.Sprint(p["id"])
	}
	if len(pools) != 3 || byKind["CoreIPAddressPool"] == "" || byKind["CoreIPPrefixPool"] == "" || byKind["CoreNumberPool"] == "" {
		t.Fatalf("pools: %v", pools)
	}

	// entities/resource-manager/api/get-pool-utilization-from-api.ts GET_POOL_UTILIZATION
	const utilDoc = `
  query GET_POOL_UTILIZATION($poolId: String!) {
    InfrahubResourcePoolUtilization(pool_id: $poolId) {
      edges {
        node {
          id
          display_label
          kind
          weight
          utilization
          utilization_branches
          utilization_default_branch
        }
      }
      count
      utilization
      utilization_branches
      utilization_default_branch
    }
  }
`
	var mgmtResource string
	for _, k := range []string{"CoreIPAddressPool", "CoreIPPrefixPool", "CoreNumberPool"} {
		res := u.gql(t, utilDoc, map[string]any{"poolId": byKind[k]})["InfrahubResourcePoolUtilization"]
		rs := uiNodes(t, res, k+" utilization")
		if len(rs) != 1 || dig(res, "count") != float64(1) {
			t.Fatalf("%s utilization: %v", k, res)
		}
		for _, m := range []any{res, rs[0]} {
			for _, f := range []string{"utilization", "utilization_branches", "utilization_default_branch"} {
				if v, ok := uiNum(dig(m, f)); !ok || v < 0 || v > 100 {
					t.Errorf("%s %s = %v", k, f, dig(m, f))
				}
			}
		}
		if _, ok := uiNum(rs[0]["weight"]); !ok || !uiStr(rs[0]["display_label"]) || !uiStr(rs[0]["kind"]) || !uiStr(rs[0]["id"]) {
			t.Errorf("%s resource: %v", k, rs[0])
		}
		if k == "CoreIPAddressPool" {
			mgmtResource = rs[0]["id"].(string)
			if v, _ := uiNum(dig(res, "utilization")); v <= 0 || rs[0]["display_label"] != "172.16.1.0/24" || rs[0]["kind"] != "IpamPrefix" {
				t.Errorf("address pool utilization (16 devices allocated): %v", res)
			}
		}
		if k == "CoreNumberPool" && (rs[0]["kind"] != "CoreNumberPool" || rs[0]["display_label"] != "Customer vlan pool") {
			t.Errorf("number pool utilization: %v", rs[0])
		}
	}

	// entities/resource-manager/api/resource-pool.ts GET_RESOURCE_POOL_ALLOCATED
	const allocDoc = `
  query GET_RESOURCE_POOL_ALLOCATED(
    $poolId: String!
    $resourceId: String!
    $limit: Int
    $offset: Int
  ) {
    InfrahubResourcePoolAllocated(
      pool_id: $poolId
      resource_id: $resourceId
      limit: $limit
      offset: $offset
    ) {
      count
      edges {
        node {
          id
          display_label
          kind
          branch
          identifier
        }
      }
    }
  }
`
	res := u.gql(t, allocDoc, map[string]any{"poolId": byKind["CoreIPAddressPool"], "resourceId": mgmtResource, "limit": 10, "offset": 0})["InfrahubResourcePoolAllocated"]
	alloc := uiNodes(t, res, "allocated")
	if dig(res, "count") != float64(16) || len(alloc) != 10 {
		t.Fatalf("allocated: count %v, %d edges", dig(res, "count"), len(alloc))
	}
	for _, a := range alloc {
		if a["kind"] != "IpamIPAddress" || a["branch"] != "main" || !strings.HasPrefix(fmt.Sprint(a["display_label"]), "172.16.1.") || !uiStr(a["id"]) {
			t.Errorf("allocated node: %v", a)
		}
		if _, ok := a["identifier"]; !ok {
			t.Errorf("allocated node without identifier: %v", a)
		}
	}

	// entities/resource-manager/api/get-number-pools-from-api.ts GET_NUMBER_POOLS
	np := uiNodes(t, u.gql(t, `
  query GET_NUMBER_POOLS($objectKinds: [String]) {
    CoreNumberPool(node__values: $objectKinds) {
      edges {
        node {
          id
          hfid
          display_label
          node {
            id
            value
          }
          node_attribute {
            id
            value
          }
        }
      }
    }
  }
`, map[string]any{"objectKinds": []string{"IpamVLAN"}})["CoreNumberPool"], "number pools")
	if len(np) != 1 || dig(np[0], "node", "value") != "IpamVLAN" || dig(np[0], "node_attribute", "value") != "vlan_id" ||
		fmt.Sprint(np[0]["hfid"]) != "[Customer vlan pool]" {
		t.Errorf("number pools: %v", np)
	}
}

// searchPages: the search bar's nodes (entities/search-anywhere/api/search.ts SEARCH) and docs
// (entities/search-anywhere/domain/search-docs.ts: config.ts SEARCH_URL).
func (u uiClient) searchPages(t *testing.T) {
	res := u.gql(t, `
  query Search($search: String!) {
    InfrahubSearchAnywhere(q: $search, limit: 4, partial_match: true) {
      count
      edges {
        node {
          id
          kind
        }
      }
    }
  }
`, map[string]any{"search": "172.16.1"})["InfrahubSearchAnywhere"]
	hits := uiNodes(t, res, "search")
	if c, _ := uiNum(dig(res, "count")); len(hits) != 4 || c < 17 {
		t.Errorf("search 172.16.1: %v", res)
	}
	for _, h := range hits {
		if !uiStr(h["id"]) || !uiStr(h["kind"]) {
			t.Errorf("search hit: %v", h)
		}
	}
	var docs []map[string]any
	if code := getJSON(t, u.base+"/api/search/docs?query=prefix&limit=3", &docs); code != 200 || docs == nil {
		t.Errorf("GET /api/search/docs: %d %v", code, docs)
	}
	for _, d := range docs {
		if !uiStr(d["title"]) || !uiStr(d["url"]) {
			t.Errorf("doc result: %v", d)
		}
		if _, ok := d["breadcrumb"].([]any); !ok {
			t.Errorf("doc breadcrumb: %v", d)
		}
	}
	var bad map[string]any
	if code := getJSON(t, u.base+"/api/search/docs", &bad); code != 400 {
		t.Errorf("GET /api/search/docs without query: %d %v", code, bad)
	}
}

// lastOctet is the last number of an IPv4 address with its length ("172.16.1.7/24" is 7).
func lastOctet(t *testing.T, v any) int {
	t.Helper()
	s, _ := v.(string)
	s, _, _ = strings.Cut(s, "/")
	i := strings.LastIndexByte(s, '.')
	n, err := strconv.Atoi(s[i+1:])
	if err != nil {
		t.Fatalf("address %v: %v", v, err)
	}
	return n
}
