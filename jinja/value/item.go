package value

import (
	"iter"
	"math"
	"strings"
	"unicode/utf8"
)

// Slice is the key of a slicing v[start:stop:step]; nil bounds are None.
type Slice struct{ Start, Stop, Step Value }

// GetItem is Python's v[key] (key a *Slice for slicing). A missing dict key
// is a KeyError, an index out of range an IndexError, a wrong key type a
// TypeError: Jinja2 turns those (IsLookupFailure) into an Undefined.
func GetItem(v, key Value) (Value, error) {
	if m, ok := v.(Markup); ok {
		r, err := GetItem(string(m), key)
		if s, ok := r.(string); ok {
			return Markup(s), err
		}
		return r, err
	}
	v, key = norm(v), norm(key)
	if u, ok := v.(*Undefined); ok {
		return nil, u.Err()
	}
	if s, ok := key.(*Slice); ok {
		return getSlice(v, s)
	}
	switch x := v.(type) {
	case string:
		if !isInt(key) {
			return nil, typeError("string indices must be integers, not '%s'", TypeName(key))
		}
		i, err := seqIndex(key, cpLen(x), "string index out of range")
		if err != nil {
			return nil, err
		}
		off := cpOffset(x, i)
		_, size := utf8.DecodeRuneInString(x[off:])
		return x[off : off+size], nil
	case *List:
		return indexItems(x.Items, key, "list")
	case Tuple:
		return indexItems(x, key, "tuple")
	case *Range:
		if !isInt(key) {
			return nil, typeError("range indices must be integers or slices, not %s", TypeName(key))
		}
		i, err := seqIndex(key, x.Len(), "range object index out of range")
		if err != nil {
			return nil, err
		}
		return x.At(i), nil
	case *Dict:
		val, ok, err := x.Get(key)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, &Error{Kind: "KeyError", Message: ReprString(key)}
		}
		return val, nil
	case ItemGetter:
		return x.PyGetItem(key)
	}
	return nil, typeError("'%s' object is not subscriptable", TypeName(v))
}

func indexItems(items []Value, key Value, typ string) (Value, error) {
	if !isInt(key) {
		return nil, typeError("%s indices must be integers or slices, not %s", typ, TypeName(key))
	}
	i, err := seqIndex(key, int64(len(items)), typ+" index out of range")
	if err != nil {
		return nil, err
	}
	return items[i], nil
}

// seqIndex resolves a (possibly negative) int index into [0, n).
func seqIndex(key Value, n int64, outOfRange string) (int64, error) {
	i, ok := small(key)
	if !ok {
		return 0, Errorf("IndexError", "cannot fit 'int' into an index-sized integer")
	}
	if i < 0 {
		i += n
	}
	if i < 0 || i >= n {
		return 0, Errorf("IndexError", "%s", outOfRange)
	}
	return i, nil
}

// sliceBound converts a slice bound: nil for None, else a clamped int.
func sliceBound(v Value) (int64, bool, error) {
	v = norm(v)
	if v == nil {
		return 0, false, nil
	}
	if !isInt(v) {
		return 0, false, typeError("slice indices must be integers or None or have an __index__ method")
	}
	return clampIndex(v), true, nil
}

// Indices is Python's slice.indices(length) with the slice length: the
// start, stop and step of the slice over a sequence of n elements.
func (s *Slice) Indices(n int64) (start, stop, step, count int64, err error) {
	step, ok, err := sliceBound(s.Step)
	if err != nil {
		return 0, 0, 0, 0, err
	}
	if !ok {
		step = 1
	}
	if step == 0 {
		return 0, 0, 0, 0, valueError("slice step cannot be zero")
	}
	if step < -math.MaxInt64 {
		step = -math.MaxInt64
	}
	start, ok, err = sliceBound(s.Start)
	if err != nil {
		return 0, 0, 0, 0, err
	}
	if !ok {
		start = 0
		if step < 0 {
			start = math.MaxInt64
		}
	}
	stop, ok, err = sliceBound(s.Stop)
	if err != nil {
		return 0, 0, 0, 0, err
	}
	if !ok {
		stop = math.MaxInt64
		if step < 0 {
			stop = math.MinInt64
		}
	}
	start, stop = adjustIndex(start, n, step), adjustIndex(stop, n, step)
	switch {
	case step < 0 && stop < start:
		count = (start-stop-1)/(-step) + 1
	case step > 0 && start < stop:
		count = (stop-start-1)/step + 1
	}
	return start, stop, step, count, nil
}

func adjustIndex(i, n, step int64) int64 {
	if i < 0 {
		if i < -n {
			if step < 0 {
				return -1
			}
			return 0
		}
		return i + n
	}
	if i >= n {
		if step < 0 {
			return n - 1
		}
		return n
	}
	return i
}

func getSlice(v Value, s *Slice) (Value, error) {
	pick := func(n int64) (start, stop, step, count int64, err error) { return s.Indices(n) }
	switch x := v.(type) {
	case string:
		runes := []rune(x)
		start, _, step, count, err := pick(int64(len(runes)))
		if err != nil {
			return nil, err
		}
		out := make([]rune, 0, count)
		for i := int64(0); i < count; i++ {
			out = append(out, runes[start+i*step])
		}
		return string(out), nil
	case *List:
		items, err := sliceItems(x.Items, pick)
		return NewList(items...), err
	case Tuple:
		items, err := sliceItems(x, pick)
		return Tuple(items), err
	case *Range:
		start, stop, step, _, err := pick(x.Len())
		if err != nil {
			return nil, err
		}
		return x.slice(start, stop, step), nil
	case *Dict:
		return nil, typeError("unhashable type: 'slice'")
	case ItemGetter:
		return x.PyGetItem(s)
	}
	return nil, typeError("'%s' object is not subscriptable", TypeName(v))
}

