package graphtest

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/projections/graph"
)

func (s *suite) filters(t *testing.T) {
	id := s.w.id
	tests := []struct {
		name    string
		kind    string
		filters map[string]any
		partial bool
		want    []string
	}{
		{"attr value", "", map[string]any{"name__value": "edge-1"}, false, []string{"edge-1"}},
		{"attr value no match", "", map[string]any{"name__value": "edge"}, false, nil},
		{"attr values", "", map[string]any{"name__values": []any{"edge-1", "core-1", "nope"}}, false, []string{"core-1", "edge-1"}},
		{"attr values []string", "", map[string]any{"name__values": []string{"late-1"}}, false, []string{"late-1"}},
		{"number as int", "", map[string]any{"asn__value": 65000}, false, []string{"core-1"}},
		{"number as float", "", map[string]any{"asn__value": 65000.0}, false, []string{"core-1"}},
		{"number as json.Number", "", map[string]any{"asn__value": json.Number("65000")}, false, []string{"core-1"}},
		{"number as int64", "", map[string]any{"asn__value": int64(65020)}, false, []string{"edge-1"}},
		{"numbers", "", map[string]any{"asn__values": []int{65000, 65020}}, false, []string{"core-1", "edge-1"}},
		{"boolean", "", map[string]any{"enabled__value": false}, false, []string{"core-1"}},
		{"boolean default", "", map[string]any{"enabled__value": true}, false, []string{"edge-1", "edge-2", "late-1"}},
		{"default value", "", map[string]any{"role__value": "edge"}, false, []string{"edge-1", "edge-2", "late-1"}},
		{"isnull true", "", map[string]any{"asn__isnull": true}, false, []string{"edge-2"}},
		{"isnull false", "", map[string]any{"asn__isnull": false}, false, []string{"core-1", "edge-1", "late-1"}},
		{"description isnull", "", map[string]any{"description__isnull": true}, false, []string{"late-1"}},
		{"rel one attr", "", map[string]any{"site__name__value": "paris"}, false, []string{"edge-1", "late-1"}},
		{"rel one attr values", "", map[string]any{"site__name__values": []any{"berlin", "nyc"}}, false, []string{"core-1", "edge-2"}},
		{"rel many attr", "", map[string]any{"tags__name__value": "blue"}, false, []string{"core-1", "edge-1"}},
		{"rel many attr values", "", map[string]any{"tags__name__values": []any{"red"}}, false, []string{"edge-1", "late-1"}},
		{"rel attr of a deleted peer", "", map[string]any{"tags__name__value": "green"}, false, nil},
		{"rel many ids", "", map[string]any{"tags__ids": []any{id["blue"]}}, false, []string{"core-1", "edge-1"}},
		{"rel one ids", "", map[string]any{"site__ids": []string{id["paris"], id["nyc"]}}, false, []string{"edge-1", "edge-2", "late-1"}},
		{"rel isnull (deleted peer)", "", map[string]any{"tags__isnull": true}, false, []string{"edge-2"}},
		{"rel isnull false", "", map[string]any{"site__isnull": false}, false, []string{"core-1", "edge-1", "edge-2", "late-1"}},
		{"rel from the other end", "TestSite", map[string]any{"devices__name__value": "core-1"}, false, []string{"berlin"}},
		{"rel from the other end many", "TestTag", map[string]any{"devices__name__values": []any{"late-1"}}, false, []string{"red"}},
		{"ids", "", map[string]any{"ids": []any{id["edge-1"], id["red"], id["access-1"], "bogus"}}, false, []string{"edge-1"}},
		{"ids and attr", "", map[string]any{"ids": []string{id["edge-1"], id["core-1"]}, "role__value": "core"}, false, []string{"core-1"}},
		{"hfid", "", map[string]any{"hfid": []any{"core-1"}}, false, []string{"core-1"}},
		{"hfid of generic", "TestLocation", map[string]any{"hfid": []string{"nyc"}}, false, []string{"nyc"}},
		{"any value", "", map[string]any{"any__value": "core-1"}, false, []string{"core-1"}},
		{"any value number", "", map[string]any{"any__value": 65000}, false, []string{"core-1"}},
		{"any value number as text", "", map[string]any{"any__value": "65100"}, false, []string{"late-1"}},
		{"any value exact only", "", map[string]any{"any__value": "paris"}, false, nil},
		{"any value partial", "", map[string]any{"any__value": "PARIS"}, true, []string{"edge-1"}},
		{"any value partial number", "", map[string]any{"any__value": "650"}, true, []string{"core-1", "edge-1"}},
		{"partial", "", map[string]any{"name__value": "EDGE"}, true, []string{"edge-1", "edge-2"}},
		{"partial in filters", "", map[string]any{"name__value": "EDGE", "partial_match": true}, false, []string{"edge-1", "edge-2"}},
		{"partial values", "", map[string]any{"name__values": []any{"core", "late"}}, true, []string{"core-1", "late-1"}},
		{"partial description", "", map[string]any{"description__value": "backup edge"}, true, []string{"edge-2"}},
		{"no partial description", "", map[string]any{"description__value": "backup edge"}, false, nil},
		{"partial rel attr", "", map[string]any{"site__name__value": "PAR"}, true, []string{"edge-1", "late-1"}},
		{"and", "", map[string]any{"role__value": "edge", "site__name__value": "paris"}, false, []string{"edge-1", "late-1"}},
		{"and none", "", map[string]any{"role__value": "core", "site__name__value": "paris"}, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kind := tt.kind
			if kind == "" {
				kind = "TestDevice"
			}
			q := graph.Query{Kind: kind, Filters: tt.filters, PartialMatch: tt.partial, OrderBy: []graph.Order{{Path: "name__value"}}}
			p := s.list(t, main, q)
			if got := s.names(p.Nodes); !slices.Equal(got, tt.want) || p.Count != len(tt.want) {
				t.Errorf("List = %d %q; want %q", p.Count, got, tt.want)
			}
			if tt.partial {
				return // Count has no partial_match argument (but takes it in filters)
			}
			n, err := s.a.Count(s.ctx, main, kind, tt.filters)
			if err != nil || n != len(tt.want) {
				t.Errorf("Count = %d, %v; want %d", n, err, len(tt.want))
			}
		})
	}
}

