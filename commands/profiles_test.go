package commands_test

import (
	"encoding/json"
	"testing"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/commands"
)

const profileSchema = `
version: "1.0"
nodes:
  - name: Box
    namespace: Prf
    human_friendly_id: [name__value]
    attributes:
      - {name: name, kind: Text, unique: true}
      - {name: role, kind: Text, optional: true}
      - {name: color, kind: Text, default_value: grey}
      - {name: size, kind: Number}
`

// A node takes each attribute from its own value, else the profile with the lowest priority
// number that sets it, else the default; profile values follow the profile and go away with it,
// and a mandatory attribute may come from a profile.
func TestProfiles(t *testing.T) {
	f := newNodeFixture(t)
	raw, _ := json.Marshal(profileSchema)
	f.run(t, commands.TypeLoadSchema, commands.LoadSchema{Schemas: []json.RawMessage{raw}})
	p1 := f.create(t, "ProfilePrfBox", map[string]any{"profile_name": "one", "profile_priority": 10, "role": "a", "size": 5})
	p2 := f.create(t, "ProfilePrfBox", map[string]any{"profile_name": "two", "profile_priority": 1, "role": "b"})
	f.create(t, "PrfBox", map[string]any{"name": "b1", "profiles": []any{p1, p2}})
	f.create(t, "PrfBox", map[string]any{"name": "b2", "role": "own", "size": 3, "profiles": []any{p2}})
	if _, err := f.try(t, commands.TypeCreateNode, map[string]any{"kind": "PrfBox", "data": map[string]any{"name": "b3", "profiles": []any{p2}}}); err == nil {
		t.Fatal("a mandatory attribute no profile gives was accepted")
	}
	attrs := func(name string) map[string]nodes.Attr {
		for _, n := range f.view(t, branch.Default).Dump() {
			if n.Kind == "PrfBox" && n.HFID[0] == name {
				return n.Attributes
			}
		}
		t.Fatalf("no box %s", name)
		return nil
	}
	check := func(box, attr string, want any, source string) {
		t.Helper()
		a := attrs(box)[attr]
		if a.Value != want || a.Source != source {
			t.Errorf("%s.%s = %v (source %q), want %v (source %q)", box, attr, a.Value, a.Source, want, source)
		}
	}
	check("b1", "role", "b", p2) // priority 1 before 10
	check("b1", "size", float64(5), p1)
	check("b1", "color", "grey", "")
	check("b2", "role", "own", "")
	// Changing a profile changes the nodes that take the value from it.
	f.run(t, commands.TypeUpdateNode, map[string]any{"kind": "ProfilePrfBox", "id": p2, "data": map[string]any{"role": "c"}})
	check("b1", "role", "c", p2)
	check("b2", "role", "own", "")
	// Unlinking a profile gives the value of the next one.
	f.run(t, commands.TypeRemovePeers, map[string]any{"kind": "PrfBox", "hfid": []string{"b1"}, "name": "profiles", "peers": []any{p2}})
	check("b1", "role", "a", p1)
	// A value set on the node wins over the profiles.
	f.run(t, commands.TypeUpdateNode, map[string]any{"kind": "PrfBox", "hfid": []string{"b1"}, "data": map[string]any{"role": "mine"}})
	check("b1", "role", "mine", "")
	// Deleting a profile takes its values away from the nodes that took them.
	p3 := f.create(t, "ProfilePrfBox", map[string]any{"profile_name": "three", "profile_priority": 5, "role": "x", "color": "blue"})
	f.create(t, "PrfBox", map[string]any{"name": "b4", "size": 1, "profiles": []any{p3}})
	check("b4", "role", "x", p3)
	check("b4", "color", "blue", p3)
	f.run(t, commands.TypeDeleteNode, map[string]any{"kind": "ProfilePrfBox", "id": p3})
	check("b4", "role", nil, "")
	check("b4", "color", "grey", "")
	// A profile that gives a node its only value of a mandatory attribute cannot go.
	if _, err := f.try(t, commands.TypeDeleteNode, map[string]any{"kind": "ProfilePrfBox", "id": p1}); err == nil {
		t.Error("deleting the profile that gives b1 its mandatory size was accepted")
	}
	check("b1", "size", float64(5), p1)
}
