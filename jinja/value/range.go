package value

import (
	"fmt"
	"iter"
)

// Range is Python's range: lazy, with int64 bounds.
type Range struct{ Start, Stop, Step int64 }

// NewRange is range(*args): range(stop), range(start, stop[, step]).
func NewRange(args ...Value) (*Range, error) {
	if len(args) == 0 {
		return nil, typeError("range expected at least 1 argument, got 0")
	}
	if len(args) > 3 {
		return nil, typeError("range expected at most 3 arguments, got %d", len(args))
	}
	n := make([]int64, len(args))
	for i, a := range args {
		a = norm(a)
		if !isInt(a) {
			return nil, typeError("'%s' object cannot be interpreted as an integer", TypeName(a))
		}
		x, ok := small(a)
		if !ok {
			return nil, Errorf("OverflowError", "Python int too large to convert to C ssize_t")
		}
		n[i] = x
	}
	r := &Range{Step: 1}
	switch len(n) {
	case 1:
		r.Stop = n[0]
	case 2:
		r.Start, r.Stop = n[0], n[1]
	default:
		r.Start, r.Stop, r.Step = n[0], n[1], n[2]
		if r.Step == 0 {
			return nil, valueError("range() arg 3 must not be zero")
		}
	}
	return r, nil
}

// Len is the number of elements.
func (r *Range) Len() int64 {
	var lo, hi, step uint64
	if r.Step > 0 {
		if r.Start >= r.Stop {
			return 0
		}
		lo, hi, step = uint64(r.Start), uint64(r.Stop), uint64(r.Step)
	} else {
		if r.Start <= r.Stop {
			return 0
		}
		lo, hi, step = uint64(r.Stop), uint64(r.Start), uint64(-r.Step)
	}
	return int64((hi-lo-1)/step + 1)
}

// At is the i-th element (0 <= i < Len).
func (r *Range) At(i int64) int64 { return r.Start + i*r.Step }

func (r *Range) seq() iter.Seq[Value] {
	return func(yield func(Value) bool) {
		n := r.Len()
		for i := int64(0); i < n; i++ {
			if !yield(r.At(i)) {
				return
			}
		}
	}
}

func (r *Range) repr() string {
	if r.Step == 1 {
		return fmt.Sprintf("range(%d, %d)", r.Start, r.Stop)
	}
	return fmt.Sprintf("range(%d, %d, %d)", r.Start, r.Stop, r.Step)
}

// contains is `x in range` for an int x.
func (r *Range) contains(x Value) bool {
	n, ok := small(x)
	if !ok {
		return false
	}
	if r.Step > 0 {
		if n < r.Start || n >= r.Stop {
			return false
		}
	} else if n > r.Start || n <= r.Stop {
		return false
	}
	d := uint64(n - r.Start)
	s := uint64(r.Step)
	if r.Step < 0 {
		d, s = uint64(r.Start-n), uint64(-r.Step)
	}
	return d%s == 0
}

// slice is range[start:stop:step] on the indices of slice.indices(len).
func (r *Range) slice(start, stop, step int64) *Range {
	return &Range{Start: r.At(start), Stop: r.At(stop), Step: r.Step * step}
}
