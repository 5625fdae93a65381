package jinja

import (
	"math"
	"math/big"
	"strings"

	"github.com/infrahub-go/infrahub/jinja/value"
)

// access is attribute and item lookup under the environment's rules: Jinja2's
// environment.getattr and getitem, and the sandbox's.
type access struct {
	strict, sandboxed bool
}

// attrGetter is an object of this package whose attributes may fail (the loop's length walks a
// generator).
type attrGetter interface {
	attr(name string) (value.Value, bool, error)
}

// getattr is Jinja2's environment.getattr (`obj.name`): the attribute, else the item, else an
// Undefined; in a sandbox an attribute starting with '_' is an Undefined raising SecurityError.
func (a access) getattr(obj value.Value, name string) (value.Value, error) {
	switch x := obj.(type) {
	case *value.Undefined:
		return nil, x.Err()
	case *value.Dict:
		// the common case, without the AttributeError a miss of value.Attr words
		if value.IsDictMethod(name) {
			if m, ok := value.Method(x, name); ok {
				return a.checkSafe(obj, name, m), nil
			}
		}
		if v, ok := x.GetStr(name); ok {
			return v, nil
		}
	}
	v, found, err := a.pyAttr(obj, name)
	if err != nil {
		return nil, err
	}
	if found {
		return a.checkSafe(obj, name, v), nil
	}
	if a.sandboxed && isPythonDunder(name) {
		return a.unsafeUndefined(obj, name), nil
	}
	v, err = value.GetItem(obj, name)
	if err == nil {
		return v, nil
	}
	if value.IsLookupFailure(err) {
		return value.UndefinedLookup(obj, name, a.strict), nil
	}
	return nil, err
}

// getitem is Jinja2's environment.getitem (`obj[key]`): the item, else (for a str key) the
// attribute, else an Undefined.
func (a access) getitem(obj, key value.Value) (value.Value, error) {
	if u, ok := obj.(*value.Undefined); ok {
		return nil, u.Err()
	}
	if d, ok := obj.(*value.Dict); ok {
		if s, ok := key.(string); ok {
			if v, ok := d.GetStr(s); ok {
				return v, nil
			}
		}
	}
	v, err := value.GetItem(obj, key)
	if err == nil {
		return v, nil
	}
	if !value.IsLookupFailure(err) {
		return nil, err
	}
	if name, ok := key.(string); ok {
		v, found, err := a.pyAttr(obj, name)
		if err != nil {
			return nil, err
		}
		if found {
			return a.checkSafe(obj, name, v), nil
		}
		if a.sandboxed && isPythonDunder(name) {
			return a.unsafeUndefined(obj, name), nil
		}
	}
	return value.UndefinedLookup(obj, key, a.strict), nil
}

// checkSafe is the sandbox's is_safe_attribute, and its wrapping of str.format.
func (a access) checkSafe(obj value.Value, name string, v value.Value) value.Value {
	if !a.sandboxed {
		return v
	}
	if strings.HasPrefix(name, "_") {
		return a.unsafeUndefined(obj, name)
	}
	if fn, ok := v.(*value.Func); ok && fn.Bound && (fn.Name == "format" || fn.Name == "format_map") {
		if s, ok := fn.Self.(string); ok {
			return a.sandboxFormat(s, fn.Name == "format_map")
		}
	}
	return v
}

func (a access) unsafeUndefined(obj value.Value, name string) value.Value {
	return &value.Undefined{Strict: a.strict, HasObj: true, Obj: obj, Name: name,
		Hint: "access to attribute " + pyQuote(name) + " of " + pyQuote(value.TypeName(obj)) + " object is unsafe."}
}

// pyAttr is Python's getattr(obj, name) for the values templates see: found is false for an
// AttributeError.
func (a access) pyAttr(obj value.Value, name string) (v value.Value, found bool, err error) {
	if g, ok := obj.(attrGetter); ok {
		return g.attr(name)
	}
	v, err = value.Attr(obj, name)
	if err == nil {
		return v, true, nil
	}
	if !value.IsKind(err, "AttributeError") {
		return nil, false, err
	}
	if m := extraMethod(obj, name); m != nil {
		return m, true, nil
	}
	return nil, false, nil
}

// isPythonDunder tells names of the special attributes every Python object has: a sandbox
// refuses them (a plain environment would hand out Python internals, which this engine has not).
func isPythonDunder(name string) bool {
	return pythonDunders[name]
}

var pythonDunders = map[string]bool{}

