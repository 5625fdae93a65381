package graphql_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/infrahub-go/infrahub/queries/graphql"
)

// An hfid with a null element is refused naming it, never looked up as "<nil>": the node's own
// hfid (an update) and a related node's.
func TestNullHFIDElementRefused(t *testing.T) {
	f := newFixture(t, computedGQLSchema)
	run(t, f, graphql.Request{Query: `mutation { CmpSiteCreate(data: {name: {value: "par"}}) { ok } }`})
	for _, doc := range []string{
		`mutation { CmpSiteUpdate(data: {hfid: [null], name: {value: "x"}}) { ok } }`,
		`mutation { CmpDeviceCreate(data: {name: {value: "r1"}, site: {hfid: [null]}}) { ok } }`,
	} {
		out := run(t, f, graphql.Request{Query: doc})
		msg := fmt.Sprint(out["errors"])
		if out["errors"] == nil || !strings.Contains(msg, "element 0") || strings.Contains(msg, "<nil>") {
			t.Errorf("%s: %v; want an error naming hfid element 0", doc, out)
		}
	}
}