func (s *suite) invalid(t *testing.T) {
	for filter, value := range map[string]any{
		"nope__value":         "x",
		"name__bogus":         "x",
		"name":                "x",
		"site__nope__value":   "x",
		"site__name__bogus":   "x",
		"nope":                "x",
		"name__values":        "not a list",
		"name__value":         []any{"a", "list"},
		"asn__isnull":         "yes",
		"ids":                 "not a list",
		"tags__ids":           []any{1, 2},
		"site__name__value__": "x",
	} {
		f := map[string]any{filter: value}
		_, err := s.a.List(s.ctx, main, graph.Query{Kind: "TestDevice", Filters: f})
		if !errors.Is(err, graph.ErrInvalidQuery) || !strings.Contains(err.Error(), filter) {
			t.Errorf("List filter %s=%v: %v; want ErrInvalidQuery naming the filter", filter, value, err)
		}
		if _, err := s.a.Count(s.ctx, main, "TestDevice", f); !errors.Is(err, graph.ErrInvalidQuery) {
			t.Errorf("Count filter %s=%v: %v; want ErrInvalidQuery", filter, value, err)
		}
	}
	for _, q := range []graph.Query{
		{Kind: "NoSuchKind"},
		{Kind: "TestDevice", OrderBy: []graph.Order{{Path: "nope__value"}}},
		{Kind: "TestDevice", OrderBy: []graph.Order{{Path: "tags__name__value"}}}, // cardinality many
		{Kind: "TestDevice", OrderBy: []graph.Order{{Path: "name"}}},
		{Kind: "TestDevice", Offset: -1},
		{Kind: "TestDevice", Limit: -1},
	} {
		if _, err := s.a.List(s.ctx, main, q); !errors.Is(err, graph.ErrInvalidQuery) {
			t.Errorf("List(%+v): %v; want ErrInvalidQuery", q, err)
		}
	}
	if _, err := s.a.List(s.ctx, graph.Scope{Branch: "main", At: -1}, graph.Query{Kind: "TestDevice"}); !errors.Is(err, graph.ErrInvalidQuery) {
		t.Errorf("List at a negative position: %v; want ErrInvalidQuery", err)
	}
	if _, err := s.a.Count(s.ctx, main, "NoSuchKind", nil); !errors.Is(err, graph.ErrInvalidQuery) {
		t.Errorf("Count(NoSuchKind): %v; want ErrInvalidQuery", err)
	}
	if _, err := s.a.Peers(s.ctx, main, []string{s.w.id["edge-1"]}, "TestDevice", "nope"); !errors.Is(err, graph.ErrInvalidQuery) {
		t.Errorf("Peers(nope): %v; want ErrInvalidQuery", err)
	}
	if _, err := s.a.Peers(s.ctx, main, []string{s.w.id["edge-1"]}, "NoSuchKind", "site"); !errors.Is(err, graph.ErrInvalidQuery) {
		t.Errorf("Peers(NoSuchKind): %v; want ErrInvalidQuery", err)
	}
}

