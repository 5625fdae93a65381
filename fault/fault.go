// Package fault is the one error family of infrahub-go: a few kinds of failure that every layer
// wraps with %w (errors.Is(err, fault.ErrNotFound) holds for a missing branch, node, kind or
// conflict id alike), and the one table from kind to HTTP status, REST error code and GraphQL
// extensions.code.
//
// A layer declares its own sentinels and error types on top of a kind (New, Coded, or an Unwrap
// method returning a kind) and adds context with fmt.Errorf("...: %w", err); it never translates
// an error of a lower layer into another kind with %v, which would cut the chain.
package fault

import (
	"context"
	"errors"
	"net/http"
)

// The kinds. Their messages start the message of every error of the kind.
var (
	// ErrInvalid: the request is malformed or breaks a rule; the message names the field.
	ErrInvalid = errors.New("invalid")
	// ErrNotFound: the request names something that does not exist (a branch, a node, a kind).
	ErrNotFound = errors.New("not found")
	// ErrConflict: the request contradicts what exists (a unique value taken, a branch name used,
	// a stream moved on).
	ErrConflict = errors.New("conflict")
	// ErrForbidden: the caller may not do this.
	ErrForbidden = errors.New("forbidden")
	// ErrUnavailable: a dependency is down, the server is stopping, or the caller gave up.
	ErrUnavailable = errors.New("unavailable")
	// ErrTooLarge: the request exceeds a stated limit; the message names the limit.
	ErrTooLarge = errors.New("too large")
)

// Class is how an error is answered: its kind (nil when internal), HTTP status, REST error code
// and GraphQL extensions.code.
type Class struct {
	Kind    error
	Status  int
	Code    string
	GraphQL string
}

// table is the mapping, in precedence order (an error wrapping two kinds takes the first).
var table = []Class{
	{ErrInvalid, http.StatusBadRequest, "invalid_command", "BAD_USER_INPUT"},
	{ErrNotFound, http.StatusNotFound, "not_found", "NOT_FOUND"},
	{ErrConflict, http.StatusConflict, "conflict", "CONFLICT"},
	{ErrForbidden, http.StatusForbidden, "forbidden", "FORBIDDEN"},
	{ErrTooLarge, http.StatusRequestEntityTooLarge, "too_large", "TOO_LARGE"},
	{ErrUnavailable, http.StatusServiceUnavailable, "unavailable", "UNAVAILABLE"},
}

// internal is the class of every error of no kind: a bug or an unexpected failure, whose message
// stays in the server log.
var internal = Class{Status: http.StatusInternalServerError, Code: "internal", GraphQL: "INTERNAL_SERVER_ERROR"}

// Classify finds err's class: its first kind in precedence order (a cancelled or expired context
// is ErrUnavailable), with the codes of the outermost coded sentinel of that kind when there is one.
func Classify(err error) Class {
	if err == nil {
		return Class{Status: http.StatusOK}
	}
	c, found := internal, false
	for _, row := range table {
		if errors.Is(err, row.Kind) {
			c, found = row, true
			break
		}
	}
	if !found {
		if !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
			return internal
		}
		c = table[len(table)-1]
	}
	var s *sentinel
	if errors.As(err, &s) && errors.Is(s.kind, c.Kind) {
		if s.code != "" {
			c.Code = s.code
		}
		if s.graphql != "" {
			c.GraphQL = s.graphql
		}
	}
	return c
}

// Is reports whether err is of kind (a shorthand of errors.Is for readers of this package).
func Is(err, kind error) bool { return errors.Is(err, kind) }

// sentinel is an error of a kind with a message of its own and, optionally, codes of its own.
type sentinel struct {
	kind          error
	msg           string
	code, graphql string
}

func (s *sentinel) Error() string { return s.msg }

// Unwrap makes errors.Is(s, kind) true.
func (s *sentinel) Unwrap() error { return s.kind }

// New declares a sentinel of a kind: errors.Is(New(k, m), k) is true.
func New(kind error, msg string) error { return &sentinel{kind: kind, msg: msg} }

// Coded declares a sentinel of a kind answered with codes of its own (an empty code keeps the
// kind's): a version conflict is a conflict that REST clients see as "version_conflict".
func Coded(kind error, msg, code, graphqlCode string) error {
	return &sentinel{kind: kind, msg: msg, code: code, graphql: graphqlCode}
}