func init() {
	for _, n := range strings.Fields(`class doc init new repr str dict module getattribute setattr
		delattr eq ne lt le gt ge hash reduce reduce_ex sizeof subclasshook init_subclass format dir
		getstate len getitem setitem delitem contains iter reversed add radd iadd mul rmul imul mod
		rmod call globals code closure func self name qualname mro bases base subclasses defaults
		kwdefaults annotations builtins weakref slots class_getitem bool int float index neg pos abs
		invert sub rsub truediv rtruediv floordiv rfloordiv pow rpow and or xor lshift rshift round
		trunc floor ceil divmod getnewargs text_signature objclass`) {
		pythonDunders["__"+n+"__"] = true
	}
}

// extraMethod gives the methods of Python values that jinja/value leaves out: str.format_map,
// dict.fromkeys, int.bit_length, int.bit_count, float.is_integer, conjugate.
func extraMethod(obj value.Value, name string) value.Value {
	bound := func(fn func(args []value.Value, kw []value.Kwarg) (value.Value, error)) *value.Func {
		return &value.Func{Name: name, Bound: true, Self: obj, Fn: fn}
	}
	switch x := obj.(type) {
	case string:
		if name == "format_map" {
			return bound(func(args []value.Value, kw []value.Kwarg) (value.Value, error) {
				if len(kw) > 0 {
					return nil, value.Errorf("TypeError", "str.format_map() takes no keyword arguments")
				}
				if len(args) != 1 {
					return nil, value.Errorf("TypeError", "str.format_map() takes exactly one argument (%d given)", len(args))
				}
				kwargs, err := mappingKwargs(args[0])
				if err != nil {
					return nil, err
				}
				return value.StrFormat(x, nil, kwargs)
			})
		}
	case *value.Dict:
		if name == "fromkeys" {
			return bound(func(args []value.Value, kw []value.Kwarg) (value.Value, error) {
				if len(kw) > 0 || len(args) < 1 || len(args) > 2 {
					return nil, value.Errorf("TypeError", "fromkeys expected 1 or 2 arguments, got %d", len(args)+len(kw))
				}
				keys, err := value.ToList(args[0])
				if err != nil {
					return nil, err
				}
				var fill value.Value
				if len(args) == 2 {
					fill = args[1]
				}
				d := value.NewDict()
				for _, k := range keys {
					if err := d.Set(k, fill); err != nil {
						return nil, err
					}
				}
				return d, nil
			})
		}
	case bool, int64, *big.Int:
		switch name {
		case "bit_length", "bit_count", "conjugate":
			return bound(func(args []value.Value, kw []value.Kwarg) (value.Value, error) {
				if len(args)+len(kw) > 0 {
					return nil, value.Errorf("TypeError", "int.%s() takes no arguments (%d given)", name, len(args)+len(kw))
				}
				n := toBig(x)
				switch name {
				case "bit_length":
					return int64(new(big.Int).Abs(n).BitLen()), nil
				case "bit_count":
					c := 0
					for _, w := range new(big.Int).Abs(n).Bits() {
						for ; w != 0; w &= w - 1 {
							c++
						}
					}
					return int64(c), nil
				}
				return value.Pos(x)
			})
		}
	case float64:
		switch name {
		case "is_integer", "conjugate":
			return bound(func(args []value.Value, kw []value.Kwarg) (value.Value, error) {
				if len(args)+len(kw) > 0 {
					return nil, value.Errorf("TypeError", "float.%s() takes no arguments (%d given)", name, len(args)+len(kw))
				}
				if name == "conjugate" {
					return x, nil
				}
				return !math.IsInf(x, 0) && !math.IsNaN(x) && x == math.Trunc(x), nil
			})
		}
	}
	return nil
}

func toBig(v value.Value) *big.Int {
	switch x := v.(type) {
	case bool:
		if x {
			return big.NewInt(1)
		}
		return big.NewInt(0)
	case int64:
		return big.NewInt(x)
	case *big.Int:
		return x
	}
	return new(big.Int)
}

// mappingKwargs turns a mapping into keyword arguments (format_map's argument).
func mappingKwargs(m value.Value) ([]value.Kwarg, error) {
	d, ok := m.(*value.Dict)
	if !ok {
		return nil, value.Errorf("TypeError", "'%s' object is not subscriptable", value.TypeName(m))
	}
	kw := make([]value.Kwarg, 0, d.Len())
	for k, v := range d.All() {
		if s, ok := k.(string); ok {
			kw = append(kw, value.Kwarg{Name: s, Value: v})
		}
	}
	return kw, nil
}
