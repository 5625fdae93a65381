package jinja

import (
	"math/big"
	"math/rand/v2"

	"github.com/infrahub-go/infrahub/jinja/value"
)

// The builtin filters over sequences (except map, select and groupby: filters_lazy.go).
// Where Jinja2 3.1 has an async variant (Infrahub renders with enable_async), its way of
// iterating is kept: auto_aiter (an Undefined, even strict, iterates empty) for first, join,
// list, slice, sum, unique and groupby; Python's iter() for the others.

func init() {
	for name, f := range map[string]Filter{
		"first":    biFilter(biSig("do_first", 1, []string{"seq"}), biFilterFirst),
		"last":     biFilter(biSig("do_last", 1, []string{"seq"}), biFilterLast),
		"length":   biFilter(&biPySig{fn: "len", style: biCBuiltin}, biFilterLength),
		"count":    biFilter(&biPySig{fn: "len", style: biCBuiltin}, biFilterLength),
		"list":     biFilter(biSig("do_list", 0, []string{"value"}), biFilterList),
		"join":     biFilter(biSig("do_join", 1, []string{"value", "d", "attribute"}, "", nil), biFilterJoin),
		"max":      biFilter(biSig("do_max", 1, []string{"value", "case_sensitive", "attribute"}, false, nil), biMinMax(">")),
		"min":      biFilter(biSig("do_min", 1, []string{"value", "case_sensitive", "attribute"}, false, nil), biMinMax("<")),
		"random":   biFilter(biSig("do_random", 1, []string{"seq"}), biFilterRandom),
		"reverse":  biFilter(biSig("do_reverse", 0, []string{"value"}), biFilterReverse),
		"sort":     biFilter(biSig("do_sort", 1, []string{"value", "reverse", "case_sensitive", "attribute"}, false, false, nil), biFilterSort),
		"dictsort": biFilter(biSig("do_dictsort", 0, []string{"value", "case_sensitive", "by", "reverse"}, false, "key", false), biFilterDictsort),
		"sum":      biFilter(biSig("do_sum", 1, []string{"iterable", "attribute", "start"}, nil, int64(0)), biFilterSum),
		"batch":    biFilter(biSig("do_batch", 0, []string{"value", "linecount", "fill_with"}, nil), biFilterBatch),
		"slice":    biFilter(biSig("do_slice", 0, []string{"value", "slices", "fill_with"}, nil), biFilterSlice),
		"unique":   biFilter(biSig("do_unique", 1, []string{"value", "case_sensitive", "attribute"}, false, nil), biFilterUnique),
		"items":    biFilter(biSig("do_items", 0, []string{"value"}), biFilterItems),
	} {
		builtinFilters[name] = f
	}
}

func biFilterFirst(r Runtime, b biBound) (value.Value, error) {
	next, err := biPull(r, b.p[0], true)
	if err != nil {
		return nil, err
	}
	v, ok, err := next()
	if err != nil {
		return nil, err
	}
	if !ok {
		return r.Undefined("No first item, sequence was empty."), nil
	}
	return v, nil
}

// biReversedOf is Python's reversed(v): the items last first and the iterator's type.
func biReversedOf(v value.Value) ([]value.Value, string, error) {
	typ := "reversed"
	switch x := v.(type) {
	case *value.List:
		typ = "list_reverseiterator"
	case *value.Range:
		typ = "range_iterator"
	case *value.Dict:
		typ = "dict_reversekeyiterator"
	case *value.DictView:
		typ = [...]string{"dict_reversekeyiterator", "dict_reversevalueiterator", "dict_reverseitemiterator"}[x.Kind]
	case string, value.Tuple:
	case *value.Undefined:
		if x.Strict {
			return nil, "", x.Err()
		}
		return nil, typ, nil
	case value.Object:
		_, sized := x.(value.Sized)
		_, indexed := x.(value.ItemGetter)
		if !sized || !indexed {
			return nil, "", value.Errorf("TypeError", "'%s' object is not reversible", value.TypeName(v))
		}
	default:
		return nil, "", value.Errorf("TypeError", "'%s' object is not reversible", value.TypeName(v))
	}
	items, err := biToList(nil, v, false)
	if err != nil {
		return nil, "", err
	}
	for i, j := 0, len(items)-1; i < j; i, j = i+1, j-1 {
		items[i], items[j] = items[j], items[i]
	}
	return items, typ, nil
}

