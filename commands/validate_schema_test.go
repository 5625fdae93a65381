package commands_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/queries/graphql"
	"github.com/infrahub-go/infrahub/schema"
)

// newCheckedSchemaFixture is a schema fixture whose application checks every schema's GraphQL
// API, as the server's does (cmd/infrahub: ValidateSchema is graphql.Check).
func newCheckedSchemaFixture(t *testing.T) *schemaFixture {
	t.Helper()
	log, store, _, fold := newApp(t)
	app, err := commands.New(commands.Config{Log: log, Catalogue: store.Catalogue(), State: store,
		WaitFor: fold.WaitFor, ValidateSchema: graphql.Check})
	if err != nil {
		t.Fatal(err)
	}
	return &schemaFixture{store: log, state: store.Branches(), app: app, fold: fold}
}

// places declares a hierarchical generic, and a generic with a relationship named parent to
// another kind: a node inheriting from both is valid in the schema language, but its GraphQL
// type cannot implement both interfaces (parent is NestedEdgedTestPlace! on one,
// NestedEdgedTestOwner! on the other).
const places = `version: "1.0"
generics:
  - name: Place
    namespace: Test
    hierarchical: true
    attributes:
      - {name: name, kind: Text, unique: true}
  - name: Owned
    namespace: Test
    attributes:
      - {name: label, kind: Text, optional: true}
nodes:
  - name: Owner
    namespace: Test
    attributes:
      - {name: name, kind: Text, unique: true}
  - name: Lot
    namespace: Test
    inherit_from: [TestOwned]
`

const ownedWithParent = `version: "1.0"
generics:
  - name: Owned
    namespace: Test
    attributes:
      - {name: label, kind: Text, optional: true}
    relationships:
      - {name: parent, peer: TestOwner, cardinality: one, optional: true}
`

const site = `version: "1.0"
nodes:
  - name: Site
    namespace: Test
    inherit_from: [TestPlace, TestOwned]
`

// schemaProblem returns the problem of a refused schema.
func schemaProblem(t *testing.T, err error) schema.Problem {
	t.Helper()
	var se *schema.Error
	if !errors.Is(err, commands.ErrInvalid) || !errors.As(err, &se) || len(se.Problems) != 1 {
		t.Fatalf("want an invalid schema with one problem, got %v", err)
	}
	return se.Problems[0]
}

// TestLoadRefusedWhenItsGraphQLIsInvalid: a load whose schema gives an invalid GraphQL schema is
// refused (every GraphQL document of the branch would fail otherwise), naming the kind and field,
// and writes nothing; a check refuses it the same way.
func TestLoadRefusedWhenItsGraphQLIsInvalid(t *testing.T) {
	f := newCheckedSchemaFixture(t)
	if _, err := f.load(t, "", places); err != nil {
		t.Fatal(err)
	}
	if err := f.sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, before := f.state.Schema("main")
	res, err := f.load(t, "", ownedWithParent, site)
	p := schemaProblem(t, err)
	if p.Path != "TestSite.relationships[parent]" || p.File != "schemas[0]" || p.Line != 8 ||
		!strings.Contains(p.Message, "For TestSite to implement TestOwned the field parent must have type NestedEdgedTestOwner!") {
		t.Errorf("problem %+v", p)
	}
	if len(res.Positions) != 0 {
		t.Errorf("a refused load wrote %v", res.Positions)
	}
	if err := f.sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, after := f.state.Schema("main"); after != before {
		t.Error("the branch's schema changed")
	}
	_, err = f.app.CheckSchema(commands.LoadSchema{Schemas: []json.RawMessage{mustJSON(ownedWithParent), mustJSON(site)}})
	if p := schemaProblem(t, err); p.Path != "TestSite.relationships[parent]" {
		t.Errorf("check: %+v", p)
	}
	// each part alone is fine
	if _, err := f.load(t, "", site); err != nil {
		t.Fatalf("site alone: %v", err)
	}
}

// TestMergeRefusedWhenItsGraphQLIsInvalid: a branch whose schema loads still apply over the
// default branch's, but give an invalid GraphQL schema there, is not merged.
func TestMergeRefusedWhenItsGraphQLIsInvalid(t *testing.T) {
	f := newCheckedSchemaFixture(t)
	if _, err := f.load(t, "", places); err != nil {
		t.Fatal(err)
	}
	if _, err := f.createBranch(t, "b1"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.load(t, "b1", site); err != nil {
		t.Fatal(err)
	}
	if _, err := f.load(t, "", ownedWithParent); err != nil {
		t.Fatal(err)
	}
	if err := f.sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(map[string]string{"branch": "b1"})
	_, err := f.app.Dispatch(context.Background(), commands.Command{Type: commands.TypeMergeBranch, Payload: payload})
	var se *schema.Error
	if !errors.Is(err, commands.ErrConflict) || !errors.As(err, &se) || !strings.Contains(err.Error(), "TestSite.relationships[parent]") {
		t.Fatalf("merge: want a conflict naming TestSite.relationships[parent], got %v", err)
	}
}

// TestLoadAnswersWarnings: what a load accepts but reports reaches the client in the answer's
// warnings, in Infrahub's SchemaWarning shape; the list is never null.
func TestLoadAnswersWarnings(t *testing.T) {
	f := newCheckedSchemaFixture(t)
	res, err := f.load(t, "", widget+"    menu_placement: TestMissing\n")
	if err != nil {
		t.Fatal(err)
	}
	out := res.Data.(commands.SchemaOutcome)
	if len(out.Warnings) != 1 || out.Warnings[0].Kinds[0].Kind != "TestWidget" || *out.Warnings[0].Kinds[0].Field != "menu_placement" {
		t.Fatalf("warnings %+v", out.Warnings)
	}
	var answer struct {
		Warnings []struct {
			Type  string `json:"type"`
			Kinds []struct {
				Kind  string  `json:"kind"`
				Field *string `json:"field"`
			} `json:"kinds"`
			Message string `json:"message"`
		} `json:"warnings"`
	}
	raw, _ := json.Marshal(out)
	if err := json.Unmarshal(raw, &answer); err != nil || len(answer.Warnings) != 1 || answer.Warnings[0].Type != "deprecation" ||
		!strings.Contains(answer.Warnings[0].Message, "TestMissing") {
		t.Fatalf("answer %s", raw)
	}
	res, err = f.load(t, "", gadget)
	if err != nil {
		t.Fatal(err)
	}
	if raw, _ := json.Marshal(res.Data); !strings.Contains(string(raw), `"warnings":[]`) {
		t.Errorf("a load without warnings answers %s", raw)
	}
	check, err := f.app.CheckSchema(commands.LoadSchema{Schemas: []json.RawMessage{mustJSON(widget + "    menu_placement: TestOther\n")}})
	if err != nil || len(check.Warnings) != 1 || !strings.Contains(check.Warnings[0].Message, "TestOther") {
		t.Errorf("check: %+v %v", check.Warnings, err)
	}
}

func mustJSON(s string) json.RawMessage {
	b, _ := json.Marshal(s)
	return b
}