func (s *suite) order(t *testing.T) {
	o := func(path string, desc bool) graph.Order { return graph.Order{Path: path, Desc: desc} }
	all := []string{"core-1", "edge-1", "edge-2", "late-1"}
	tests := []struct {
		name  string
		order []graph.Order
		want  []string
	}{
		{"schema default", nil, all},
		{"explicit name", []graph.Order{o("name__value", false)}, all},
		{"name desc", []graph.Order{o("name__value", true)}, []string{"late-1", "edge-2", "edge-1", "core-1"}},
		{"empty: by id", []graph.Order{}, s.byID(all...)},
		{"id", []graph.Order{o("id", false)}, s.byID(all...)},
		{"number, missing last", []graph.Order{o("asn__value", false)}, []string{"core-1", "edge-1", "late-1", "edge-2"}},
		{"number desc, missing first", []graph.Order{o("asn__value", true)}, []string{"edge-2", "late-1", "edge-1", "core-1"}},
		{"two keys", []graph.Order{o("role__value", false), o("name__value", true)}, []string{"core-1", "late-1", "edge-2", "edge-1"}},
		{"relationship", []graph.Order{o("site__name__value", false)}, append([]string{"core-1", "edge-2"}, s.byID("edge-1", "late-1")...)},
		{"relationship desc", []graph.Order{o("site__name__value", true)}, append(s.byID("edge-1", "late-1"), "edge-2", "core-1")},
		{"relationship then name desc", []graph.Order{o("site__name__value", false), o("name__value", true)}, []string{"core-1", "edge-2", "late-1", "edge-1"}},
		{"created desc", []graph.Order{o("node_metadata__created_at", true), o("name__value", false)}, []string{"late-1", "core-1", "edge-2", "edge-1"}},
		{"updated", []graph.Order{o("node_metadata__updated_at", false), o("name__value", false)}, []string{"edge-2", "edge-1", "core-1", "late-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.expectList(t, main, graph.Query{Kind: "TestDevice", OrderBy: tt.order}, len(tt.want), tt.want...)
		})
	}
	// A generic's order_by, and a relationship path on a generic (parent__name__value).
	s.expectList(t, main, graph.Query{Kind: "TestLocation", OrderBy: []graph.Order{o("parent__name__value", false), o("name__value", false)}}, 8,
		"nyc", "berlin-r1", "berlin", "paris", "paris-r1", "paris-r2", "america", "europe")
}

func (s *suite) paging(t *testing.T) {
	q := func(offset, limit int, filters map[string]any) graph.Query {
		return graph.Query{Kind: "TestDevice", Offset: offset, Limit: limit, Filters: filters}
	}
	s.expectList(t, main, q(1, 2, nil), 4, "edge-1", "edge-2")
	s.expectList(t, main, q(0, 0, nil), 4, "core-1", "edge-1", "edge-2", "late-1")
	s.expectList(t, main, q(3, 5, nil), 4, "late-1")
	s.expectList(t, main, q(10, 1, nil), 4)
	s.expectList(t, main, q(1, 1, map[string]any{"role__value": "edge"}), 3, "edge-2")
	s.expectList(t, main, graph.Query{Kind: "TestDevice", Offset: 1, Limit: 2, OrderBy: []graph.Order{{Path: "name__value", Desc: true}}}, 4, "edge-2", "edge-1")
	s.expectList(t, main, graph.Query{Kind: "TestLocation", Offset: 6, Limit: 10}, 8, "paris-r1", "paris-r2")
}

func (s *suite) count(t *testing.T) {
	for _, tt := range []struct {
		scope   graph.Scope
		kind    string
		filters map[string]any
		want    int
	}{
		{main, "TestDevice", nil, 4},
		{main, "TestTag", nil, 2},
		{main, "TestLocation", nil, 8},
		{main, "TestRack", nil, 3},
		{main, "TestDevice", map[string]any{}, 4},
		{main, "TestDevice", map[string]any{"role__value": "edge"}, 3},
		{main, "TestDevice", map[string]any{"name__value": "EDGE", "partial_match": true}, 2},
		{feature, "TestDevice", nil, 5},
		{feature, "TestTag", nil, 3},
		{graph.Scope{Branch: "main", At: s.w.pos["devices"]}, "TestDevice", nil, 4},
		{graph.Scope{Branch: "main", At: s.w.pos["tags"]}, "TestDevice", nil, 0},
	} {
		n, err := s.a.Count(s.ctx, tt.scope, tt.kind, tt.filters)
		if err != nil || n != tt.want {
			t.Errorf("Count(%+v, %s, %v) = %d, %v; want %d", tt.scope, tt.kind, tt.filters, n, err, tt.want)
		}
	}
}
