package neo4j

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/infrahub-go/infrahub/branch"
	bg "github.com/infrahub-go/infrahub/branch/graph"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/projections/graph"
	"github.com/infrahub-go/infrahub/schema"
)

const ipamSchema = `
version: "1.0"
nodes:
  - name: Prefix
    namespace: Test
    inherit_from: [BuiltinIPPrefix]
  - name: Address
    namespace: Test
    inherit_from: [BuiltinIPAddress]
  - name: Device
    namespace: Test
    attributes:
      - {name: name, kind: Text}
`

const (
	p1  = "0190a0a0-0000-7000-8000-000000000101" // 10.0.0.0/29: .1, .2 and .4 used
	p2  = "0190a0a0-0000-7000-8000-000000000102" // 10.1.0.0/16, child c1
	c1  = "0190a0a0-0000-7000-8000-000000000103" // 10.1.0.0/24: .1 used
	a1  = "0190a0a0-0000-7000-8000-000000000111"
	a2  = "0190a0a0-0000-7000-8000-000000000112"
	a4  = "0190a0a0-0000-7000-8000-000000000114"
	a5  = "0190a0a0-0000-7000-8000-000000000115"
	dv1 = "0190a0a0-0000-7000-8000-000000000120"
)

// ipamLog writes ipamSchema's prefixes and addresses on main.
func ipamLog(t *testing.T) []events.Envelope {
	main := branch.Stream(branch.Default)
	create := func(pos int64, id, kind string, attrs map[string]nodes.Attr, edges ...nodes.Edge) events.Envelope {
		return env(t, pos, main, nodes.TypeCreated, nodes.Created{ID: id, Kind: kind, Attributes: attrs, Edges: edges})
	}
	prefix := func(p string) map[string]nodes.Attr { return map[string]nodes.Attr{"prefix": {Value: p}} }
	address := func(pos int64, id, a, in string) events.Envelope {
		return create(pos, id, "TestAddress", map[string]nodes.Attr{"address": {Value: a}}, nodes.Edge{Field: "r:ip_prefix__ip_address|both", Peer: in})
	}
	return []events.Envelope{
		create(2, p1, "TestPrefix", prefix("10.0.0.0/29")),
		create(3, p2, "TestPrefix", map[string]nodes.Attr{"prefix": {Value: "10.1.0.0/16"}, "member_type": {Value: "prefix"}}),
		create(4, c1, "TestPrefix", prefix("10.1.0.0/24"), nodes.Edge{Field: "r:parent__child|out", Peer: p2}),
		address(5, a1, "10.0.0.1/29", p1), address(6, a2, "10.0.0.2/29", p1), address(7, a4, "10.0.0.4/29", p1),
		address(8, a5, "10.1.0.1/24", c1),
		create(9, dv1, "TestDevice", map[string]nodes.Attr{"name": {Value: "d"}}),
	}
}

// The rows StmtIPAM returns on ipamLog's data, for the root node id, as the driver gives them.
func ipamRows(id string) []map[string]any {
	peer := func(name, side, id, kind, address string) any {
		m := map[string]any{"name": name, "side": side, "peer": id, "peer_kind": kind, "address": nil}
		if address != "" {
			m["address"] = `"` + address + `"`
		}
		return m
	}
	row := func(id, kind, prefix string, peers ...any) map[string]any {
		return map[string]any{"id": id, "kind": kind, "status": "active", "prefix": `"` + prefix + `"`, "peers": append([]any{}, peers...)}
	}
	addr := "ip_prefix__ip_address"
	switch id {
	case p1:
		return []map[string]any{row(p1, "TestPrefix", "10.0.0.0/29", peer(addr, "both", a4, "TestAddress", "10.0.0.4/29"),
			peer(addr, "both", a1, "TestAddress", "10.0.0.1/29"), peer(addr, "both", a2, "TestAddress", "10.0.0.2/29"))}
	case p2:
		return []map[string]any{
			row(p2, "TestPrefix", "10.1.0.0/16", peer("parent__child", "in", c1, "TestPrefix", "")),
			row(c1, "TestPrefix", "10.1.0.0/24", peer("parent__child", "out", p2, "TestPrefix", ""), peer(addr, "both", a5, "TestAddress", "10.1.0.1/24")),
		}
	case a1:
		return []map[string]any{{"id": a1, "kind": "TestAddress", "status": "active", "prefix": nil, "peers": []any{peer(addr, "both", p1, "TestPrefix", "")}}}
	case dv1:
		return []map[string]any{{"id": dv1, "kind": "TestDevice", "status": "active", "prefix": nil, "peers": []any{}}}
	}
	return nil
}

