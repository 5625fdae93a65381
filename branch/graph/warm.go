package graph

import "unsafe"

// Prefetch asks the processor to bring in the places of main's index tables that the creations
// and claims among changes will probe, without waiting for them: a node's place in the node
// index and a value's in the unique index are random in tables of millions, so each probe is a
// cache miss. A caller that knows the changes it applies next (a pipelined fold) prefetches
// them while it applies the current ones, so that their misses are over by then. It changes
// nothing a read can see.
func (s *State) Prefetch(changes []Change) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	s.main.warm(changes)
}

// warm prefetches what changes will probe on main (see Prefetch); Apply calls it first, so
// that the misses of a batch overlap rather than stall the fold one by one.
func (m *mainState) warm(changes []Change) {
	nodes, unique := &m.table.nums, &m.unique.index
	for i := range changes {
		c := &changes[i]
		switch {
		case c.Global:
		case c.Op == OpCreate && len(nodes.slots) > 0:
			prefetch(unsafe.Pointer(&nodes.slots[nodes.place(hashID(c.Node))]))
		case c.Op == OpClaim && len(unique.slots) > 0:
			prefetch(unsafe.Pointer(&unique.slots[unique.place(unique.hash(uniqueKey{c.Kind, c.Constraint, c.Key}))]))
		}
	}
}
