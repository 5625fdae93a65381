package graph

// warm reads, before main applies changes, the places of the index tables that the creations
// and claims among them will probe: a node's place in the node index and a value's in the unique
// index are random in tables of millions, so each probe is a cache miss. Read one after the
// other here, the misses overlap with each other and with the work on the node's slots and
// edges instead of each stalling the fold in its turn. It changes nothing; what it reads is
// kept in warmSum only so that the reads are not left out.
func (m *mainState) warm(changes []Change) {
	var sum uint32
	nodes, unique := &m.table.nums, &m.unique.index
	for i := range changes {
		c := &changes[i]
		switch {
		case c.Global:
		case c.Op == OpCreate && len(nodes.slots) > 0:
			sum += nodes.slots[nodes.place(hashID(c.Node))].num
		case c.Op == OpClaim && len(unique.slots) > 0:
			sum += unique.slots[unique.place(unique.hash(uniqueKey{c.Kind, c.Constraint, c.Key}))].head
		}
	}
	m.warmSum += sum
}
