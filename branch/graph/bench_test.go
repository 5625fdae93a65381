package graph

import (
	"fmt"
	"runtime"
	"syscall"
	"testing"
)

// BenchmarkApplySlotSets applies 1M attribute sets on main, 1000 per position, over 100k nodes
// × 6 fields (600k slots, 400k of them set twice, so with a chain), and reports ns per set. The
// "plain-map" case stores the same values in a map[Slot]Value, for scale.
func BenchmarkApplySlotSets(b *testing.B) {
	const sets, batch = 1_000_000, 1000
	change := func(k int) Change {
		return Change{Op: OpSetAttr, Node: id(k % 100_000), Field: FieldID(1 + (k/100_000)%6), Value: Value{Data: int64(k)}}
	}
	b.Run("state", func(b *testing.B) {
		for b.Loop() {
			s := NewState()
			cs := make([]Change, batch)
			pos := int64(0)
			for done := 0; done < sets; done += batch {
				for i := range cs {
					cs[i] = change(done + i)
				}
				pos++
				if err := s.Apply(Main, pos, at(pos), cs...); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*sets), "ns/set")
	})
	b.Run("plain-map", func(b *testing.B) {
		for b.Loop() {
			m := map[Slot]Value{}
			for k := range sets {
				c := change(k)
				m[Slot{c.Node, c.Field}] = c.Value
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*sets), "ns/set")
	})
}

// populate builds main with nodes × 6 attribute slots, then updates one slot in ten (so a
// tenth of the slots has a chain), and a branch with a few changes.
func populate(tb testing.TB, nodes int) *State {
	s := NewState()
	pos := int64(1)
	cs := make([]Change, 0, 7*1000)
	for start := 0; start < nodes; start += 1000 {
		cs = cs[:0]
		for i := start; i < min(start+1000, nodes); i++ {
			cs = append(cs, create(i, kDevice))
			for f := FieldID(1); f <= 6; f++ {
				cs = append(cs, set(i, f, fmt.Sprintf("n%d-f%d", i, f)))
			}
		}
		if err := s.Apply(Main, pos, at(pos), cs...); err != nil {
			tb.Fatal(err)
		}
		pos++
	}
	for start := 0; start < nodes; start += 10_000 {
		cs = cs[:0]
		for i := start; i < min(start+10_000, nodes); i += 10 {
			cs = append(cs, set(i, fName, "updated"))
		}
		if err := s.Apply(Main, pos, at(pos), cs...); err != nil {
			tb.Fatal(err)
		}
		pos++
	}
	return s
}

// BenchmarkReads reads random slots on main (head and past) and on a branch.
func BenchmarkReads(b *testing.B) {
	const nodes = 100_000
	s := populate(b, nodes)
	head := s.Position()
	if err := s.CreateBranch("b", head/2); err != nil {
		b.Fatal(err)
	}
	if err := s.Apply("b", head+1, at(head+1), set(5, fName, "b"), del(7)); err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		branch string
		pos    int64
	}{
		{"main-head", Main, head},
		{"main-past", Main, 2},
		{"branch", "b", head + 1},
	} {
		b.Run(tc.name, func(b *testing.B) {
			i := 0
			for b.Loop() {
				i = (i*7919 + 1) % nodes
				if _, _, err := s.Get(tc.branch, Slot{id(i), FieldID(1 + i%6)}, tc.pos); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("count-branch", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.Count("b", kDevice, head+1); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkMemory reports the heap held by 100k nodes × 6 slots (a tenth of them updated once)
// and, for scale, by a plain Go map of the same values.
func BenchmarkMemory(b *testing.B) {
	const nodes = 100_000
	heap := func() uint64 {
		runtime.GC()
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	for b.Loop() {
		before := heap()
		s := populate(b, nodes)
		used := heap() - before
		runtime.KeepAlive(s)

		before = heap()
		plain := make(map[Slot]Value, nodes*6)
		for i := range nodes {
			for f := FieldID(1); f <= 6; f++ {
				plain[Slot{id(i), f}] = Value{Data: fmt.Sprintf("n%d-f%d", i, f)}
			}
		}
		usedPlain := heap() - before
		runtime.KeepAlive(plain)

		b.ReportMetric(float64(used)/(1<<20), "MB/100k-nodes")
		b.ReportMetric(float64(used)/float64(nodes*6), "B/slot")
		b.ReportMetric(float64(used)/float64(usedPlain), "x-plain-map")
	}
}

// BenchmarkApplyCreated applies what the node Store makes of 200k node.created events, one
// position each (a create, 4 metadata and 5 attribute sets, 2 edges to 200 hubs with their
// mirrors, 2 claims), and reports ns per node.
func BenchmarkApplyCreated(b *testing.B) {
	const nodes, hubs = 200_000, 200
	names := make([]string, nodes)
	for i := range names {
		names[i] = fmt.Sprintf("d-%d", i)
	}
	stamp := Value{Data: Stamp{At: 1, By: "bench"}}
	var ru0, ru1 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	for b.Loop() {
		s := NewState()
		cs := make([]Change, 0, 16)
		for i := range nodes {
			n, name := id(hubs+i), names[i]
			h1, h2 := id(i%(hubs/2)), id(hubs/2+i%(hubs/2))
			cs = append(cs[:0], Change{Op: OpCreate, Node: n, Kind: kDevice},
				Change{Op: OpSetAttr, Node: n, Field: 10, Value: stamp}, Change{Op: OpSetAttr, Node: n, Field: 11, Value: stamp},
				Change{Op: OpSetAttr, Node: n, Field: 12, Value: Value{Data: name}}, Change{Op: OpSetAttr, Node: n, Field: 13, Value: Value{Data: name}})
			for f := FieldID(1); f <= 5; f++ {
				cs = append(cs, Change{Op: OpSetAttr, Node: n, Field: 20 + f, Value: Value{Data: name}})
			}
			cs = append(cs, Change{Op: OpAddPeers, Node: n, Field: fSite, Value: Value{Peers: []NodeID{h1}}},
				Change{Op: OpAddPeers, Node: h1, Field: fSite + 100, Value: Value{Peers: []NodeID{n}}},
				Change{Op: OpAddPeers, Node: n, Field: fTags, Value: Value{Peers: []NodeID{h2}}},
				Change{Op: OpAddPeers, Node: h2, Field: fTags + 100, Value: Value{Peers: []NodeID{n}}},
				Change{Op: OpClaim, Kind: kDevice, Constraint: cName, Key: name, Node: n},
				Change{Op: OpClaim, Kind: kDevice, Constraint: cName + 1, Key: name, Node: n})
			if err := s.Apply(Main, int64(i+1), at(int64(i+1)), cs...); err != nil {
				b.Fatal(err)
			}
		}
	}
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*nodes), "ns/node")
	// the CPU time of the process per node (the fold and the garbage collector): steadier than
	// the wall time on a machine other work shares
	cpu := ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano()
	b.ReportMetric(float64(cpu)/float64(b.N*nodes), "cpu-ns/node")
}
