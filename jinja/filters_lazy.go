package jinja

import (
	"iter"

	"github.com/infrahub-go/infrahub/jinja/value"
)

// map, select, reject, selectattr, rejectattr (async generators in Jinja2's async mode: they
// run as they are consumed) and groupby (a list of (grouper, list) named tuples).

func init() {
	varSig := func(fn string) *biPySig {
		return &biPySig{fn: fn, hidden: 1, params: []string{"value"}, varargs: true, varkw: true}
	}
	builtinFilters["map"] = biFilter(varSig("do_map"), biFilterMap)
	builtinFilters["select"] = biFilter(varSig("do_select"), biSelectOrReject(false, false))
	builtinFilters["reject"] = biFilter(varSig("do_reject"), biSelectOrReject(true, false))
	builtinFilters["selectattr"] = biFilter(varSig("do_selectattr"), biSelectOrReject(false, true))
	builtinFilters["rejectattr"] = biFilter(varSig("do_rejectattr"), biSelectOrReject(true, true))
	builtinFilters["groupby"] = biFilter(biSig("do_groupby", 1, []string{"value", "attribute", "default", "case_sensitive"}, nil, false),
		biFilterGroupby)
}

// biLazyOver is the async generator of map and select: on its first step it checks the value's
// biTruth (nothing when false), prepares its function, then applies it to each item.
func biLazyOver(r Runtime, fn string, v value.Value, prepare func() (func(value.Value) (value.Value, bool, error), error)) *biLazyIter {
	var step func(value.Value) (value.Value, bool, error)
	var src biPuller
	return biNewGenerator(fn, true, func() (value.Value, bool, error) {
		if src == nil {
			ok, err := biTruth(v)
			if err != nil {
				return nil, false, err
			}
			if !ok {
				return nil, false, nil
			}
			if step, err = prepare(); err != nil {
				return nil, false, err
			}
			if src, err = biPull(r, v, true); err != nil {
				return nil, false, err
			}
		}
		for {
			it, ok, err := src()
			if err != nil || !ok {
				return nil, false, err
			}
			out, keep, err := step(it)
			if err != nil {
				return nil, false, err
			}
			if keep {
				return out, true, nil
			}
		}
	})
}

// biCallName checks the name of a filter or test given as an argument.
func biCallName(kind string, name value.Value) (string, error) {
	s, ok := name.(string)
	if !ok {
		if err := value.Hashable(name); err != nil {
			return "", err
		}
		msg := "No " + kind + " named " + value.ReprString(name) + "."
		if u, isU := name.(*value.Undefined); isU {
			msg += " (" + u.Message() + "; did you forget to quote the callable name?)"
		}
		return "", value.Errorf("TemplateRuntimeError", "%s", msg)
	}
	return s, nil
}

func biFilterMap(r Runtime, b biBound) (value.Value, error) {
	args, kwargs := b.rest, b.kw
	return biLazyOver(r, "do_map", b.p[0], func() (func(value.Value) (value.Value, bool, error), error) {
		if i := biKwIndex(kwargs, "attribute"); len(args) == 0 && i >= 0 {
			attribute := kwargs[i].Value
			rest := append(append([]value.Kwarg(nil), kwargs[:i]...), kwargs[i+1:]...)
			var dflt value.Value
			if j := biKwIndex(rest, "default"); j >= 0 {
				dflt = rest[j].Value
				rest = append(rest[:j:j], rest[j+1:]...)
			}
			if len(rest) > 0 {
				return nil, value.Errorf("FilterArgumentError", "Unexpected keyword argument %s", value.ReprString(rest[0].Name))
			}
			get := biAttrGetter(r, attribute, true, dflt)
			return func(it value.Value) (value.Value, bool, error) {
				v, err := get(it)
				return v, true, err
			}, nil
		}
		if len(args) == 0 {
			return nil, value.Errorf("FilterArgumentError", "map requires a filter argument")
		}
		name, rest := args[0], Args{Pos: args[1:], Kw: kwargs}
		return func(it value.Value) (value.Value, bool, error) {
			n, err := biCallName("filter", name)
			if err != nil {
				return nil, false, err
			}
			v, err := r.Filter(n, it, rest)
			return v, true, err
		}, nil
	}), nil
}

func biKwIndex(kw []value.Kwarg, name string) int {
	for i, k := range kw {
		if k.Name == name {
			return i
		}
	}
	return -1
}

// biSelectOrReject is select_or_reject: keep the items (or their attribute, lookupAttr) that
// pass the test (reject: that fail it).
func biSelectOrReject(reject, lookupAttr bool) func(Runtime, biBound) (value.Value, error) {
	return func(r Runtime, b biBound) (value.Value, error) {
		args, kwargs := b.rest, b.kw
		return biLazyOver(r, "async_select_or_reject", b.p[0], func() (func(value.Value) (value.Value, bool, error), error) {
			get := func(v value.Value) (value.Value, error) { return v, nil }
			off := 0
			if lookupAttr {
				if len(args) == 0 {
					return nil, value.Errorf("FilterArgumentError", "Missing parameter for attribute name")
				}
				get = biAttrGetter(r, args[0], true, nil)
				off = 1
			}
			check := biTruth
			if len(args) > off {
				name, rest := args[off], Args{Pos: args[off+1:], Kw: kwargs}
				check = func(v value.Value) (bool, error) {
					n, err := biCallName("test", name)
					if err != nil {
						return false, err
					}
					return r.Test(n, v, rest)
				}
			}
			return func(it value.Value) (value.Value, bool, error) {
				v, err := get(it)
				if err != nil {
					return nil, false, err
				}
				ok, err := check(v)
				return it, ok != reject, err
			}, nil
		}), nil
	}
}

