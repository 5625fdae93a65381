//go:build !amd64

package graph

import "unsafe"

// prefetch does nothing where no prefetch instruction is written for (see prefetch_amd64.go).
func prefetch(unsafe.Pointer) {}
