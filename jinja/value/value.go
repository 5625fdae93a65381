// Package value holds Python values as Jinja2 templates see them, with the
// semantics of CPython 3: str and repr, truth, equality and ordering,
// arithmetic, indexing and slicing, the % operator and str.format, and the
// methods templates call on str, list, dict and tuple.
//
// A Value is one of:
//
//	nil          None
//	bool         bool (an int in arithmetic, as in Python)
//	int64        int; results that do not fit are *big.Int, and a *big.Int
//	*big.Int     result that fits is int64 again (Go int and the sized ints
//	             are accepted as input everywhere)
//	float64      float
//	string       str (indexed, measured and sliced by code point)
//	Markup       MarkupSafe's Markup: a str that escapes what is added to it (markup.go)
//	*List        list (mutable, shared by reference)
//	Tuple        tuple
//	*Dict        dict (insertion-ordered, keys compared as Python does)
//	*DictView    dict_keys, dict_values, dict_items
//	*Range       range
//	*Undefined   Jinja2's Undefined (lenient) and StrictUndefined (Strict)
//	*Namespace   Jinja2's namespace()
//	Callable     a function or a bound method (*Func), or a Go type of the evaluator
//	Object       a Go type exposing attributes (loop, macros, cyclers...)
//
// Failures are *Error values whose Kind is the Python exception class and
// whose Message is str() of the exception, as CPython 3.11 words them.
//
// Where this package knowingly differs from CPython:
//   - a result Python would give as a complex number ((-8) ** 0.5) is a ValueError;
//   - results over MaxSize (str, list, tuple, repr, JSON text) are a MemoryError and
//     ints over MaxIntBits an OverflowError (both IsLimit, wrapping fault.ErrTooLarge);
//   - lists of 64 items or more sort with a stable merge sort: same result for a
//     total order, but the pair named by a TypeError may differ;
//   - bound methods print without an address ("<built-in method upper of str object>");
//   - character properties come from Go's Unicode tables, with Python's full case
//     mappings and numeric characters generated from Python (unicode_tables.go);
//   - NaN dict keys are all one key; [nan] == [nan] is False (no identity shortcut).
package value

import (
	"errors"
	"fmt"
	"iter"

	"github.com/infrahub-go/infrahub/fault"
)

// Value is a Python value (see the package documentation for the Go types).
type Value = any

// Tuple is a Python tuple.
type Tuple []Value

// List is a Python list; it is shared by reference like Python's.
type List struct{ Items []Value }

// NewList returns a list holding items (not copied).
func NewList(items ...Value) *List { return &List{Items: items} }

// Kwarg is one keyword argument of a call, in call order.
type Kwarg struct {
	Name  string
	Value Value
}

// Callable is a value templates can call.
type Callable interface {
	Call(args []Value, kwargs []Kwarg) (Value, error)
}

// Func is a builtin function, or a method bound to Self when Bound.
type Func struct {
	Name  string
	Bound bool
	Self  Value
	Fn    func(args []Value, kwargs []Kwarg) (Value, error)
}

// Call calls the function.
func (f *Func) Call(args []Value, kwargs []Kwarg) (Value, error) { return f.Fn(args, kwargs) }

// NewFunc returns an unbound builtin function named name.
func NewFunc(name string, fn func(args []Value, kwargs []Kwarg) (Value, error)) *Func {
	return &Func{Name: name, Fn: fn}
}

// Object is a Go type exposing attributes to templates. It may also
// implement Callable and the optional interfaces below.
type Object interface {
	// TypeName is the Python class name used in messages ("LoopContext").
	TypeName() string
	// Attr returns the attribute name, false when there is none.
	Attr(name string) (Value, bool)
}

// Optional interfaces an Object may implement; without them an object is
// true, unsized, not iterable, prints as its repr, and its repr is
// "<TypeName object>".
type (
	Stringer interface{ PyStr() (string, error) }
	Reprer   interface{ PyRepr() string }
	Sized    interface{ PyLen() int }
	Iterable interface {
		PyIter() (iter.Seq[Value], error)
	}
	Truther    interface{ PyTruth() bool }
	ItemGetter interface {
		PyGetItem(key Value) (Value, error)
	}
	// Moduler names the module of the class in Undefined messages
	// ("jinja2.runtime" gives "'jinja2.runtime.LoopContext object' has no attribute 'x'").
	Moduler interface{ PyModule() string }
)

// Namespace is Jinja2's namespace(): attributes set with {% set ns.x = ... %}.
type Namespace struct{ Attrs *Dict }

// NewNamespace returns an empty namespace.
func NewNamespace() *Namespace { return &Namespace{Attrs: NewDict()} }

// Error is a Python exception raised by an operation.
type Error struct {
	Kind    string // the Python exception class: TypeError, ValueError, KeyError, UndefinedError...
	Message string // str() of the exception
	limit   bool   // a bound of this package (MaxSize, MaxIntBits), not Python's
}

func (e *Error) Error() string { return e.Kind + ": " + e.Message }

// Unwrap classifies the error: fault.ErrTooLarge for a bound of this
// package, fault.ErrInvalid (the template is wrong) for the others.
func (e *Error) Unwrap() error {
	if e.limit {
		return fault.ErrTooLarge
	}
	return fault.ErrInvalid
}

// IsLimit reports whether e is a bound of this package (MaxSize,
// MaxIntBits) rather than an error Python would raise.
func (e *Error) IsLimit() bool { return e.limit }

// Errorf returns an *Error of kind.
func Errorf(kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// IsKind reports whether err is an *Error of one of the kinds.
func IsKind(err error, kinds ...string) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	for _, k := range kinds {
		if e.Kind == k {
			return true
		}
	}
	return false
}

// IsLookupFailure reports whether err is what Jinja2's getitem and getattr
// turn into an Undefined: a TypeError, LookupError (KeyError, IndexError)
// or AttributeError.
func IsLookupFailure(err error) bool {
	return IsKind(err, "TypeError", "KeyError", "IndexError", "AttributeError")
}

func typeError(format string, args ...any) *Error { return Errorf("TypeError", format, args...) }

func valueError(format string, args ...any) *Error { return Errorf("ValueError", format, args...) }
