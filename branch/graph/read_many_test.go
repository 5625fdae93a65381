package graph

import (
	"math/rand/v2"
	"reflect"
	"testing"
)

// Data and Fields answer what Get answers, slot by slot (without the peers), on main and on a
// branch, at the head and in the past, for slots set, changed, cleared, never set, of nodes
// written last (the node being written) and earlier, and of unknown nodes.
func TestReadManyAsGet(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	s := NewState()
	fields := []FieldID{fName, fDescr, fSite, 9}
	val := func() any {
		switch rng.IntN(4) {
		case 0:
			return rng.IntN(5) == 0
		case 1:
			return float64(rng.IntN(100))
		default:
			return []string{"a", "b", "c", "d"}[rng.IntN(4)]
		}
	}
	change := func(n int) Change {
		f := fields[rng.IntN(3)]
		if rng.IntN(6) == 0 {
			return Change{Op: OpClear, Node: id(n), Field: f}
		}
		c := set(n, f, val())
		if rng.IntN(3) == 0 {
			c.Value.Lineage = Lineage{Source: id(99), IsProtected: true}
		}
		return c
	}
	pos := int64(0)
	for n := 1; n <= 20; n++ {
		pos++
		apply(t, s, Main, pos, create(n, kDevice), set(n, fName, val()), set(n, fDescr, val()))
	}
	for range 60 {
		pos++
		apply(t, s, Main, pos, change(1+rng.IntN(20)))
	}
	if err := s.CreateBranch("b", pos); err != nil {
		t.Fatal(err)
	}
	for range 60 {
		pos++
		apply(t, s, "b", pos, change(1+rng.IntN(20)))
		pos++
		apply(t, s, Main, pos, change(1+rng.IntN(20)))
	}
	nodes := ids(0, 1, 2, 3, 5, 8, 13, 17, 20, 21)
	for _, br := range []string{Main, "b"} {
		for _, at := range []int64{0, 5, 25, 60, 80, 100, 140, pos, pos + 10} {
			for _, f := range fields {
				data := make([]any, len(nodes))
				if err := s.Many().Data(br, nodes, f, at, data); err != nil {
					t.Fatal(err)
				}
				for i, n := range nodes {
					v, ok, err := s.Get(br, Slot{n, f}, at)
					if err != nil {
						t.Fatal(err)
					}
					want := any(nil)
					if ok {
						want = v.Data
					}
					if !reflect.DeepEqual(data[i], want) {
						t.Errorf("%s@%d node %d field %d: Data %v, Get %v", br, at, i, f, data[i], want)
					}
				}
			}
			for _, n := range nodes {
				fs := []FieldID{fDescr, 9, fName, fSite, fName}
				vals, oks := make([]Value, len(fs)), make([]bool, len(fs))
				if err := s.Many().Fields(br, n, fs, at, vals, oks); err != nil {
					t.Fatal(err)
				}
				for i, f := range fs {
					v, ok, _ := s.Get(br, Slot{n, f}, at)
					if !ok {
						v = Value{}
					}
					if ok != oks[i] || !reflect.DeepEqual(v, vals[i]) {
						t.Errorf("%s@%d node %v field %d: Fields %v %v, Get %v %v", br, at, n, f, vals[i], oks[i], v, ok)
					}
				}
			}
		}
	}
}