// IPAMFromRows answers what the memory adapter answers on the same data.
func TestIPAMFromRowsIsMemorys(t *testing.T) {
	store := memoryStoreOf(t, ipamSchema, ipamLog(t))
	v, err := store.View(branch.Default, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		id     string
		length int
		prefix bool
		want   string
	}{
		{p1, 0, false, "10.0.0.3/29"}, {p1, 32, false, "10.0.0.3/32"}, {p2, 0, false, "10.1.0.2/16"},
		{p2, 24, true, "10.1.1.0/24"}, {p2, 20, true, "10.1.16.0/20"}, {p1, 30, true, "10.0.0.0/30"},
		{p1, 24, false, "error"}, {p2, 16, true, "error"}, {p2, 33, true, "error"},
		{a1, 0, false, "error"}, {dv1, 24, true, "error"}, {"0190a0a0-0000-7000-8000-0000000009ff", 0, false, "error"},
	} {
		find := (*nodes.View).NextAvailableAddress
		if tt.prefix {
			find = (*nodes.View).NextAvailablePrefix
		}
		id, _ := bg.ParseNodeID(tt.id)
		mem, memOK, memErr := find(v, id, tt.length)
		got, ok, err := IPAMFromRows(v.Schema, ipamRows(tt.id), tt.id, tt.length, tt.prefix)
		if tt.want == "error" {
			if memErr == nil || !errors.Is(err, graph.ErrInvalidQuery) {
				t.Errorf("%s/%d prefix %v: memory %v, rows %q %v %v; want both to fail (ErrInvalidQuery)", tt.id, tt.length, tt.prefix, memErr, got, ok, err)
			}
			continue
		}
		if memErr != nil || mem != tt.want || got != mem || ok != memOK || err != nil {
			t.Errorf("%s/%d prefix %v: memory %q %v %v, rows %q %v %v; want %q", tt.id, tt.length, tt.prefix, mem, memOK, memErr, got, ok, err, tt.want)
		}
	}
}

// A full prefix, dead peers and children, and a prefix never set.
func TestIPAMFromRowsEdges(t *testing.T) {
	set := ipamSet(t)
	rows := ipamRows(p1)
	peers := rows[0]["peers"].([]any)
	for _, a := range []string{"10.0.0.3/29", "10.0.0.5/29", "10.0.0.6/29"} {
		peers = append(peers, map[string]any{"name": "ip_prefix__ip_address", "side": "both", "peer": a, "address": `"` + a + `"`})
	}
	rows[0]["peers"] = peers
	if got, ok, err := IPAMFromRows(set, rows, p1, 0, false); got != "" || ok || err != nil {
		t.Errorf("full prefix = %q %v %v", got, ok, err)
	}
	// A child that is not live in scope holds no space.
	rows = ipamRows(p2)
	rows[1]["status"] = "deleted"
	if got, ok, err := IPAMFromRows(set, rows, p2, 24, true); got != "10.1.0.0/24" || !ok || err != nil {
		t.Errorf("prefix with a dead child = %q %v %v", got, ok, err)
	}
	rows = ipamRows(p2)
	rows[0]["prefix"] = nil
	if _, _, err := IPAMFromRows(set, rows, p2, 24, true); !errors.Is(err, graph.ErrInvalidQuery) {
		t.Errorf("prefix never set: %v", err)
	}
}

func ipamSet(t *testing.T) *schema.Set {
	t.Helper()
	v, err := memoryStoreOf(t, ipamSchema, nil).View(branch.Default, 0)
	if err != nil {
		t.Fatal(err)
	}
	return v.Schema
}

