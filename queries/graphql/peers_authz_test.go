package graphql_test

import (
	"context"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/authz"
	"github.com/infrahub-go/infrahub/queries/graphql"
)

// Peers of kinds the requester may not view are left out of relationships (a cardinality-one
// peer is null, a cardinality-many list and its count leave it out), as the kinds themselves
// are refused at the root.
func TestPeersOfUnviewableKindsLeftOut(t *testing.T) {
	f := newFixture(t, fixtureSchema)
	f.create(t, "", "TestRegion", map[string]any{"name": "europe"})
	f.create(t, "", "TestSite", map[string]any{"name": "site-1", "parent": "europe"})
	f.create(t, "", "TestDevice", map[string]any{"name": "d1", "site": "site-1"})
	f.create(t, "", "TestInterfaceL2", map[string]any{"name": "eth0", "vlan": 1, "device": "d1"})
	perms := func(ids ...string) *authz.Identity {
		var ps []authz.ObjectPermission
		for _, s := range ids {
			p, err := authz.ParseObject(s)
			if err != nil {
				t.Fatal(err)
			}
			ps = append(ps, p)
		}
		return &authz.Identity{AccountID: "a1", Name: "viewer", AccountType: "User", Permissions: authz.NewPermissions(nil, ps)}
	}
	const q = `{ TestDevice { edges { node { name { value } site { node { id } } interfaces { count edges { node { id } } } } } } }`
	run := func(id *authz.Identity) string {
		t.Helper()
		r := f.x.Execute(authz.With(context.Background(), id), graphql.Request{Query: q})
		if len(r.Errors) > 0 {
			t.Fatalf("errors: %v", r.Errors)
		}
		return string(r.Data)
	}
	all := run(perms("object:*:*:view:allow_all"))
	if !strings.Contains(all, `"site":{"node":{"id"`) || !strings.Contains(all, `"interfaces":{"count":1`) {
		t.Fatalf("with every view: %s", all)
	}
	limited := run(perms("object:Test:Site:view:deny", "object:Test:InterfaceL2:view:deny", "object:*:*:view:allow_all"))
	if !strings.Contains(limited, `"site":{"node":null}`) || !strings.Contains(limited, `"interfaces":{"count":0,"edges":[]}`) ||
		!strings.Contains(limited, `"d1"`) {
		t.Fatalf("peers of unviewable kinds answered: %s", limited)
	}
}
