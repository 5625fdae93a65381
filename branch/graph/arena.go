package graph

// arena hands out small slices from big blocks: the edge layer's lists of a node's relationship
// fields and of a field's peers, which a bulk load makes by the million, one or two elements
// each, and which would otherwise be as many small allocations. A full list moves to a place
// twice as big; a list that outgrows a quarter of a block leaves the arena for a slice of its
// own (a hub's peers). The old place of a moved list stays unused.
type arena[T any] struct {
	block []T
	first int // the capacity of a list's first place (at least 1)
}

const arenaSize = 1 << 10 // elements per block

// append is append(list, v), list being a slice the arena handed out (or nil).
func (a *arena[T]) append(list []T, v T) []T {
	if len(list) < cap(list) {
		return append(list, v)
	}
	size := max(1, 2*cap(list))
	if len(list) == 0 {
		size = max(1, a.first)
	}
	if size > arenaSize/4 {
		return append(list, v)
	}
	if len(a.block)+size > cap(a.block) {
		a.block = make([]T, 0, arenaSize)
	}
	start := len(a.block)
	a.block = a.block[:start+size]
	out := append(a.block[start:start:start+size], list...)
	clear(list) // the old place keeps no values alive
	return append(out, v)
}
