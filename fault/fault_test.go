package fault_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/infrahub-go/infrahub/fault"
)

func TestClassify(t *testing.T) {
	versionConflict := fault.Coded(fault.ErrConflict, "stream version conflict", "version_conflict", "")
	unknown := fault.Coded(fault.ErrInvalid, "unknown command type", "unknown_command", "")
	branchNotFound := fault.New(fault.ErrNotFound, "branch not found")
	tooComplex := fault.Coded(fault.ErrTooLarge, "query too complex", "", "QUERY_TOO_COMPLEX")
	cases := []struct {
		name    string
		err     error
		status  int
		code    string
		graphql string
	}{
		{"invalid", fmt.Errorf("x: %w", fault.ErrInvalid), 400, "invalid_command", "BAD_USER_INPUT"},
		{"not found through a sentinel", fmt.Errorf("node 1: %w", branchNotFound), 404, "not_found", "NOT_FOUND"},
		{"conflict", fault.ErrConflict, 409, "conflict", "CONFLICT"},
		{"coded conflict", fmt.Errorf("append: %w", versionConflict), 409, "version_conflict", "CONFLICT"},
		{"coded invalid", fmt.Errorf("%w %q", unknown, "node.explode"), 400, "unknown_command", "BAD_USER_INPUT"},
		{"graphql code of its own", tooComplex, 413, "too_large", "QUERY_TOO_COMPLEX"},
		{"forbidden", fault.ErrForbidden, 403, "forbidden", "FORBIDDEN"},
		{"unavailable", fault.ErrUnavailable, 503, "unavailable", "UNAVAILABLE"},
		{"cancelled", fmt.Errorf("wait: %w", context.Canceled), 503, "unavailable", "UNAVAILABLE"},
		{"deadline", context.DeadlineExceeded, 503, "unavailable", "UNAVAILABLE"},
		{"no kind", errors.New("disk on fire"), 500, "internal", "INTERNAL_SERVER_ERROR"},
		// Two kinds: the first of the table wins, and a coded sentinel of the other kind does not
		// lend it its code.
		{"precedence", errors.Join(versionConflict, fault.ErrInvalid), 400, "invalid_command", "BAD_USER_INPUT"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := fault.Classify(c.err)
			if got.Status != c.status || got.Code != c.code || got.GraphQL != c.graphql {
				t.Errorf("Classify(%v) = %d %s %s, want %d %s %s", c.err, got.Status, got.Code, got.GraphQL, c.status, c.code, c.graphql)
			}
		})
	}
}

func TestSentinelsWrapTheirKind(t *testing.T) {
	s := fault.New(fault.ErrNotFound, "branch not found")
	if !errors.Is(fmt.Errorf("read: %w", s), fault.ErrNotFound) || !errors.Is(s, s) {
		t.Fatal("a sentinel must be its kind and itself")
	}
	if errors.Is(s, fault.ErrInvalid) {
		t.Fatal("a sentinel is of one kind only")
	}
	if s.Error() != "branch not found" {
		t.Fatalf("message %q", s.Error())
	}
}
