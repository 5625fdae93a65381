package value

// The methods of list, tuple and dict.

func seqItems(v Value) []Value {
	if l, ok := v.(*List); ok {
		return l.Items
	}
	return v.(Tuple)
}

func listAppend(self Value, a []Value) (Value, error) {
	l := self.(*List)
	if len(l.Items) >= MaxSize {
		return nil, tooLarge()
	}
	l.Items = append(l.Items, a[0])
	return nil, nil
}

func listExtend(self Value, a []Value) (Value, error) {
	l := self.(*List)
	items, err := ToList(a[0])
	if err != nil {
		return nil, err
	}
	if len(l.Items)+len(items) > MaxSize {
		return nil, tooLarge()
	}
	l.Items = append(l.Items, items...)
	return nil, nil
}

func listInsert(self Value, a []Value) (Value, error) {
	l := self.(*List)
	i, err := argIndex(a[0])
	if err != nil {
		return nil, err
	}
	if len(l.Items) >= MaxSize {
		return nil, tooLarge()
	}
	n := int64(len(l.Items))
	if i < 0 {
		i = max(i+n, 0)
	}
	i = min(i, n)
	l.Items = append(l.Items, nil)
	copy(l.Items[i+1:], l.Items[i:])
	l.Items[i] = a[1]
	return nil, nil
}

func listPop(self Value, a []Value) (Value, error) {
	l := self.(*List)
	i, err := optIndex(a[0], -1, false)
	if err != nil {
		return nil, err
	}
	n := int64(len(l.Items))
	if n == 0 {
		return nil, Errorf("IndexError", "pop from empty list")
	}
	if i < 0 {
		i += n
	}
	if i < 0 || i >= n {
		return nil, Errorf("IndexError", "pop index out of range")
	}
	v := l.Items[i]
	l.Items = append(l.Items[:i], l.Items[i+1:]...)
	return v, nil
}

func listRemove(self Value, a []Value) (Value, error) {
	l := self.(*List)
	for i, it := range l.Items {
		eq, err := Equal(it, a[0])
		if err != nil {
			return nil, err
		}
		if eq {
			l.Items = append(l.Items[:i], l.Items[i+1:]...)
			return nil, nil
		}
	}
	return nil, valueError("list.remove(x): x not in list")
}

func seqIndexMethod(self Value, a []Value) (Value, error) {
	items := seqItems(self)
	n := int64(len(items))
	start, end := int64(0), n
	var err error
	for i, p := range []*int64{&start, &end} {
		if a[i+1] == missing {
			continue
		}
		if *p, _, err = sliceBound(a[i+1]); err != nil || a[i+1] == nil {
			return nil, typeError("slice indices must be integers or have an __index__ method")
		}
		if *p < 0 {
			*p = max(*p+n, 0)
		}
	}
	for i := start; i < min(end, n); i++ {
		eq, err := Equal(items[i], a[0])
		if err != nil {
			return nil, err
		}
		if eq {
			return i, nil
		}
	}
	if _, ok := self.(Tuple); ok {
		return nil, valueError("tuple.index(x): x not in tuple")
	}
	return nil, valueError("%s is not in list", ReprString(a[0]))
}

func seqCount(self Value, a []Value) (Value, error) {
	n := int64(0)
	for _, it := range seqItems(self) {
		eq, err := Equal(it, a[0])
		if err != nil {
			return nil, err
		}
		if eq {
			n++
		}
	}
	return n, nil
}

func listSort(self Value, a []Value) (Value, error) {
	l := self.(*List)
	reverse := false
	if a[1] != missing {
		n, err := argIndex(a[1])
		if err != nil {
			return nil, err
		}
		reverse = n != 0
	}
	items := append([]Value(nil), l.Items...)
	keys := items
	if a[0] != missing && a[0] != nil {
		fn, ok := a[0].(Callable)
		if !ok {
			return nil, typeError("'%s' object is not callable", TypeName(a[0]))
		}
		keys = make([]Value, len(items))
		for i, it := range items {
			k, err := fn.Call([]Value{it}, nil)
			if err != nil {
				return nil, err
			}
			keys[i] = k
		}
	}
	if err := SortByKey(items, keys, reverse); err != nil {
		return nil, err
	}
	l.Items = items
	return nil, nil
}

func listReverse(self Value, _ []Value) (Value, error) {
	it := self.(*List).Items
	for i, j := 0, len(it)-1; i < j; i, j = i+1, j-1 {
		it[i], it[j] = it[j], it[i]
	}
	return nil, nil
}

func dictGet(self Value, a []Value) (Value, error) {
	v, ok, err := self.(*Dict).Get(a[0])
	if err != nil {
		return nil, err
	}
	if !ok {
		if a[1] == missing {
			return nil, nil
		}
		return a[1], nil
	}
	return v, nil
}

func dictView(kind ViewKind) func(Value, []Value) (Value, error) {
	return func(self Value, _ []Value) (Value, error) { return &DictView{Dict: self.(*Dict), Kind: kind}, nil }
}

func dictPop(self Value, a []Value) (Value, error) {
	v, ok, err := self.(*Dict).Delete(a[0])
	if err != nil {
		return nil, err
	}
	if !ok {
		if a[1] == missing {
			return nil, &Error{Kind: "KeyError", Message: ReprString(a[0])}
		}
		return a[1], nil
	}
	return v, nil
}

func dictSetdefault(self Value, a []Value) (Value, error) {
	d := self.(*Dict)
	v, ok, err := d.Get(a[0])
	if err != nil || ok {
		return v, err
	}
	def := a[1]
	if def == missing {
		def = nil
	}
	return def, d.Set(a[0], def)
}

func dictPopitem(self Value, _ []Value) (Value, error) {
	d := self.(*Dict)
	if d.Len() == 0 {
		return nil, &Error{Kind: "KeyError", Message: "'popitem(): dictionary is empty'"}
	}
	e := d.entries[len(d.entries)-1]
	d.removeAt(len(d.entries) - 1)
	return Tuple{e.Key, e.Value}, nil
}

// DictUpdate is d.update(*args, **kwargs) (and what dict(*args, **kwargs)
// adds to a new dict): a mapping or an iterable of pairs, then the keywords.
func DictUpdate(d *Dict, args []Value, kwargs []Kwarg) error {
	if len(args) > 1 {
		return typeError("update expected at most 1 argument, got %d", len(args))
	}
	if len(args) == 1 {
		if err := dictMerge(d, norm(args[0])); err != nil {
			return err
		}
	}
	for _, kw := range kwargs {
		d.SetStr(kw.Name, kw.Value)
	}
	return nil
}

func dictMerge(d *Dict, arg Value) error {
	if src, ok := arg.(*Dict); ok {
		for k, v := range src.All() {
			if err := d.Set(k, v); err != nil {
				return err
			}
		}
		return nil
	}
	seq, err := Iterate(arg)
	if err != nil {
		return err
	}
	i := 0
	for el := range seq {
		pair, err := ToList(el)
		if err != nil {
			if IsKind(err, "UndefinedError") {
				return err
			}
			return typeError("cannot convert dictionary update sequence element #%d to a sequence", i)
		}
		if len(pair) != 2 {
			return valueError("dictionary update sequence element #%d has length %d; 2 is required", i, len(pair))
		}
		if err := d.Set(pair[0], pair[1]); err != nil {
			return err
		}
		i++
	}
	return nil
}
