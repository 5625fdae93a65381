package graph

import "unsafe"

// prefetch asks the processor to bring the cache line at p in, without waiting for it: a plain
// read would stall until the line arrives. It changes nothing a program can see.
//
//go:noescape
func prefetch(p unsafe.Pointer)
