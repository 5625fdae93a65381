package branch_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/fault"
)

// A conflict's Ref is for merges only: the JSON answer does not carry it.
func TestConflictJSONLeavesRefOut(t *testing.T) {
	c := branch.Conflict{ID: "c1", Node: "n1", Kind: "TestDevice", Path: "asn", Base: 1.0, Main: 2.0, Branch: 3.0,
		Ref: branch.ConflictRef{Node: "n1", Field: "a:asn"}}
	raw, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"id":"c1","node":"n1","kind":"TestDevice","path":"asn","base":1,"main":2,"branch":3}`
	if string(raw) != want {
		t.Errorf("JSON = %s; want %s", raw, want)
	}
}

func TestKeepMain(t *testing.T) {
	base := branch.ConflictRef{Node: "n1", Field: "a:asn"}
	kept := branch.ConflictRef{Node: "n2", Field: "a:name"}
	d := branch.Diff{Conflicts: []branch.Conflict{
		{ID: "c1", Selected: branch.KeepBase, Ref: base},
		{ID: "c2", Selected: branch.KeepBranch, Ref: kept},
	}}
	keep, err := d.KeepMain()
	if err != nil {
		t.Fatal(err)
	}
	if !keep(base) || keep(kept) || keep(branch.ConflictRef{Node: "n3"}) {
		t.Errorf("keep(base, branch, other) = %v, %v, %v; want true, false, false", keep(base), keep(kept), keep(branch.ConflictRef{Node: "n3"}))
	}

	d.Conflicts = append(d.Conflicts, branch.Conflict{ID: "c3", Kind: "TestDevice", Node: "n3", Path: "role"})
	_, err = d.KeepMain()
	if !errors.Is(err, branch.ErrUnresolvedConflicts) || !errors.Is(err, fault.ErrConflict) {
		t.Fatalf("KeepMain with an open conflict: %v; want ErrUnresolvedConflicts (a conflict)", err)
	}
	if !strings.HasPrefix(err.Error(), "1 unresolved conflicts: c3 (TestDevice n3 role)") {
		t.Errorf("message %q does not name the open conflict", err)
	}
}
