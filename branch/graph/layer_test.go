package graph

import "testing"

func TestChunked(t *testing.T) {
	var c chunked[int]
	const n = 3*(1<<chunkBits) + 17
	for i := range n {
		if got := c.push(i * 2); got != uint32(i) {
			t.Fatalf("push %d numbered %d", i, got)
		}
	}
	p := c.at(5)
	for i := range n {
		if *c.at(uint32(i)) != i*2 {
			t.Fatalf("element %d = %d", i, *c.at(uint32(i)))
		}
	}
	c.push(-1) // growing never moves what is stored
	if p != c.at(5) || *p != 10 {
		t.Fatal("an element moved while the vector grew")
	}
	var g chunked[int]
	g.grow(1<<chunkBits + 3)
	g.grow(1<<chunkBits + 3) // no-op
	if g.len() != 1<<chunkBits+3 {
		t.Fatalf("grown to %d", g.len())
	}
	*g.at(1 << chunkBits) = 7
	if i := g.push(9); i != 1<<chunkBits+3 || *g.at(i) != 9 || *g.at(1 << chunkBits) != 7 {
		t.Fatalf("push after grow: %d", i)
	}
}
