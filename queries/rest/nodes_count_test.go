package rest_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/infrahub-go/infrahub/authz"
	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/queries/rest"
)

const genericSchema = `
version: "1.0"
generics:
  - name: Thing
    namespace: Test
    attributes:
      - {name: name, kind: Text, unique: true}
nodes:
  - name: Rock
    namespace: Test
    inherit_from: [TestThing]
  - name: Secret
    namespace: Test
    inherit_from: [TestThing]
`

// A generic's list counts only the kinds the identity may view: the nodes of the others are
// neither answered nor counted.
func TestGenericCountLeavesOutUnviewableKinds(t *testing.T) {
	f := newFixture(t)
	raw, _ := json.Marshal(genericSchema)
	f.command(t, commands.TypeLoadSchema, commands.LoadSchema{Schemas: []json.RawMessage{raw}})
	for kind, names := range map[string][]string{"TestRock": {"r1", "r2"}, "TestSecret": {"s1", "s2", "s3"}} {
		for _, name := range names {
			f.command(t, commands.TypeCreateNode, map[string]any{"kind": kind, "data": map[string]any{"name": name}})
		}
	}
	var perms []authz.ObjectPermission
	for _, s := range []string{"object:Test:Secret:view:deny", "object:*:*:view:allow_all"} {
		p, err := authz.ParseObject(s)
		if err != nil {
			t.Fatal(err)
		}
		perms = append(perms, p)
	}
	id := &authz.Identity{AccountID: "a1", Name: "viewer", AccountType: "User", Permissions: authz.NewPermissions(nil, perms)}
	mux := http.NewServeMux()
	(&rest.Nodes{Graph: f.port, Default: branch.Default, State: f.store.Branches()}).Register(mux)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(w, r.WithContext(authz.With(r.Context(), id)))
	}))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/api/nodes/TestThing")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Count int `json:"count"`
		Nodes []struct {
			Kind string `json:"kind"`
		} `json:"nodes"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 200 {
		t.Fatalf("%d %v", resp.StatusCode, err)
	}
	if out.Count != 2 || len(out.Nodes) != 2 || out.Nodes[0].Kind != "TestRock" || out.Nodes[1].Kind != "TestRock" {
		t.Fatalf("the list of TestThing: %+v", out)
	}
}
