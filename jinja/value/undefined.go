package value

import (
	"fmt"
	"math/big"
)

// Undefined is Jinja2's Undefined: a name, attribute or item that does not
// exist. A lenient one prints "", iterates empty and is false; a Strict one
// (StrictUndefined) fails on every use except the defined test. Every
// operation of this package that must fail on it returns u.Err().
type Undefined struct {
	Strict bool
	Hint   string // explicit message, as Jinja2's undefined(hint=...)
	HasObj bool   // Obj is set: the lookup was on Obj
	Obj    Value
	Name   Value // the missing variable or attribute name (string) or item key
}

// NewUndefined returns the Undefined of a missing variable: "'name' is undefined".
func NewUndefined(name string, strict bool) *Undefined {
	return &Undefined{Strict: strict, Name: name}
}

// UndefinedLookup returns the Undefined of a missing attribute (name is a
// string: "'dict object' has no attribute 'y'") or item (any other key:
// "list object has no element 3") of obj.
func UndefinedLookup(obj, name Value, strict bool) *Undefined {
	return &Undefined{Strict: strict, HasObj: true, Obj: obj, Name: name}
}

// Message is Jinja2's message of the UndefinedError this Undefined raises.
func (u *Undefined) Message() string {
	if u.Hint != "" {
		return u.Hint
	}
	if !u.HasObj {
		return ReprString(u.Name) + " is undefined"
	}
	if s, ok := u.Name.(string); ok {
		return ReprString(objectTypeRepr(u.Obj)) + " has no attribute " + ReprString(s)
	}
	return objectTypeRepr(u.Obj) + " has no element " + ReprString(u.Name)
}

// Err is the UndefinedError this Undefined raises.
func (u *Undefined) Err() *Error { return &Error{Kind: "UndefinedError", Message: u.Message()} }

// strictErr returns the error of a strict Undefined among vs, else nil.
func strictErr(vs ...Value) error {
	for _, v := range vs {
		if u, ok := v.(*Undefined); ok && u.Strict {
			return u.Err()
		}
	}
	return nil
}

// undefErr returns the error of any Undefined among vs (the operations
// that fail on lenient Undefined too: arithmetic, ordering, calls), else nil.
func undefErr(vs ...Value) error {
	for _, v := range vs {
		if u, ok := v.(*Undefined); ok {
			return u.Err()
		}
	}
	return nil
}

// objectTypeRepr is jinja2.utils.object_type_repr.
func objectTypeRepr(v Value) string {
	if v == nil {
		return "None"
	}
	mod := ""
	switch x := v.(type) {
	case *Undefined:
		mod = "jinja2.runtime"
	case *Namespace:
		mod = "jinja2.utils"
	case Moduler:
		mod = x.PyModule()
	}
	if mod != "" && mod != "builtins" {
		return mod + "." + TypeName(v) + " object"
	}
	return TypeName(v) + " object"
}

// TypeName is the Python class name of v ("int", "str", "NoneType"...).
func TypeName(v Value) string {
	if _, ok := v.(Markup); ok {
		return "Markup"
	}
	switch x := norm(v).(type) {
	case nil:
		return "NoneType"
	case bool:
		return "bool"
	case int64, *big.Int:
		return "int"
	case float64:
		return "float"
	case string:
		return "str"
	case *List:
		return "list"
	case Tuple:
		return "tuple"
	case *Dict:
		return "dict"
	case *DictView:
		return x.typeName()
	case *Range:
		return "range"
	case *Undefined:
		if x.Strict {
			return "StrictUndefined"
		}
		return "Undefined"
	case *Namespace:
		return "Namespace"
	case *Func:
		return "builtin_function_or_method"
	case Object:
		return x.TypeName()
	}
	return fmt.Sprintf("%T", v)
}

// norm maps the Go numeric types other than int64 and float64 to them, and a Markup to its str
// (operations where a Markup differs from a str check for it before norm).
func norm(v Value) Value {
	switch x := v.(type) {
	case string:
		return v // (as is: returning x would box it again)
	case Markup:
		return string(x)
	case int:
		return int64(x)
	case int8:
		return int64(x)
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	case uint:
		return normBig(new(big.Int).SetUint64(uint64(x)))
	case uint8:
		return int64(x)
	case uint16:
		return int64(x)
	case uint32:
		return int64(x)
	case uint64:
		return normBig(new(big.Int).SetUint64(x))
	case float32:
		return float64(x)
	}
	return v
}