func biFilterLast(r Runtime, b biBound) (value.Value, error) {
	if rg, ok := b.p[0].(*value.Range); ok {
		if rg.Len() == 0 {
			return r.Undefined("No last item, sequence was empty."), nil
		}
		return rg.At(rg.Len() - 1), nil
	}
	items, _, err := biReversedOf(b.p[0])
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return r.Undefined("No last item, sequence was empty."), nil
	}
	return items[0], nil
}

func biFilterReverse(r Runtime, b biBound) (value.Value, error) {
	v := b.p[0]
	if _, ok := v.(value.Markup); ok { // value[::-1], a Markup
		return value.GetItem(v, &value.Slice{Step: int64(-1)})
	}
	if s, ok := v.(string); ok {
		rs := []rune(s)
		for i, j := 0, len(rs)-1; i < j; i, j = i+1, j-1 {
			rs[i], rs[j] = rs[j], rs[i]
		}
		return string(rs), nil
	}
	if rg, ok := v.(*value.Range); ok {
		i := rg.Len()
		return &biLazyIter{typ: "range_iterator", next: func() (value.Value, bool, error) {
			if i <= 0 {
				return nil, false, nil
			}
			if i&0xfff == 0 {
				if err := r.Context().Err(); err != nil {
					return nil, false, err
				}
			}
			i--
			return rg.At(i), true, nil
		}}, nil
	}
	items, typ, err := biReversedOf(v)
	if value.IsKind(err, "TypeError") {
		items, err = biToList(r, v, false)
		if value.IsKind(err, "TypeError") {
			return nil, value.Errorf("FilterArgumentError", "argument must be iterable")
		}
		if err != nil {
			return nil, err
		}
		for i, j := 0, len(items)-1; i < j; i, j = i+1, j-1 {
			items[i], items[j] = items[j], items[i]
		}
		return value.NewList(items...), nil
	}
	if err != nil {
		return nil, err
	}
	return &biLazyIter{typ: typ, next: biSliceIter(items)}, nil
}

func biFilterLength(_ Runtime, b biBound) (value.Value, error) {
	n, err := value.Len(b.p[0])
	return int64(n), err
}

func biFilterList(r Runtime, b biBound) (value.Value, error) {
	items, err := biToList(r, b.p[0], true)
	if err != nil {
		return nil, err
	}
	return value.NewList(items...), nil
}

func biFilterJoin(r Runtime, b biBound) (value.Value, error) {
	items, err := biToList(r, b.p[0], true)
	if err != nil {
		return nil, err
	}
	sep, err := biStr(b.p[1])
	if err != nil {
		return nil, err
	}
	get := func(v value.Value) (value.Value, error) { return v, nil }
	if b.p[2] != nil {
		get = biAttrGetter(r, b.p[2], true, nil)
	}
	var out []byte
	for i, it := range items {
		v, err := get(it)
		if err != nil {
			return nil, err
		}
		s, err := biStr(v)
		if err != nil {
			return nil, err
		}
		if i > 0 {
			out = append(out, sep...)
		}
		out = append(out, s...)
		if len(out) > value.MaxSize {
			return nil, biTooLarge()
		}
	}
	return string(out), nil
}

// biMinMax is _min_or_max with Python's max (op ">") or min (op "<").
func biMinMax(op string) func(Runtime, biBound) (value.Value, error) {
	return func(r Runtime, b biBound) (value.Value, error) {
		next, err := biPull(r, b.p[0], false)
		if err != nil {
			return nil, err
		}
		best, ok, err := next()
		if err != nil {
			return nil, err
		}
		if !ok {
			return r.Undefined("No aggregated item, sequence was empty."), nil
		}
		cs, err := biTruth(b.p[1])
		if err != nil {
			return nil, err
		}
		key := biAttrGetter(r, b.p[2], cs, nil)
		bestKey, err := key(best)
		if err != nil {
			return nil, err
		}
		for {
			it, ok, err := next()
			if err != nil {
				return nil, err
			}
			if !ok {
				return best, nil
			}
			k, err := key(it)
			if err != nil {
				return nil, err
			}
			better, err := value.Compare(op, k, bestKey)
			if err != nil {
				return nil, err
			}
			if better {
				best, bestKey = it, k
			}
		}
	}
}

