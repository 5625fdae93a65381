package graphtest

import (
	"errors"
	"testing"

	"github.com/infrahub-go/infrahub/projections/graph"
)

func (s *suite) nextAvailable(t *testing.T) {
	id := s.w.id
	type next func(*suite, graph.Scope, string, int) (string, bool, error)
	address := func(s *suite, sc graph.Scope, p string, l int) (string, bool, error) {
		return s.a.NextAvailableAddress(s.ctx, sc, p, l)
	}
	prefix := func(s *suite, sc graph.Scope, p string, l int) (string, bool, error) {
		return s.a.NextAvailablePrefix(s.ctx, sc, p, l)
	}
	before := graph.Scope{Branch: "main", At: s.w.pos["prefixes"]} // no address yet
	for _, tt := range []struct {
		name   string
		f      next
		scope  graph.Scope
		prefix string
		length int
		want   string // "" when there is none
	}{
		{"address: the first free one", address, main, id["10.0.0.0/29"], 0, "10.0.0.3/29"},
		{"address with a mask length", address, main, id["10.0.0.0/29"], 32, "10.0.0.3/32"},
		{"address before the addresses", address, before, id["10.0.0.0/29"], 0, "10.0.0.1/29"},
		{"address: full prefix", address, main, id["10.0.1.0/30"], 0, ""},
		{"address under child prefixes", address, main, id["10.1.0.0/16"], 0, "10.1.0.1/16"},
		{"prefix: after the child", prefix, main, id["10.1.0.0/16"], 24, "10.1.1.0/24"},
		{"prefix: shorter than the child", prefix, main, id["10.1.0.0/16"], 20, "10.1.16.0/20"},
		{"prefix: full", prefix, main, id["10.2.0.0/24"], 25, ""},
		{"prefix: full, longer", prefix, main, id["10.2.0.0/24"], 28, ""},
		{"prefix before it existed", prefix, graph.Scope{Branch: "main", At: s.w.pos["delete"]}, id["10.1.0.0/16"], 24, "error"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, ok, err := tt.f(s, tt.scope, tt.prefix, tt.length)
			if tt.want == "error" { // the prefix does not exist yet
				if !errors.Is(err, graph.ErrInvalidQuery) {
					t.Errorf("= %q, %v, %v; want ErrInvalidQuery", got, ok, err)
				}
				return
			}
			if err != nil || got != tt.want || ok != (tt.want != "") {
				t.Errorf("= %q, %v, %v; want %q, %v", got, ok, err, tt.want, tt.want != "")
			}
		})
	}
	for _, tt := range []struct {
		name   string
		f      next
		prefix string
		length int
	}{
		{"address of a device", address, id["edge-1"], 0},
		{"prefix of a device", prefix, id["edge-1"], 24},
		{"address of an address", address, id["10.0.0.1/29"], 0},
		{"malformed id", address, "not-an-id", 0},
		{"unknown id", prefix, "0190a0a0-0000-7000-8000-000000000000", 24},
		{"address with a length shorter than the prefix", address, id["10.0.0.0/29"], 24},
		{"prefix no longer than the prefix", prefix, id["10.1.0.0/16"], 16},
		{"prefix longer than an address", prefix, id["10.1.0.0/16"], 33},
	} {
		if got, ok, err := tt.f(s, main, tt.prefix, tt.length); !errors.Is(err, graph.ErrInvalidQuery) {
			t.Errorf("%s: = %q, %v, %v; want ErrInvalidQuery", tt.name, got, ok, err)
		}
	}
	if _, _, err := s.a.NextAvailableAddress(s.ctx, graph.Scope{Branch: "nope"}, id["10.0.0.0/29"], 0); !errors.Is(err, graph.ErrBranchNotFound) {
		t.Errorf("unknown branch: %v; want ErrBranchNotFound", err)
	}
}

// utilization checks the "utilization" attribute of IP prefixes, computed when read.
func (s *suite) utilization(t *testing.T) {
	for _, tt := range []struct {
		scope  graph.Scope
		prefix string
		want   float64
	}{
		{main, "10.0.0.0/29", 50},   // 3 addresses of 6 usable hosts
		{main, "10.0.1.0/30", 100},  // 2 of 2
		{main, "10.1.0.0/16", 0.39}, // a /24 of a /16 (member_type prefix), rounded to 2 decimals
		{main, "10.2.0.0/24", 100},  // two /25
		{main, "10.1.0.0/24", 0},    // no address
		{graph.Scope{Branch: "main", At: s.w.pos["prefixes"]}, "10.0.0.0/29", 0}, // before the addresses
	} {
		if got := s.attr(t, tt.scope, tt.prefix, "utilization"); got != tt.want {
			t.Errorf("Get(%s at %d): utilization %v; want %v", tt.prefix, tt.scope.At, got, tt.want)
		}
	}
	p := s.list(t, main, graph.Query{Kind: "TestPrefix", Fields: []string{"utilization"},
		Filters: map[string]any{"ids": []any{s.w.id["10.0.0.0/29"], s.w.id["10.0.1.0/30"]}}})
	got := map[string]any{}
	for _, n := range p.Nodes {
		got[s.w.name[n.ID]] = n.Attributes["utilization"].Value
	}
	if got["10.0.0.0/29"] != float64(50) || got["10.0.1.0/30"] != float64(100) || len(got) != 2 {
		t.Errorf("List(TestPrefix, Fields [utilization]) = %v; want 50 and 100", got)
	}
}
