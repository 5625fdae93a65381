package memory_test

import (
	"testing"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/projections/graph/graphtest"
	"github.com/infrahub-go/infrahub/projections/graph/memory"
	"github.com/infrahub-go/infrahub/schema"
)

func TestContract(t *testing.T) {
	graphtest.Run(t, func(t *testing.T) graphtest.Adapter {
		cat := events.NewCatalogueWithCore()
		schema.RegisterEvents(cat)
		branch.RegisterEvents(cat)
		nodes.RegisterEvents(cat)
		builtin, err := branch.Builtin()
		if err != nil {
			t.Fatal(err)
		}
		return memory.New(nodes.NewStore(cat, branch.NewState(cat, builtin)))
	})
}
