package graph

import (
	"syscall"
	"unsafe"
)

// hugePage is the size of a transparent huge page on the machines the fold runs on.
const hugePage = 2 << 20

// adviseHuge asks the kernel to back the whole huge pages inside [p, p+n) with huge pages
// (MADV_HUGEPAGE; a no-op where transparent huge pages are off): the node and unique indexes
// are probed at random places in tables of tens of MB, and with 4 KiB pages nearly every probe
// (and prefetch) also misses the TLB. Errors are ignored: the advice is only a hint.
func adviseHuge(p unsafe.Pointer, n uintptr) {
	start := (uintptr(p) + hugePage - 1) &^ (hugePage - 1)
	end := (uintptr(p) + n) &^ (hugePage - 1)
	if end <= start {
		return
	}
	b := unsafe.Slice((*byte)(unsafe.Add(p, start-uintptr(p))), end-start)
	_ = syscall.Madvise(b, syscall.MADV_HUGEPAGE)
}
