package value

import "sort"

// Sort sorts items in place as Python's list.sort(reverse=reverse): stable,
// by Python's <, failing with Python's TypeError on items without an order.
func Sort(items []Value, reverse bool) error { return SortByKey(items, items, reverse) }

// SortByKey sorts items in place by keys[i] (same length; keys may be
// items itself) as Python's sorted(items, key=..., reverse=reverse). Lists
// shorter than 64 items are sorted with CPython's comparison sequence
// (count_run, binary insertion), so a failing comparison fails with the
// same message as CPython; longer ones use a stable merge sort.
func SortByKey(items, keys []Value, reverse bool) error {
	n := len(items)
	if n < 2 {
		return nil
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	if reverse {
		reverseInts(idx)
	}
	var err error
	lt := func(a, b int) bool {
		if err != nil {
			return false
		}
		r, e := Less(keys[a], keys[b])
		if e != nil {
			err = e
		}
		return r
	}
	if n < 64 {
		timsortSmall(idx, lt)
	} else {
		sort.SliceStable(idx, func(i, j int) bool { return lt(idx[i], idx[j]) })
	}
	if err != nil {
		return err
	}
	if reverse {
		reverseInts(idx)
	}
	sortedItems := make([]Value, n)
	sortedKeys := make([]Value, n)
	for i, j := range idx {
		sortedItems[i], sortedKeys[i] = items[j], keys[j]
	}
	copy(items, sortedItems)
	if &keys[0] != &items[0] {
		copy(keys, sortedKeys)
	}
	return nil
}

func reverseInts(x []int) {
	for i, j := 0, len(x)-1; i < j; i, j = i+1, j-1 {
		x[i], x[j] = x[j], x[i]
	}
}

// timsortSmall is CPython's listsort for fewer than 64 elements: the
// initial run (reversed when strictly descending), then binary insertion.
func timsortSmall(a []int, lt func(a, b int) bool) {
	n := len(a)
	run := 2
	if lt(a[1], a[0]) {
		for run < n && lt(a[run], a[run-1]) {
			run++
		}
		reverseInts(a[:run])
	} else {
		for run < n && !lt(a[run], a[run-1]) {
			run++
		}
	}
	for start := run; start < n; start++ {
		pivot := a[start]
		l, r := 0, start
		for l < r {
			p := l + (r-l)>>1
			if lt(pivot, a[p]) {
				r = p
			} else {
				l = p + 1
			}
		}
		copy(a[l+1:start+1], a[l:start])
		a[l] = pivot
	}
}