// biGroupTuple is groupby's _GroupTuple: a (grouper, list) named tuple.
type biGroupTuple struct{ grouper, list value.Value }

func (g *biGroupTuple) tuple() value.Tuple { return value.Tuple{g.grouper, g.list} }

// TypeName is the Python class.
func (g *biGroupTuple) TypeName() string { return "_GroupTuple" }

// PyModule is the class's module.
func (g *biGroupTuple) PyModule() string { return "jinja2.filters" }

// Attr gives grouper, list and the tuple methods.
func (g *biGroupTuple) Attr(name string) (value.Value, bool) {
	switch name {
	case "grouper":
		return g.grouper, true
	case "list":
		return g.list, true
	}
	m, ok := value.Method(g.tuple(), name)
	return m, ok
}

// PyRepr prints it as a tuple, as _GroupTuple.__repr__ does.
func (g *biGroupTuple) PyRepr() string { return value.ReprString(g.tuple()) }

// PyLen is 2.
func (g *biGroupTuple) PyLen() int { return 2 }

// PyGetItem indexes and slices it as a tuple.
func (g *biGroupTuple) PyGetItem(key value.Value) (value.Value, error) {
	return value.GetItem(g.tuple(), key)
}

// PyIter yields the grouper, then the list.
func (g *biGroupTuple) PyIter() (iter.Seq[value.Value], error) { return value.Iterate(g.tuple()) }

func biFilterGroupby(r Runtime, b biBound) (value.Value, error) {
	attribute, dflt := b.p[1], b.p[2]
	cs, err := biTruth(b.p[3])
	if err != nil {
		return nil, err
	}
	expr := biAttrGetter(r, attribute, cs, dflt)
	items, err := biToList(r, b.p[0], true)
	if err != nil {
		return nil, err
	}
	keys := make([]value.Value, len(items))
	for i, it := range items {
		if keys[i], err = expr(it); err != nil {
			return nil, err
		}
	}
	if err := value.SortByKey(items, keys, false); err != nil {
		return nil, err
	}
	var groups []value.Value
	var cur *biGroupTuple
	var curKey value.Value
	for i, it := range items {
		if cur != nil {
			same, err := value.Equal(keys[i], curKey)
			if err != nil {
				return nil, err
			}
			if same {
				l := cur.list.(*value.List)
				l.Items = append(l.Items, it)
				continue
			}
		}
		curKey = keys[i]
		cur = &biGroupTuple{grouper: keys[i], list: value.NewList(it)}
		groups = append(groups, cur)
	}
	if !cs {
		output := biAttrGetter(r, attribute, true, dflt)
		for _, g := range groups {
			gt := g.(*biGroupTuple)
			if gt.grouper, err = output(gt.list.(*value.List).Items[0]); err != nil {
				return nil, err
			}
		}
	}
	return value.NewList(groups...), nil
}

// biPlainTuples copies the containers of v that hold group tuples, with plain tuples instead
// (what json.dumps sees of a named tuple). Containers without one are kept as they are.
func biPlainTuples(v value.Value) value.Value {
	done := map[any]value.Value{} // converted lists and dicts (themselves when they hold no group)
	budget := 1 << 20
	var conv func(v value.Value, depth int) value.Value
	convItems := func(items []value.Value, depth int) ([]value.Value, bool) {
		var out []value.Value
		for i, it := range items {
			c := conv(it, depth+1)
			if out == nil && !biSameAs(c, it) {
				out = append(make([]value.Value, 0, len(items)), items[:i]...)
			}
			if out != nil {
				out = append(out, c)
			}
		}
		return out, out != nil
	}
	conv = func(v value.Value, depth int) value.Value {
		if budget--; budget < 0 || depth > biMaxJSONDepth {
			return v
		}
		switch x := v.(type) {
		case *biGroupTuple:
			return value.Tuple{conv(x.grouper, depth+1), conv(x.list, depth+1)}
		case value.Tuple:
			if out, changed := convItems(x, depth); changed {
				return value.Tuple(out)
			}
		case *value.List:
			if c, ok := done[x]; ok {
				return c
			}
			done[x] = x
			if out, changed := convItems(x.Items, depth); changed {
				done[x] = value.NewList(out...)
			}
			return done[x]
		case *value.Dict:
			if c, ok := done[x]; ok {
				return c
			}
			done[x] = x
			vals := x.Values()
			if out, changed := convItems(vals, depth); changed {
				d := value.NewDict()
				for i, k := range x.Keys() {
					_ = d.Set(k, out[i])
				}
				done[x] = d
			}
			return done[x]
		}
		return v
	}
	return conv(v, 0)
}
