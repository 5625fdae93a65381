package graphql_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/infrahub-go/infrahub/queries/graphql"
)

// include_available: the free space of a prefix listed among its child prefixes and addresses.
// The expected lists are Infrahub's, from backend/tests/unit/graphql/queries/test_ipam.py
// (test_ipprefix_include_available, test_ipaddress_include_available), with the current
// resolver's label for a large range (backend/infrahub/graphql/resolvers/ipam.py
// _ip_range_display_label: "More than 65536 IP addresses available").
func TestIncludeAvailable(t *testing.T) {
	f := newFixture(t, poolSchemaText)
	f.create(t, "main", "IpamNamespace", map[string]any{"name": "default"})
	prefix := func(p, member string) string {
		return f.create(t, "main", "NetPrefix", map[string]any{"prefix": p, "member_type": member})
	}
	addr := func(a string) { f.create(t, "main", "NetAddress", map[string]any{"address": a}) }
	type row struct{ kind, label string }
	list := func(doc, id string) ([]row, map[string]any) {
		t.Helper()
		out := run(t, f, graphql.Request{Query: doc, Variables: map[string]any{"prefix": id}})
		if out["errors"] != nil {
			t.Fatalf("%v", out["errors"])
		}
		var res map[string]any
		for _, v := range out["data"].(map[string]any) {
			res = v.(map[string]any)
		}
		var rows []row
		for _, e := range res["edges"].([]any) {
			n := e.(map[string]any)["node"].(map[string]any)
			rows = append(rows, row{fmt.Sprint(n["__typename"]), fmt.Sprint(n["display_label"])})
		}
		return rows, res
	}
	const prefixDoc = `query($prefix: ID!) { BuiltinIPPrefix(parent__ids: [$prefix], include_available: true) {
		count edges { node { __typename display_label ... on InternalIPPrefixAvailable { prefix { value prefixlen } utilization { value }
		member_type { value } children { count } parent { node { id ancestors { count } } } } } } } }`
	const addrDoc = `query($prefix: ID!) { BuiltinIPAddress(ip_prefix__ids: [$prefix], include_available: true) {
		count edges { node { __typename display_label ... on InternalIPRangeAvailable { address { value } last_address { value } } } } } }`

	empty := prefix("10.0.0.0/24", "prefix")
	freeEnd := prefix("10.0.1.0/24", "prefix")
	prefix("10.0.1.0/27", "address")
	middle := prefix("10.0.4.0/24", "prefix")
	prefix("10.0.4.0/27", "address")
	prefix("10.0.4.224/27", "address")
	net6 := prefix("2001:db8::/48", "address")
	prefix("2001:db8::/56", "address")
	prefix("2001:db8:0:a00::/56", "address")
	prefix("2001:db8:0:f000::/64", "address")

	P, A := "NetPrefix", "InternalIPPrefixAvailable"
	cases := []struct {
		id   string
		want []row
	}{
		{empty, []row{{A, "10.0.0.0/25"}, {A, "10.0.0.128/25"}}}, // an empty prefix offers its halves (the current resolver)
		{freeEnd, []row{{P, "10.0.1.0/27"}, {A, "10.0.1.32/27"}, {A, "10.0.1.64/26"}, {A, "10.0.1.128/25"}}},
		{middle, []row{{P, "10.0.4.0/27"}, {A, "10.0.4.32/27"}, {A, "10.0.4.64/26"}, {A, "10.0.4.128/26"}, {A, "10.0.4.192/27"}, {P, "10.0.4.224/27"}}},
		{net6, []row{{P, "2001:db8::/56"}, {A, "2001:db8:0:100::/56"}, {A, "2001:db8:0:200::/55"}, {A, "2001:db8:0:400::/54"},
			{A, "2001:db8:0:800::/55"}, {P, "2001:db8:0:a00::/56"}, {A, "2001:db8:0:b00::/56"}, {A, "2001:db8:0:c00::/54"},
			{A, "2001:db8:0:1000::/52"}, {A, "2001:db8:0:2000::/51"}, {A, "2001:db8:0:4000::/50"}, {A, "2001:db8:0:8000::/50"},
			{A, "2001:db8:0:c000::/51"}, {A, "2001:db8:0:e000::/52"}, {P, "2001:db8:0:f000::/64"}, {A, "2001:db8:0:f001::/64"},
			{A, "2001:db8:0:f002::/63"}, {A, "2001:db8:0:f004::/62"}, {A, "2001:db8:0:f008::/61"}, {A, "2001:db8:0:f010::/60"},
			{A, "2001:db8:0:f020::/59"}, {A, "2001:db8:0:f040::/58"}, {A, "2001:db8:0:f080::/57"}, {A, "2001:db8:0:f100::/56"},
			{A, "2001:db8:0:f200::/55"}, {A, "2001:db8:0:f400::/54"}, {A, "2001:db8:0:f800::/53"}}},
	}
	for _, c := range cases {
		rows, res := list(prefixDoc, c.id)
		if !slices.Equal(rows, c.want) {
			t.Errorf("prefixes of %s:\n got %v\nwant %v", c.id, rows, c.want)
		}
		real := 0
		for _, r := range c.want {
			if r.kind == P {
				real++
			}
		}
		if res["count"] != float64(real) {
			t.Errorf("count %v, want %d (real children only)", res["count"], real)
		}
		for _, e := range res["edges"].([]any) {
			n := e.(map[string]any)["node"].(map[string]any)
			if n["__typename"] != A {
				continue
			}
			if n["prefix"].(map[string]any)["value"] != n["display_label"] || n["utilization"].(map[string]any)["value"] != nil ||
				n["member_type"].(map[string]any)["value"] != "address" || n["children"].(map[string]any)["count"] != float64(0) {
				t.Errorf("available prefix: %v", n)
			}
			if p := n["parent"].(map[string]any)["node"].(map[string]any); p["id"] != c.id {
				t.Errorf("available prefix parent: %v", p)
			}
		}
	}

	// addresses (test_ipaddress_include_available)
	allFree := prefix("10.1.0.0/29", "address")
	start := prefix("10.1.2.0/29", "address")
	addr("10.1.2.4/29")
	addr("10.1.2.5/29")
	mid := prefix("10.1.4.0/29", "address")
	addr("10.1.4.1/29")
	addr("10.1.4.4/29")
	v6 := prefix("2001:db9::/64", "address")
	for _, a := range []string{"2001:db9::1/64", "2001:db9::2/64", "2001:db9::1f/64", "2001:db9::ff/64", "2001:db9::100:1/64", "2001:db9::ffff:ffff:ffff:ffff/64"} {
		addr(a)
	}
	I, R := "NetAddress", "InternalIPRangeAvailable"
	many := "More than 65536 IP addresses available"
	acases := []struct {
		id   string
		want []row
	}{
		{allFree, []row{{R, "6 IP addresses available"}}},
		{start, []row{{R, "3 IP addresses available"}, {I, "10.1.2.4/29"}, {I, "10.1.2.5/29"}, {R, "1 IP address available"}}},
		{mid, []row{{I, "10.1.4.1/29"}, {R, "2 IP addresses available"}, {I, "10.1.4.4/29"}, {R, "2 IP addresses available"}}},
		{v6, []row{{R, "1 IP address available"}, {I, "2001:db9::1/64"}, {I, "2001:db9::2/64"}, {R, "28 IP addresses available"},
			{I, "2001:db9::1f/64"}, {R, "223 IP addresses available"}, {I, "2001:db9::ff/64"}, {R, many},
			{I, "2001:db9::100:1/64"}, {R, many}, {I, "2001:db9::ffff:ffff:ffff:ffff/64"}}},
	}
	for _, c := range acases {
		rows, _ := list(addrDoc, c.id)
		if !slices.Equal(rows, c.want) {
			t.Errorf("addresses of %s:\n got %v\nwant %v", c.id, rows, c.want)
		}
	}
	_, res := list(addrDoc, mid)
	n := res["edges"].([]any)[1].(map[string]any)["node"].(map[string]any)
	if n["address"].(map[string]any)["value"] != "10.1.4.2/29" || n["last_address"].(map[string]any)["value"] != "10.1.4.3/29" {
		t.Errorf("range: %v", n)
	}

	// paging is over the real children, as the current resolver does it: offset 1 limit 1 reads
	// from offset 0 up to 2 children, keeps the first (a context node before the page is only
	// taken when more than 2 came back) and takes the second as the context after the page, so
	// the page is the first child and the free blocks up to the second
	out := run(t, f, graphql.Request{Query: `query($prefix: ID!) { BuiltinIPPrefix(parent__ids: [$prefix], include_available: true, offset: 1, limit: 1) {
		edges { node { __typename display_label } } } }`, Variables: map[string]any{"prefix": middle}})
	var paged []row
	for _, e := range out["data"].(map[string]any)["BuiltinIPPrefix"].(map[string]any)["edges"].([]any) {
		n := e.(map[string]any)["node"].(map[string]any)
		paged = append(paged, row{fmt.Sprint(n["__typename"]), fmt.Sprint(n["display_label"])})
	}
	if want := []row{{P, "10.0.4.0/27"}, {A, "10.0.4.32/27"}, {A, "10.0.4.64/26"}, {A, "10.0.4.128/26"}, {A, "10.0.4.192/27"}}; !slices.Equal(paged, want) {
		t.Errorf("paged:\n got %v\nwant %v", paged, want)
	}

	// the next available prefix without a length is the first free block
	// (test_ipprefix_nextavailable: 10.10.1.0/24 holding 10.10.1.0/27 gives 10.10.1.32/27)
	out = run(t, f, graphql.Request{Query: `query($p: String!) { InfrahubIPPrefixGetNextAvailable(prefix_id: $p) { prefix } }`, Variables: map[string]any{"p": freeEnd}})
	if fmt.Sprint(out["data"]) != "map[InfrahubIPPrefixGetNextAvailable:map[prefix:10.0.1.32/27]]" {
		t.Errorf("next available without length: %v", out)
	}
}
