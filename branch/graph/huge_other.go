//go:build !linux

package graph

import "unsafe"

// adviseHuge does nothing where transparent huge pages are not known (see huge_linux.go).
func adviseHuge(unsafe.Pointer, uintptr) {}
