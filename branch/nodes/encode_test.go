package nodes_test

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/infrahub-go/infrahub/branch/nodes"
)

// AppendPayload writes what encoding/json writes, byte for byte, so that the stored events do
// not change (the golden logs replay, other readers decode them).
func TestAppendPayloadIsEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	strs := []string{"", "r1", "a benchmark device", "ü é 日本", "<b>&amp;</b>", "quote \" back \\ slash", "tab\tnl\n\r\b\f\x01\x1f",
		"\u2028\u2029", "bad \xff utf8", "\xe2\x82", "0190a3c4-0000-7000-8000-000000000001", "r:x__y|out", "émoji 🚀"}
	str := func() string { return strs[r.IntN(len(strs))] }
	floats := []float64{0, math.Copysign(0, -1), 1, -1, 64512, 0.1, 1e-7, 1.5e-9, 1e20, 1e21, 123456789e15, -2.5e-300, math.MaxFloat64, math.SmallestNonzeroFloat64, 3.14159}
	var value func(depth int) any
	value = func(depth int) any {
		switch r.IntN(9) {
		case 0:
			return nil
		case 1:
			return r.IntN(2) == 0
		case 2, 3:
			return floats[r.IntN(len(floats))]
		case 4:
			if depth < 2 {
				l := []any{}
				for range r.IntN(3) {
					l = append(l, value(depth+1))
				}
				return l
			}
		case 5:
			if depth < 2 {
				m := map[string]any{}
				for range r.IntN(3) {
					m[str()] = value(depth + 1)
				}
				return m
			}
		case 6:
			return r.IntN(100) // not canonical, still encoded as encoding/json does
		}
		return str()
	}
	attrs := func() map[string]nodes.Attr {
		if r.IntN(5) == 0 {
			return nil
		}
		m := map[string]nodes.Attr{}
		for range r.IntN(6) {
			m[str()] = nodes.Attr{Value: value(0), IsDefault: r.IntN(2) == 0, Source: str(), Owner: str(), IsProtected: r.IntN(2) == 0, Global: r.IntN(3) == 0}
		}
		return m
	}
	edges := func() []nodes.Edge {
		var es []nodes.Edge
		if r.IntN(4) == 0 {
			es = []nodes.Edge{}
		}
		for range r.IntN(3) {
			es = append(es, nodes.Edge{Node: str(), Field: str(), Peer: str(), Remove: r.IntN(2) == 0, Global: r.IntN(2) == 0})
		}
		return es
	}
	props := func() map[string]nodes.Props {
		if r.IntN(3) == 0 {
			return nil
		}
		m := map[string]nodes.Props{}
		for range r.IntN(3) {
			m[str()] = nodes.Props{Source: str(), Owner: str(), IsProtected: r.IntN(2) == 0, Global: r.IntN(2) == 0}
		}
		return m
	}
	claims := func() []nodes.Claim {
		var cs []nodes.Claim
		for range r.IntN(3) {
			cs = append(cs, nodes.Claim{Kind: str(), Constraint: str(), Key: str(), Release: r.IntN(2) == 0, Global: r.IntN(2) == 0})
		}
		return cs
	}
	strings := func() []string {
		switch r.IntN(3) {
		case 0:
			return nil
		case 1:
			return []string{}
		}
		return []string{str(), str()}
	}
	for i := range 3000 {
		var p any
		switch i % 3 {
		case 0:
			p = nodes.Created{ID: str(), Kind: str(), Global: r.IntN(2) == 0, Attributes: attrs(), Edges: edges(), RelProps: props(),
				HFID: strings(), DisplayLabel: str(), Claims: claims()}
		case 1:
			u := nodes.Updated{ID: str(), Kind: str(), Global: r.IntN(2) == 0, Attributes: attrs(), Edges: edges(), RelProps: props(), Claims: claims()}
			if r.IntN(2) == 0 {
				h := strings()
				u.HFID = &h
			}
			if r.IntN(2) == 0 {
				l := str()
				u.DisplayLabel = &l
			}
			p = u
		default:
			p = nodes.Deleted{ID: str(), Kind: str(), Global: r.IntN(2) == 0, Edges: edges(), Claims: claims()}
		}
		want, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		got, ok, err := nodes.AppendPayload([]byte("prefix"), p)
		if !ok || err != nil {
			t.Fatalf("%T: ok %v, err %v", p, ok, err)
		}
		if !bytes.Equal(got[len("prefix"):], want) {
			t.Fatalf("payload %d (%T):\n got %s\nwant %s", i, p, got[len("prefix"):], want)
		}
	}
	if _, ok, _ := nodes.AppendPayload(nil, struct{}{}); ok {
		t.Fatal("another type is encoded")
	}
}