func biFilterRandom(r Runtime, b biBound) (value.Value, error) {
	n, err := value.Len(b.p[0])
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return r.Undefined("No random item, sequence was empty."), nil
	}
	return value.GetItem(b.p[0], int64(rand.IntN(n)))
}

// biIntFlag is an argument Python takes as a C int (sorted's reverse).
func biIntFlag(v value.Value) (bool, error) {
	switch v.(type) {
	case bool, int, int64, *big.Int:
		return biTruth(v)
	}
	return false, value.Errorf("TypeError", "'%s' object cannot be interpreted as an integer", value.TypeName(v))
}

func biFilterSort(r Runtime, b biBound) (value.Value, error) {
	items, err := biToList(r, b.p[0], false)
	if err != nil {
		return nil, err
	}
	reverse, err := biIntFlag(b.p[1])
	if err != nil {
		return nil, err
	}
	cs, err := biTruth(b.p[2])
	if err != nil {
		return nil, err
	}
	key := biMultiAttrGetter(r, b.p[3], cs)
	keys := make([]value.Value, len(items))
	for i, it := range items {
		if keys[i], err = key(it); err != nil {
			return nil, err
		}
	}
	if err := value.SortByKey(items, keys, reverse); err != nil {
		return nil, err
	}
	return value.NewList(items...), nil
}

func biFilterDictsort(_ Runtime, b biBound) (value.Value, error) {
	var pos int
	if eq, err := value.Equal(b.p[2], "key"); err != nil {
		return nil, err
	} else if eq {
		pos = 0
	} else if eq, err := value.Equal(b.p[2], "value"); err != nil {
		return nil, err
	} else if eq {
		pos = 1
	} else {
		return nil, value.Errorf("FilterArgumentError", `You can only sort by either "key" or "value"`)
	}
	var pairs []value.Tuple
	switch d := b.p[0].(type) {
	case *value.Dict:
		pairs = d.Items()
	case *value.Undefined:
		return nil, d.Err()
	default:
		return nil, value.Errorf("AttributeError", "'%s' object has no attribute 'items'", value.TypeName(d))
	}
	cs, err := biTruth(b.p[1])
	if err != nil {
		return nil, err
	}
	reverse, err := biIntFlag(b.p[3])
	if err != nil {
		return nil, err
	}
	items := make([]value.Value, len(pairs))
	keys := make([]value.Value, len(pairs))
	for i, p := range pairs {
		items[i], keys[i] = p, p[pos]
		if !cs {
			keys[i] = biIgnoreCase(keys[i])
		}
	}
	if err := value.SortByKey(items, keys, reverse); err != nil {
		return nil, err
	}
	return value.NewList(items...), nil
}

func biFilterSum(r Runtime, b biBound) (value.Value, error) {
	next, err := biPull(r, b.p[0], true)
	if err != nil {
		return nil, err
	}
	get := func(v value.Value) (value.Value, error) { return v, nil }
	if b.p[1] != nil {
		get = biAttrGetter(r, b.p[1], true, nil)
	}
	rv := b.p[2]
	for {
		it, ok, err := next()
		if err != nil {
			return nil, err
		}
		if !ok {
			return rv, nil
		}
		v, err := get(it)
		if err != nil {
			return nil, err
		}
		if rv, err = biIadd(rv, v); err != nil {
			return nil, err
		}
	}
}

