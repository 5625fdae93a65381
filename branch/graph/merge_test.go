package graph

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// Random writes on main and on a branch, then a merge: main ends with the branch's final value
// of every slot, edge and node the branch changed, and its own value elsewhere (the reference
// model: the branch's final values over main). Edges of cardinality-many slots merge one by one.
func TestMergeChangesRandom(t *testing.T) {
	for seed := range uint64(40) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 7))
			s := NewState()
			nodes := make([]NodeID, 6)
			pos := int64(0)
			at := func() int64 { pos++; return pos }
			now := time.Unix(0, 0)
			for i := range nodes {
				nodes[i] = NewNodeID()
				if err := s.Apply(Main, at(), now, Change{Op: OpCreate, Node: nodes[i], Kind: 1},
					Change{Op: OpSetAttr, Node: nodes[i], Field: 1, Value: Value{Data: "v0"}}); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.CreateBranch("b", pos); err != nil {
				t.Fatal(err)
			}
			type key struct {
				node  int
				field FieldID
				peer  int
			}
			branchTouched := map[key]bool{}
			random := func(br string) {
				n := r.IntN(len(nodes))
				var c Change
				k := key{node: n, peer: -1}
				switch r.IntN(4) {
				case 0, 1:
					f := FieldID(1 + r.IntN(2))
					c = Change{Op: OpSetAttr, Node: nodes[n], Field: f, Value: Value{Data: fmt.Sprint(br, r.IntN(3))}}
					k.field = f
				case 2:
					p := r.IntN(len(nodes))
					c = Change{Op: OpAddPeers, Node: nodes[n], Field: 3, Value: Value{Peers: []NodeID{nodes[p]}}}
					k.field, k.peer = 3, p
				case 3:
					p := r.IntN(len(nodes))
					c = Change{Op: OpRemovePeers, Node: nodes[n], Field: 3, Value: Value{Peers: []NodeID{nodes[p]}}}
					k.field, k.peer = 3, p
				}
				if br == "b" {
					branchTouched[k] = true
				}
				if err := s.Apply(br, at(), now, c); err != nil {
					t.Fatal(err)
				}
			}
			for range 30 {
				if r.IntN(2) == 0 {
					random(Main)
				} else {
					random("b")
				}
			}
			// The reference: per slot or edge, the branch's final value if it differs from the
			// base (a net change of the branch), else main's head.
			type want struct {
				val Value
				ok  bool
			}
			expect := map[key]want{}
			for n := range nodes {
				for _, f := range []FieldID{1, 2} {
					sl := Slot{nodes[n], f}
					src := Main
					bv, bok, _ := s.Get("b", sl, math.MaxInt64)
					base, baseok, _ := s.Get(Main, sl, 6)
					if branchTouched[key{n, f, -1}] && (bok != baseok || bok && !bv.Equal(base)) {
						src = "b"
					}
					v, ok, _ := s.Get(src, sl, math.MaxInt64)
					expect[key{n, f, -1}] = want{v, ok}
				}
				for p := range nodes {
					src := Main
					inBranch, _ := s.HasPeer("b", Slot{nodes[n], 3}, nodes[p], math.MaxInt64)
					atBase, _ := s.HasPeer(Main, Slot{nodes[n], 3}, nodes[p], 6)
					if branchTouched[key{n, 3, p}] && inBranch != atBase {
						src = "b"
					}
					has, _ := s.HasPeer(src, Slot{nodes[n], 3}, nodes[p], math.MaxInt64)
					expect[key{n, 3, p}] = want{ok: has}
				}
			}
			cs, err := s.MergeChanges("b", MergeSpec{})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Apply(Main, at(), now, cs...); err != nil {
				t.Fatal(err)
			}
			for k, w := range expect {
				if k.peer >= 0 {
					if got, _ := s.HasPeer(Main, Slot{nodes[k.node], 3}, nodes[k.peer], math.MaxInt64); got != w.ok {
						t.Errorf("seed %d: edge %d→%d on main after merge: %v, want %v", seed, k.node, k.peer, got, w.ok)
					}
					continue
				}
				got, ok, _ := s.Get(Main, Slot{nodes[k.node], k.field}, math.MaxInt64)
				if ok != w.ok || ok && !got.Equal(w.val) {
					t.Errorf("seed %d: node %d field %d on main after merge: %v %v, want %v %v", seed, k.node, k.field, got, ok, w.val, w.ok)
				}
			}
			// Merged: the branch now has nothing main lacks.
			again, _ := s.MergeChanges("b", MergeSpec{})
			if len(again) != 0 {
				t.Errorf("a second merge writes %d changes: %v", len(again), again)
			}
		})
	}
}
