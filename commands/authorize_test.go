package commands_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/authz"
	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/fault"
)

// Dispatch checks the identity the context carries: anonymous never writes; an editor whose
// object permission is allow_other writes on a branch and not on the default branch (nor without
// edit_default_branch); a delete by id is checked on the kind the transaction found; a batch on
// what it did; merge and schema loads need their global permissions. A context without an
// identity (the server's own work) is allowed. Every refusal stores nothing.
func TestDispatchEnforcesPermissions(t *testing.T) {
	f := newNodeFixture(t)
	bg := context.Background()
	f.run(t, commands.TypeCreateBranch, commands.CreateBranch{Name: "b1"})
	editor := &authz.Identity{AccountID: "acc-e", Name: "editor", Permissions: authz.NewPermissions(nil, []authz.ObjectPermission{
		{Namespace: "*", Name: "*", Action: authz.View, Decision: authz.AllowAll},
		{Namespace: "Test", Name: "Site", Action: authz.Any, Decision: authz.AllowOther}})}
	dispatch := func(id *authz.Identity, typ string, payload any) error {
		raw, _ := json.Marshal(payload)
		ctx := bg
		if id != nil {
			ctx = authz.With(bg, id)
		}
		_, err := f.app.Dispatch(ctx, commands.Command{Type: typ, Payload: raw})
		return err
	}
	head := func() int64 {
		h, err := f.log.Head(bg)
		if err != nil {
			t.Fatal(err)
		}
		return int64(h)
	}
	site := func(branch, name string) map[string]any {
		return map[string]any{"kind": "TestSite", "branch": branch, "data": map[string]any{"name": name}}
	}
	if err := dispatch(nil, commands.TypeCreateNode, site("", "by-server")); err != nil {
		t.Fatalf("no identity: %v", err)
	}
	if err := dispatch(editor, commands.TypeCreateNode, site("b1", "by-editor")); err != nil {
		t.Fatalf("editor on a branch: %v", err)
	}
	var tagID string
	{
		raw, _ := json.Marshal(map[string]any{"kind": "TestTag", "branch": "b1", "data": map[string]any{"name": "t1"}})
		res, err := f.app.Dispatch(bg, commands.Command{Type: commands.TypeCreateNode, Payload: raw})
		if err != nil {
			t.Fatal(err)
		}
		tagID = res.Data.(commands.NodeOutcome).ID
	}
	denied := []struct {
		name, typ, want string
		id              *authz.Identity
		payload         any
	}{
		{"anonymous", commands.TypeCreateNode, "anonymous requests may not write", authz.Anonymous, site("b1", "x1")},
		{"anonymous branch", commands.TypeCreateBranch, "anonymous", authz.Anonymous, commands.CreateBranch{Name: "b2"}},
		{"editor on main", commands.TypeCreateNode, "global:edit_default_branch", editor, site("", "x2")},
		{"editor, other kind", commands.TypeCreateNode, "object:Test:Tag:create:allow_other", editor,
			map[string]any{"kind": "TestTag", "branch": "b1", "data": map[string]any{"name": "x3"}}},
		{"editor, delete by id", commands.TypeDeleteNode, "object:Test:Tag:delete:allow_other", editor,
			map[string]any{"branch": "b1", "id": tagID}},
		{"editor, batch", commands.TypeBatch, "object:Test:Tag:create:allow_other", editor, map[string]any{"branch": "b1",
			"operations": []any{map[string]any{"type": "node.create", "payload": map[string]any{"kind": "TestTag", "data": map[string]any{"name": "x4"}}}}}},
		{"editor merge", commands.TypeMergeBranch, "global:edit_default_branch", editor, commands.BranchRef{Branch: "b1"}},
		{"editor schema", commands.TypeLoadSchema, "global:manage_schema", editor, commands.LoadSchema{Schemas: []json.RawMessage{[]byte(`{"version": "1.0"}`)}}},
	}
	for _, d := range denied {
		before := head()
		err := dispatch(d.id, d.typ, d.payload)
		if !errors.Is(err, fault.ErrForbidden) || !strings.Contains(err.Error(), d.want) {
			t.Errorf("%s: %v, want forbidden naming %q", d.name, err, d.want)
		}
		if after := head(); after != before {
			t.Errorf("%s: denied, yet the log moved from %d to %d", d.name, before, after)
		}
	}
}
