package value

import (
	"math/big"
)

// IsDictMethod reports whether name is a method of dict (update included): a cheap test before
// Method, for attribute lookups on dicts that are mostly items.
func IsDictMethod(name string) bool {
	switch name {
	case "get", "items", "keys", "values", "pop", "setdefault", "copy", "clear", "popitem", "update":
		return true
	}
	return false
}

// Method returns the method name of v bound to v (str, list, tuple and dict
// methods), false when v has no such method.
func Method(v Value, name string) (Callable, bool) {
	if m, ok := v.(Markup); ok {
		return markupMethod(m, name)
	}
	v = norm(v)
	var table map[string]method
	switch x := v.(type) {
	case string:
		if name == "format" {
			return &Func{Name: name, Bound: true, Self: x, Fn: func(args []Value, kwargs []Kwarg) (Value, error) {
				return StrFormat(x, args, kwargs)
			}}, true
		}
		table = strMethods
	case *List:
		table = listMethods
	case Tuple:
		table = tupleMethods
	case *Dict:
		if name == "update" {
			return &Func{Name: name, Bound: true, Self: x, Fn: func(args []Value, kwargs []Kwarg) (Value, error) {
				return nil, DictUpdate(x, args, kwargs)
			}}, true
		}
		table = dictMethods
	default:
		return nil, false
	}
	m, ok := table[name]
	if !ok {
		return nil, false
	}
	return &Func{Name: name, Bound: true, Self: v, Fn: func(args []Value, kwargs []Kwarg) (Value, error) {
		a, err := m.sig.bind(args, kwargs)
		if err != nil {
			return nil, err
		}
		return m.fn(v, a)
	}}, true
}

// Attr is Python's getattr(v, name) for what templates reach: methods,
// namespace attributes, Object attributes, range.start/stop/step and
// int/float real and imag. A missing attribute is an AttributeError (which
// Jinja2 follows with v[name]); any attribute of an Undefined fails with
// its UndefinedError.
func Attr(v Value, name string) (Value, error) {
	orig := v
	if m, ok := v.(Markup); ok {
		if meth, ok := markupMethod(m, name); ok {
			return meth, nil
		}
	}
	v = norm(v)
	if u, ok := v.(*Undefined); ok {
		return nil, u.Err()
	}
	if m, ok := Method(v, name); ok {
		return m, nil
	}
	switch x := v.(type) {
	case *Namespace:
		if val, ok := x.Attrs.GetStr(name); ok {
			return val, nil
		}
		return nil, Errorf("AttributeError", "%s", name)
	case *Range:
		switch name {
		case "start":
			return x.Start, nil
		case "stop":
			return x.Stop, nil
		case "step":
			return x.Step, nil
		}
	case bool, int64, *big.Int:
		switch name {
		case "real", "numerator":
			return Pos(x)
		case "imag":
			return int64(0), nil
		case "denominator":
			return int64(1), nil
		}
	case float64:
		switch name {
		case "real":
			return x, nil
		case "imag":
			return 0.0, nil
		}
	case Object:
		if val, ok := x.Attr(name); ok {
			return val, nil
		}
	}
	return nil, Errorf("AttributeError", "'%s' object has no attribute '%s'", TypeName(orig), name)
}

var listMethods, tupleMethods, dictMethods map[string]method

func init() {
	listMethods = methodTable("list", []methodDef{
		{"append", oneArg, []string{"object"}, 1, listAppend},
		{"extend", oneArg, []string{"iterable"}, 1, listExtend},
		{"insert", posOnly, []string{"index", "object"}, 2, listInsert},
		{"pop", posOnly, []string{"index"}, 0, listPop},
		{"remove", oneArg, []string{"value"}, 1, listRemove},
		{"index", posOnly, []string{"value", "start", "stop"}, 1, seqIndexMethod},
		{"count", oneArg, []string{"value"}, 1, seqCount},
		{"sort", kwOnly, []string{"key", "reverse"}, 0, listSort},
		{"reverse", noArgs, nil, 0, listReverse},
		{"clear", noArgs, nil, 0, func(self Value, _ []Value) (Value, error) { self.(*List).Items = nil; return nil, nil }},
		{"copy", noArgs, nil, 0, func(self Value, _ []Value) (Value, error) { return NewList(seqItems(self)...), nil }},
	})
	tupleMethods = methodTable("tuple", []methodDef{
		{"index", posOnly, []string{"value", "start", "stop"}, 1, seqIndexMethod},
		{"count", oneArg, []string{"value"}, 1, seqCount},
	})
	dictMethods = methodTable("dict", []methodDef{
		{"get", posOnly, []string{"key", "default"}, 1, dictGet},
		{"items", noArgs, nil, 0, dictView(ViewItems)},
		{"keys", noArgs, nil, 0, dictView(ViewKeys)},
		{"values", noArgs, nil, 0, dictView(ViewValues)},
		{"pop", posOnly, []string{"key", "default"}, 1, dictPop},
		{"setdefault", posOnly, []string{"key", "default"}, 1, dictSetdefault},
		{"copy", noArgs, nil, 0, func(self Value, _ []Value) (Value, error) { return self.(*Dict).Copy(), nil }},
		{"clear", noArgs, nil, 0, func(self Value, _ []Value) (Value, error) { self.(*Dict).Clear(); return nil, nil }},
		{"popitem", noArgs, nil, 0, dictPopitem},
	})
}

type methodDef struct {
	name     string
	style    argStyle
	params   []string
	required int
	fn       func(self Value, a []Value) (Value, error)
}

func methodTable(typ string, defs []methodDef) map[string]method {
	m := make(map[string]method, len(defs))
	for _, d := range defs {
		m[d.name] = method{sig: sig{typ: typ, name: d.name, style: d.style, params: d.params, required: d.required}, fn: d.fn}
	}
	return m
}
