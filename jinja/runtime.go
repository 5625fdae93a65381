package jinja

import (
	"context"

	"github.com/infrahub-go/infrahub/jinja/value"
)

// Args are the arguments of a filter, test or call after the value: positional, then keyword
// ones in the order written.
type Args struct {
	Pos []value.Value
	Kw  []value.Kwarg
}

// Filter is a filter: v is the value left of the '|'. An error is a *value.Error (the Python
// exception the filter raises: TypeError, ValueError, FilterArgumentError, ...) or an *Error.
type Filter func(r Runtime, v value.Value, a Args) (value.Value, error)

// Test is a test (`v is name(args)`).
type Test func(r Runtime, v value.Value, a Args) (bool, error)

// Runtime is what a filter or a test may ask of the render that calls it.
type Runtime interface {
	// Context is the render's context (cancellation, deadline).
	Context() context.Context
	// GetAttr is Jinja2's environment.getattr: the attribute name of obj, else its item name;
	// an Undefined (lenient or strict, as the environment) when neither exists.
	GetAttr(obj value.Value, name string) value.Value
	// GetItem is environment.getitem: the item key of obj, else (for a string key) its
	// attribute; an Undefined when neither exists.
	GetItem(obj, key value.Value) value.Value
	// Filter and Test call the filter or test name of the environment (TemplateRuntimeError
	// "No filter named 'x'." when there is none).
	Filter(name string, v value.Value, a Args) (value.Value, error)
	Test(name string, v value.Value, a Args) (bool, error)
	// Call calls a callable value (a macro, a global function, a method).
	Call(fn value.Value, a Args) (value.Value, error)
	// Undefined makes an Undefined of the environment's kind with Jinja2's hint message.
	Undefined(hint string) value.Value
	// Sandboxed reports whether the environment is sandboxed (SandboxedEnvironment).
	Sandboxed() bool
}
