package jinja

import (
	"errors"
	"math"
	"math/big"
	"reflect"
	"strings"

	"github.com/infrahub-go/infrahub/jinja/value"
)

// The builtin tests of Jinja2 3.1 (jinja2/tests.py) and their aliases.

func init() {
	one := func(fn string, body func(v value.Value) (bool, error)) Test {
		return biTest(biSig(fn, 0, []string{"value"}), func(_ Runtime, b biBound) (bool, error) { return body(b.p[0]) })
	}
	is := func(fn string, body func(v value.Value) bool) Test {
		return one(fn, func(v value.Value) (bool, error) { return body(v), nil })
	}
	modEq := func(fn string, params []string, want int64) Test {
		return biTest(biSig(fn, 0, params), func(_ Runtime, b biBound) (bool, error) {
			div := value.Value(int64(2))
			if len(b.p) > 1 {
				div = b.p[1]
			}
			m, err := value.Mod(b.p[0], div)
			if err != nil {
				return false, err
			}
			return value.Equal(m, want)
		})
	}
	for name, t := range map[string]Test{
		"odd":         modEq("test_odd", []string{"value"}, 1),
		"even":        modEq("test_even", []string{"value"}, 0),
		"divisibleby": modEq("test_divisibleby", []string{"value", "num"}, 0),
		"defined":     is("test_defined", func(v value.Value) bool { return !biIsUndefined(v) }),
		"undefined":   is("test_undefined", biIsUndefined),
		"none":        is("test_none", func(v value.Value) bool { return v == nil }),
		"boolean":     is("test_boolean", func(v value.Value) bool { _, ok := v.(bool); return ok }),
		"false":       is("test_false", func(v value.Value) bool { return v == false }),
		"true":        is("test_true", func(v value.Value) bool { return v == true }),
		"integer":     is("test_integer", biIsInteger),
		"float":       is("test_float", func(v value.Value) bool { _, ok := v.(float64); return ok }),
		"string":      is("test_string", biIsStr),
		"mapping":     is("test_mapping", func(v value.Value) bool { _, ok := v.(*value.Dict); return ok }),
		"number":      is("test_number", func(v value.Value) bool { _, ok := v.(bool); return ok || biIsNumber(v) }),
		"sequence":    is("test_sequence", biIsSequence),
		"iterable":    one("test_iterable", biTestIterable),
		"escaped":     is("test_escaped", func(v value.Value) bool { _, ok := v.(value.HTMLer); return ok }),
		"lower":       one("test_lower", func(v value.Value) (bool, error) { return biStrPredicate(v, "islower") }),
		"upper":       one("test_upper", func(v value.Value) (bool, error) { return biStrPredicate(v, "isupper") }),
		"callable":    biTest(&biPySig{fn: "callable", style: biCBuiltin}, func(_ Runtime, b biBound) (bool, error) { return biIsCallable(b.p[0]), nil }),
		"sameas": biTest(biSig("test_sameas", 0, []string{"value", "other"}), func(_ Runtime, b biBound) (bool, error) {
			return biSameAs(b.p[0], b.p[1]), nil
		}),
		"in": biTest(biSig("test_in", 0, []string{"value", "seq"}), func(_ Runtime, b biBound) (bool, error) {
			return value.Contains(b.p[1], b.p[0])
		}),
		"filter": biTest(biSig("test_filter", 1, []string{"value"}), func(r Runtime, b biBound) (bool, error) {
			return biEnvHas(r, "filter", b.p[0])
		}),
		"test": biTest(biSig("test_test", 1, []string{"value"}), func(r Runtime, b biBound) (bool, error) {
			return biEnvHas(r, "test", b.p[0])
		}),
	} {
		builtinTests[name] = t
	}
	for _, op := range []struct {
		fn, sym string
		names   []string
	}{
		{"eq", "==", []string{"==", "eq", "equalto"}},
		{"ne", "!=", []string{"!=", "ne"}},
		{"gt", ">", []string{">", "gt", "greaterthan"}},
		{"ge", ">=", []string{">=", "ge"}},
		{"lt", "<", []string{"<", "lt", "lessthan"}},
		{"le", "<=", []string{"<=", "le"}},
	} {
		t := biTest(&biPySig{fn: op.fn, style: biCOperator}, func(_ Runtime, b biBound) (bool, error) {
			return value.Compare(op.sym, b.p[0], b.p[1])
		})
		for _, n := range op.names {
			builtinTests[n] = t
		}
	}
}