func biFilterBatch(r Runtime, b biBound) (value.Value, error) {
	v, linecount, fill := b.p[0], b.p[1], b.p[2]
	var src biPuller
	var tmp []value.Value
	done := false
	return biNewGenerator("do_batch", false, func() (value.Value, bool, error) {
		if src == nil {
			var err error
			if src, err = biPull(r, v, false); err != nil {
				return nil, false, err
			}
		}
		for !done {
			it, ok, err := src()
			if err != nil {
				return nil, false, err
			}
			if !ok {
				done = true
				break
			}
			full, err := value.Equal(int64(len(tmp)), linecount)
			if err != nil {
				return nil, false, err
			}
			if full {
				out := tmp
				tmp = []value.Value{it}
				return value.NewList(out...), true, nil
			}
			tmp = append(tmp, it)
		}
		if len(tmp) == 0 {
			return nil, false, nil
		}
		out := value.NewList(tmp...)
		tmp = nil
		if fill != nil {
			short, err := value.Compare("<", int64(len(out.Items)), linecount)
			if err != nil {
				return nil, false, err
			}
			if short {
				missing, err := value.Sub(linecount, int64(len(out.Items)))
				if err != nil {
					return nil, false, err
				}
				pad, err := value.Mul(value.NewList(fill), missing)
				if err != nil {
					return nil, false, err
				}
				out.Items = append(out.Items, pad.(*value.List).Items...)
			}
		}
		return out, true, nil
	}), nil
}

func biFilterSlice(r Runtime, b biBound) (value.Value, error) {
	seq, err := biToList(r, b.p[0], true)
	if err != nil {
		return nil, err
	}
	slices, fill := b.p[1], b.p[2]
	var per, extra, number, count int64
	started := false
	offset := int64(0)
	return biNewGenerator("sync_do_slice", false, func() (value.Value, bool, error) {
		if !started {
			started = true
			length := int64(len(seq))
			q, err := value.FloorDiv(length, slices)
			if err != nil {
				return nil, false, err
			}
			m, err := value.Mod(length, slices)
			if err != nil {
				return nil, false, err
			}
			rg, err := value.NewRange(slices)
			if err != nil {
				return nil, false, err
			}
			per, _ = q.(int64)
			extra, _ = m.(int64)
			count = rg.Len()
		}
		if number >= count {
			return nil, false, nil
		}
		start := offset + number*per
		if number < extra {
			offset++
		}
		end := min(offset+(number+1)*per, int64(len(seq)))
		tmp := append([]value.Value(nil), seq[min(start, end):end]...)
		if fill != nil && number >= extra {
			tmp = append(tmp, fill)
		}
		number++
		return value.NewList(tmp...), true, nil
	}), nil
}

func biFilterUnique(r Runtime, b biBound) (value.Value, error) {
	items, err := biToList(r, b.p[0], true)
	if err != nil {
		return nil, err
	}
	cs, attribute := b.p[1], b.p[2]
	var key func(value.Value) (value.Value, error)
	seen := value.NewDict()
	i := 0
	return biNewGenerator("sync_do_unique", false, func() (value.Value, bool, error) {
		if key == nil {
			sensitive, err := biTruth(cs)
			if err != nil {
				return nil, false, err
			}
			key = biAttrGetter(r, attribute, sensitive, nil)
		}
		for i < len(items) {
			it := items[i]
			i++
			k, err := key(it)
			if err != nil {
				return nil, false, err
			}
			_, found, err := seen.Get(k)
			if err != nil {
				return nil, false, err
			}
			if !found {
				if err := seen.Set(k, true); err != nil {
					return nil, false, err
				}
				return it, true, nil
			}
		}
		return nil, false, nil
	}), nil
}

func biFilterItems(_ Runtime, b biBound) (value.Value, error) {
	v := b.p[0]
	var next biPuller
	return biNewGenerator("do_items", false, func() (value.Value, bool, error) {
		if next == nil {
			switch d := v.(type) {
			case *value.Undefined:
				next = biSliceIter(nil)
			case *value.Dict:
				pairs := d.Items()
				items := make([]value.Value, len(pairs))
				for i, p := range pairs {
					items[i] = p
				}
				next = biSliceIter(items)
			default:
				return nil, false, value.Errorf("TypeError", "Can only get item pairs from a mapping.")
			}
		}
		return next()
	}), nil
}
