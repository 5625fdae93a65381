package graph

import "sort"

// version is one value of a key from a log position on; deleted means "absent from pos on".
type version[V any] struct {
	pos     int64
	val     V
	deleted bool
}

// latest is the last version at or before pos in a chain sorted by position.
func latest[V any](chain []version[V], pos int64) (version[V], bool) {
	i := sort.Search(len(chain), func(i int) bool { return chain[i].pos > pos })
	if i == 0 {
		return version[V]{}, false
	}
	return chain[i-1], true
}

// chunkBits sizes the chunks of a chunked vector: 4,096 elements.
const chunkBits = 12

// chunked is a vector stored in chunks of 1<<chunkBits elements: growing it never copies what
// it holds (a plain slice of millions of heads spends most of a bulk load copying itself, under
// the garbage collector's write barriers). Only the first chunk grows by appending, so a small
// vector stays small.
type chunked[T any] struct {
	chunks [][]T
	n      int
}

func (c *chunked[T]) len() int { return c.n }

// at is element i (i < len).
func (c *chunked[T]) at(i uint32) *T {
	return &c.chunks[i>>chunkBits][i&(1<<chunkBits-1)]
}

// push appends v and returns its number.
func (c *chunked[T]) push(v T) uint32 {
	k := len(c.chunks)
	if k == 0 || len(c.chunks[k-1]) == 1<<chunkBits {
		size := 1 << chunkBits
		if k == 0 {
			size = 8
		}
		c.chunks = append(c.chunks, make([]T, 0, size))
		k++
	}
	c.chunks[k-1] = append(c.chunks[k-1], v)
	c.n++
	return uint32(c.n - 1)
}

// grow makes the vector n elements long (zero values), for a reader that fills them by number.
func (c *chunked[T]) grow(n int) {
	for c.n < n {
		k := len(c.chunks)
		if k == 0 || len(c.chunks[k-1]) == 1<<chunkBits {
			c.chunks = append(c.chunks, make([]T, 0, min(1<<chunkBits, n-c.n)))
			k++
		}
		last := c.chunks[k-1]
		add := min(1<<chunkBits-len(last), n-c.n)
		if len(last)+add > cap(last) {
			bigger := make([]T, len(last), 1<<chunkBits)
			copy(bigger, last)
			last = bigger
		}
		c.chunks[k-1] = last[:len(last)+add]
		c.n += add
	}
}

// overlay is a branch's (or the global) store: a chain per key it changed. The map is created
// on the first write, so an empty overlay allocates nothing.
type overlay[K comparable, V any] struct {
	m map[K][]version[V]
}

func (o *overlay[K, V]) set(k K, v version[V]) {
	if o.m == nil {
		o.m = map[K][]version[V]{}
	}
	ch := o.m[k]
	if n := len(ch); n > 0 && ch[n-1].pos == v.pos {
		ch[n-1] = v
		return
	}
	o.m[k] = append(ch, v)
}

func (o *overlay[K, V]) at(k K, pos int64) (version[V], bool) {
	return latest(o.m[k], pos)
}

// final is k's last version in the overlay.
func (o *overlay[K, V]) final(k K) (version[V], bool) {
	ch := o.m[k]
	if len(ch) == 0 {
		return version[V]{}, false
	}
	return ch[len(ch)-1], true
}

// counter is a chain of (position, n): a count on main, a delta on an overlay.
type counter []struct{ pos, n int64 }

func (c *counter) add(pos, delta int64) {
	s := *c
	if k := len(s); k > 0 && s[k-1].pos == pos {
		s[k-1].n += delta
		return
	}
	var prev int64
	if k := len(s); k > 0 {
		prev = s[k-1].n
	}
	*c = append(s, struct{ pos, n int64 }{pos, prev + delta})
}

func (c counter) at(pos int64) int64 {
	i := sort.Search(len(c), func(i int) bool { return c[i].pos > pos })
	if i == 0 {
		return 0
	}
	return c[i-1].n
}