func biIsInteger(v value.Value) bool {
	switch v.(type) {
	case int, int64, *big.Int:
		return true
	}
	return false
}

func biIsNumber(v value.Value) bool {
	_, f := v.(float64)
	return f || biIsInteger(v)
}

// biIsSequence is test_sequence: len() and __getitem__ work.
func biIsSequence(v value.Value) bool {
	switch x := v.(type) {
	case string, value.Markup, *value.List, value.Tuple, *value.Dict, *value.Range:
		return true
	case *value.Undefined:
		return !x.Strict
	case value.Object:
		_, sized := x.(value.Sized)
		_, indexed := x.(value.ItemGetter)
		return sized && indexed
	}
	return false
}

// biTestIterable is test_iterable: iter(value) works (a StrictUndefined fails with its error).
func biTestIterable(v value.Value) (bool, error) {
	switch x := v.(type) {
	case *value.Undefined:
		if x.Strict {
			return false, x.Err()
		}
		return true, nil
	case *biLazyIter:
		return !x.async, nil
	}
	return biIsIterable(v), nil
}

func biStrPredicate(v value.Value, method string) (bool, error) {
	out, err := biStrCall(v, method)
	if err != nil {
		return false, err
	}
	return out == true, nil
}

func biIsCallable(v value.Value) bool {
	switch v.(type) {
	case *value.Undefined, value.Callable, biRuntimeCallable:
		return true
	}
	return false
}

// biSameAs is Python's `is`: None, booleans and equal numbers and strings of one type are the
// same object; containers and objects only themselves.
func biSameAs(a, b value.Value) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case float64:
		y, ok := b.(float64)
		return ok && (x == y || math.IsNaN(x) && math.IsNaN(y))
	case bool, int64, string:
		return reflect.TypeOf(a) == reflect.TypeOf(b) && a == b
	case int:
		y, ok := b.(int)
		return ok && x == y
	case *big.Int:
		y, ok := b.(*big.Int)
		return ok && (x == y || x.Cmp(y) == 0)
	}
	ta, tb := reflect.TypeOf(a), reflect.TypeOf(b)
	if ta != tb || ta == nil {
		return false
	}
	if ta.Kind() == reflect.Pointer {
		return reflect.ValueOf(a).Pointer() == reflect.ValueOf(b).Pointer()
	}
	return ta.Comparable() && a == b
}

// biEnvLister is what a Runtime may implement to answer the filter and test tests directly.
type biEnvLister interface {
	HasFilter(name string) bool
	HasTest(name string) bool
}

// biEnvHas is `name in env.filters` (kind "filter") or `name in env.tests`.
func biEnvHas(r Runtime, kind string, name value.Value) (bool, error) {
	if err := value.Hashable(name); err != nil {
		return false, err
	}
	s, ok := name.(string)
	if !ok {
		return false, nil
	}
	if l, ok := r.(biEnvLister); ok {
		if kind == "filter" {
			return l.HasFilter(s), nil
		}
		return l.HasTest(s), nil
	}
	var err error
	if kind == "filter" {
		_, err = r.Filter(s, nil, Args{})
	} else {
		_, err = r.Test(s, nil, Args{})
	}
	return !biIsNoSuch(err, kind), nil
}

// biIsNoSuch reports whether err is the TemplateRuntimeError of a missing filter or test.
func biIsNoSuch(err error, kind string) bool {
	if err == nil {
		return false
	}
	var je *Error
	var ve *value.Error
	msg := ""
	switch {
	case errors.As(err, &je):
		if je.Kind != "TemplateRuntimeError" && je.Kind != "TemplateAssertionError" {
			return false
		}
		msg = je.Message
	case errors.As(err, &ve):
		if ve.Kind != "TemplateRuntimeError" && ve.Kind != "TemplateAssertionError" {
			return false
		}
		msg = ve.Message
	default:
		return false
	}
	return strings.HasPrefix(msg, "No "+kind+" named ")
}

// biIsStr is isinstance(v, str): a str or a Markup.
func biIsStr(v value.Value) bool {
	switch v.(type) {
	case string, value.Markup:
		return true
	}
	return false
}