// NextAvailable* send the branch statement (not on main) then StmtIPAM, in one transaction.
func TestIPAMSendsOneStatement(t *testing.T) {
	set := ipamSet(t)
	c := &cannedTx{answers: map[string][]map[string]any{StmtIPAM: ipamRows(p2), StmtReadBranch: {{"branched_from": int64(3)}}}}
	r, err := NewReader(ReaderConfig{Conn: c, Schema: func(context.Context, string, events.Position) (*schema.Set, error) { return set, nil }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if got, ok, err := r.NextAvailablePrefix(ctx, graph.Scope{}, p2, 24); got != "10.1.1.0/24" || !ok || err != nil {
		t.Errorf("NextAvailablePrefix = %q %v %v", got, ok, err)
	}
	if len(c.sent) != 1 || c.sent[0].Cypher != StmtIPAM {
		t.Fatalf("sent %+v", c.sent)
	}
	want := map[string]any{"id": p2, "tree": []string{"parent__child"}, "rels": []string{"ip_prefix__ip_address", "parent__child"},
		"prefix_attr": "prefix", "address_attr": "address"}
	for k, v := range want {
		if !reflect.DeepEqual(c.sent[0].Params[k], v) {
			t.Errorf("param %s = %v; want %v", k, c.sent[0].Params[k], v)
		}
	}
	c.sent = nil
	if got, ok, err := r.NextAvailableAddress(ctx, graph.Scope{Branch: "feature"}, p2, 0); got != "10.1.0.2/16" || !ok || err != nil ||
		len(c.sent) != 2 || c.sent[0].Cypher != StmtReadBranch || c.sent[1].Params["base_at"] != int64(3) {
		t.Errorf("NextAvailableAddress on a branch = %q %v %v, sent %+v", got, ok, err, c.sent)
	}
	if c.closed != 2 {
		t.Errorf("closed %d transactions; want 2", c.closed)
	}
	// A malformed id sends nothing; an unknown branch is not found.
	c.sent = nil
	if _, _, err := r.NextAvailableAddress(ctx, graph.Scope{}, "not-an-id", 0); !errors.Is(err, graph.ErrInvalidQuery) || len(c.sent) != 0 {
		t.Errorf("malformed id: %v, sent %d", err, len(c.sent))
	}
	c.answers[StmtReadBranch] = nil
	if _, _, err := r.NextAvailablePrefix(ctx, graph.Scope{Branch: "nope"}, p2, 24); !errors.Is(err, graph.ErrBranchNotFound) {
		t.Errorf("unknown branch: %v", err)
	}
}

// Utilization computes from the util column what the memory adapter computes.
func TestUtilizationIsMemorys(t *testing.T) {
	store := memoryStoreOf(t, ipamSchema, ipamLog(t))
	v, err := store.View(branch.Default, 0)
	if err != nil {
		t.Fatal(err)
	}
	peer := func(name, side, id, prefix string) any {
		m := map[string]any{"name": name, "side": side, "peer": id, "prefix": nil}
		if prefix != "" {
			m["prefix"] = `"` + prefix + `"`
		}
		return m
	}
	addr, tree := "ip_prefix__ip_address", "parent__child"
	for _, tt := range []struct {
		id     string
		stored map[string]graph.Attribute
		util   []any
		want   float64
	}{
		{p1, map[string]graph.Attribute{"prefix": {Value: "10.0.0.0/29"}},
			[]any{peer(addr, "both", a1, ""), peer(addr, "both", a2, ""), peer(addr, "both", a4, ""), peer(addr, "both", a4, "")}, 50},
		{p2, map[string]graph.Attribute{"prefix": {Value: "10.1.0.0/16"}, "member_type": {Value: "prefix"}},
			[]any{peer(tree, "in", c1, "10.1.0.0/24")}, 0.39},
		{c1, map[string]graph.Attribute{"prefix": {Value: "10.1.0.0/24"}},
			[]any{peer(tree, "out", p2, "10.1.0.0/16"), peer(addr, "both", a5, "")}, 0.39},
	} {
		id, _ := bg.ParseNodeID(tt.id)
		mem, memOK := v.Utilization(id)
		got, ok := Utilization(v.Schema, "TestPrefix", tt.stored, tt.util)
		if !ok || !memOK || got != mem || got != tt.want {
			t.Errorf("%s: utilization %v %v, memory %v %v; want %v", tt.id, got, ok, mem, memOK, tt.want)
		}
	}
	if _, ok := Utilization(v.Schema, "TestDevice", nil, nil); ok {
		t.Error("a device has a utilization")
	}
	// Read through Get: the attribute is computed from the row's util column.
	row := map[string]any{"id": p1, "kind": "TestPrefix", "attrs": []any{
		map[string]any{"name": "prefix", "json": `"10.0.0.0/29"`, "is_default": false, "is_protected": false}},
		"util": []any{peer(addr, "both", a1, ""), peer(addr, "both", a2, ""), peer(addr, "both", a4, "")}}
	c := &cannedTx{answers: map[string][]map[string]any{StmtReadNodes: {row}}}
	r, err := NewReader(ReaderConfig{Conn: c, Schema: func(context.Context, string, events.Position) (*schema.Set, error) { return v.Schema, nil }})
	if err != nil {
		t.Fatal(err)
	}
	n, err := r.Get(context.Background(), graph.Scope{}, p1)
	if err != nil || n.Attributes["utilization"] != (graph.Attribute{Value: 50.0}) {
		t.Errorf("Get = %+v, %v; want utilization 50", n.Attributes["utilization"], err)
	}
	if p := c.sent[0].Params; !reflect.DeepEqual(p["prefix_kinds"], []string{"TestPrefix"}) ||
		!reflect.DeepEqual(p["util_rels"], []string{"ip_prefix__ip_address", "parent__child"}) || p["prefix_attr"] != "prefix" {
		t.Errorf("StmtReadNodes params %v", p)
	}
}