func sliceItems(items []Value, pick func(int64) (int64, int64, int64, int64, error)) ([]Value, error) {
	start, _, step, count, err := pick(int64(len(items)))
	if err != nil {
		return nil, err
	}
	out := make([]Value, 0, count)
	for i := int64(0); i < count; i++ {
		out = append(out, items[start+i*step])
	}
	return out, nil
}

// Len is Python's len(v).
func Len(v Value) (int, error) {
	switch x := norm(v).(type) {
	case string:
		return utf8.RuneCountInString(x), nil
	case *List:
		return len(x.Items), nil
	case Tuple:
		return len(x), nil
	case *Dict:
		return x.Len(), nil
	case *DictView:
		return x.Dict.Len(), nil
	case *Range:
		n := x.Len()
		if n > math.MaxInt {
			return 0, Errorf("OverflowError", "Python int too large to convert to C ssize_t")
		}
		return int(n), nil
	case *Undefined:
		if x.Strict {
			return 0, x.Err()
		}
		return 0, nil
	case Sized:
		return x.PyLen(), nil
	}
	return 0, typeError("object of type '%s' has no len()", TypeName(v))
}

// Iterate is Python's iter(v): the characters of a str, the elements of a
// list (live, as Python's list iterator), tuple or range, the keys of a dict.
func Iterate(v Value) (iter.Seq[Value], error) {
	switch x := norm(v).(type) {
	case string:
		return func(yield func(Value) bool) {
			for _, r := range x {
				if !yield(string(r)) {
					return
				}
			}
		}, nil
	case *List:
		return func(yield func(Value) bool) {
			for i := 0; i < len(x.Items); i++ {
				if !yield(x.Items[i]) {
					return
				}
			}
		}, nil
	case Tuple:
		return seqOf(x), nil
	case *Dict:
		return seqOf(x.Keys()), nil
	case *DictView:
		return x.seq(), nil
	case *Range:
		return x.seq(), nil
	case *Undefined:
		if x.Strict {
			return nil, x.Err()
		}
		return seqOf(nil), nil
	case Iterable:
		return x.PyIter()
	}
	return nil, typeError("'%s' object is not iterable", TypeName(v))
}

func seqOf(items []Value) iter.Seq[Value] {
	return func(yield func(Value) bool) {
		for _, it := range items {
			if !yield(it) {
				return
			}
		}
	}
}

// ToList is list(v): the elements Iterate gives, in a new slice.
func ToList(v Value) ([]Value, error) {
	switch x := norm(v).(type) {
	case *List:
		return append([]Value(nil), x.Items...), nil
	case Tuple:
		return append([]Value(nil), x...), nil
	case *Range:
		if x.Len() > MaxSize {
			return nil, tooLarge()
		}
	}
	seq, err := Iterate(v)
	if err != nil {
		return nil, err
	}
	var out []Value
	for it := range seq {
		if len(out) >= MaxSize {
			return nil, tooLarge()
		}
		out = append(out, it)
	}
	return out, nil
}

// Contains is Python's item in container.
func Contains(container, item Value) (bool, error) {
	container, item = norm(container), norm(item)
	switch x := container.(type) {
	case string:
		s, ok := item.(string)
		if !ok {
			return false, typeError("'in <string>' requires string as left operand, not %s", TypeName(item))
		}
		return strings.Contains(x, s), nil
	case *List:
		return containsItems(x.Items, item)
	case Tuple:
		return containsItems(x, item)
	case *Dict:
		_, ok, err := x.Get(item)
		return ok, err
	case *DictView:
		switch x.Kind {
		case ViewKeys:
			_, ok, err := x.Dict.Get(item)
			return ok, err
		case ViewItems:
			t, ok := item.(Tuple)
			if !ok || len(t) != 2 {
				return false, nil
			}
			val, ok, err := x.Dict.Get(t[0])
			if err != nil || !ok {
				return false, err
			}
			return Equal(val, t[1])
		}
		return containsItems(x.Dict.Values(), item)
	case *Range:
		if isInt(item) {
			return x.contains(item), nil
		}
		if f, ok := item.(float64); ok && f == math.Trunc(f) && math.Abs(f) < 1<<63 {
			return x.contains(int64(f)), nil
		}
		return false, strictErr(item)
	case *Undefined:
		if x.Strict {
			return false, x.Err()
		}
		return false, nil
	}
	seq, err := Iterate(container)
	if err != nil {
		return false, typeError("argument of type '%s' is not iterable", TypeName(container))
	}
	for it := range seq {
		eq, err := Equal(it, item)
		if err != nil || eq {
			return eq, err
		}
	}
	return false, nil
}

func containsItems(items []Value, item Value) (bool, error) {
	for _, it := range items {
		eq, err := Equal(it, item)
		if err != nil || eq {
			return eq, err
		}
	}
	return false, nil
}
