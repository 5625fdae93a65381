package jinja

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/jinja/value"
)

// tplError is an error that already names its template and line.
type tplError struct{ err *Error }

func (e *tplError) Error() string { return e.err.Error() }

// locate gives err the template and line of cf, unless an inner frame did.
func locate(err error, cf *codeFrame) error {
	var te *tplError
	if errors.As(err, &te) {
		return te
	}
	return &tplError{toError(err, cf.tpl.name, cf.line)}
}

// toError converts any error of a render to an *Error.
func toError(err error, name string, line int) *Error {
	var te *tplError
	if errors.As(err, &te) {
		return te.err
	}
	var e *Error
	if errors.As(err, &e) {
		c := *e
		if c.Name == "" && c.Line == 0 {
			c.Name, c.Line = name, line
		}
		return &c
	}
	var ve *value.Error
	if errors.As(err, &ve) {
		kind := ve.Kind
		if kind == "UndefinedError" && isUnsafeMessage(ve.Message) {
			kind = "SecurityError"
		}
		return &Error{Kind: kind, Name: name, Line: line, Message: ve.Message}
	}
	return &Error{Kind: "InternalError", Name: name, Line: line, Message: err.Error()}
}

// Unwrap classifies an error of a render: a bound of the engine (LimitError, RecursionError,
// MemoryError) is a fault.ErrTooLarge, a cancelled render (CancelledError, TimeoutError) the
// context's error and fault.ErrUnavailable, an InternalError (a bug of the engine, recovered)
// nothing, any other a fault.ErrInvalid (the template or its data is wrong).
//
// Besides the kinds Error's documentation lists, a render answers TemplateAssertionError (a
// compile-time check of Jinja2), SyntaxError (what Python's compile() refuses in Jinja2's
// generated code: a repeated macro or keyword argument), RecursionError, MemoryError, OSError,
// RuntimeError, AssertionError (as the builtins raise them) and the engine's own LimitError,
// CancelledError, TimeoutError and InternalError.
func (e *Error) Unwrap() []error {
	switch e.Kind {
	case "LimitError", "RecursionError", "MemoryError":
		return []error{fault.ErrTooLarge}
	case "CancelledError":
		return []error{context.Canceled, fault.ErrUnavailable}
	case "TimeoutError":
		return []error{context.DeadlineExceeded, fault.ErrUnavailable}
	case "InternalError":
		return nil
	}
	return []error{fault.ErrInvalid}
}

func isUnsafeMessage(msg string) bool {
	return strings.HasPrefix(msg, "access to attribute ") && strings.HasSuffix(msg, " object is unsafe.")
}

func runtimeError(format string, args ...any) *Error {
	return &Error{Kind: "TemplateRuntimeError", Message: fmt.Sprintf(format, args...)}
}

func cancelled(err error) *Error {
	if errors.Is(err, context.DeadlineExceeded) {
		return &Error{Kind: "TimeoutError", Message: "the render's deadline passed: " + err.Error()}
	}
	return &Error{Kind: "CancelledError", Message: "the render was cancelled: " + err.Error()}
}
