package nodetx

import (
	"errors"
	"fmt"
	"strings"

	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/commands/objectfile"
	"github.com/infrahub-go/infrahub/fault"
)

// UniquenessError is a write refused because another node holds a unique value.
type UniquenessError struct {
	Kind       string
	Constraint string
	Value      string
	Holder     string
}

func (e *UniquenessError) Error() string {
	if e.Constraint == nodes.ConstraintHFID {
		return fmt.Sprintf("%s: human-friendly id %q is already used by node %s", e.Kind, strings.ReplaceAll(e.Value, "\x00", "/"), e.Holder)
	}
	return fmt.Sprintf("%s: violates uniqueness constraint %q: value %s is already used by node %s", e.Kind, e.Constraint, e.Value, e.Holder)
}

// Unwrap makes errors.Is(err, fault.ErrConflict) true.
func (e *UniquenessError) Unwrap() error { return fault.ErrConflict }

// nodeError names the node and the field of a refusal. An error of no kind (a value that does
// not parse) is an invalid input.
func nodeError(kind, field string, err error) error {
	where := kind
	if field != "" {
		where += fmt.Sprintf(", field %q", field)
	}
	if errors.Is(err, fault.ErrNotFound) || errors.Is(err, fault.ErrConflict) || errors.Is(err, fault.ErrInvalid) || errors.Is(err, fault.ErrTooLarge) {
		return fmt.Errorf("%s: %w", where, err)
	}
	return fmt.Errorf("%w: %s: %w", fault.ErrInvalid, where, err)
}

// ObjectError makes the problems of object files (objectfile.Error) an invalid-input error, or,
// when a file met a limit, a limit error (fault.ErrTooLarge) naming it.
func ObjectError(err error) error {
	var oe *objectfile.Error
	if errors.As(err, &oe) && errors.Is(err, fault.ErrTooLarge) {
		return fmt.Errorf("object files:\n%w", err)
	}
	if errors.As(err, &oe) {
		return fmt.Errorf("%w: object files:\n%w", fault.ErrInvalid, err)
	}
	return err
}

// sourced prefixes err with where the object was written.
func sourced(s objectfile.Source, err error) error {
	where := fmt.Sprintf("%s:%d: document %d, item %d", s.File, s.Line, s.Document, s.Item)
	if s.Path != "" {
		where += ", " + s.Path
	}
	return fmt.Errorf("%s: %w", where, err)
}
