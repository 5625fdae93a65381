package commands_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/infrahub-go/infrahub/commands"
)

// Each caller of a turn is answered only once its write is readable, and the commands of
// another process on the same log meet the version check: clients of two applications create
// tags in rounds, each reading its own tag at once, and every tag answered is there at the end,
// each at a position of its own.
func TestGroupedTurnsReadTheirWritesBesideAnotherWriter(t *testing.T) {
	f := newNodeFixture(t)
	other := anotherApp(t, f.log, f.store, f.fold)
	const clients, rounds = 12, 15
	var mu sync.Mutex
	seen := map[string]string{} // node id → name
	positions := map[int64]string{}
	var wg sync.WaitGroup
	for c := range clients {
		app := f.app
		if c%4 == 3 {
			app = other
		}
		wg.Go(func() {
			for r := range rounds {
				name := fmt.Sprintf("tag-%d-%d", c, r)
				res, err := app.Dispatch(context.Background(), commands.Command{Type: commands.TypeCreateNode,
					Payload: json.RawMessage(fmt.Sprintf(`{"kind":"TestTag","data":{"name":%q}}`, name))})
				if err != nil {
					t.Errorf("%s: %v", name, err)
					return
				}
				out, _ := res.Data.(commands.NodeOutcome)
				v, err := f.store.View("main", 0)
				if err != nil {
					t.Error(err)
					return
				}
				if _, ok := v.Kind(nid(t, out.ID)); !ok || v.Position < res.Positions[len(res.Positions)-1] {
					t.Errorf("%s (%s) answered at %v, not readable at once (view at %d)", name, out.ID, res.Positions, v.Position)
					return
				}
				mu.Lock()
				seen[out.ID] = name
				for _, p := range res.Positions {
					if prev, dup := positions[int64(p)]; dup {
						t.Errorf("position %d answered to %s and %s", p, prev, name)
					}
					positions[int64(p)] = name
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	v := f.view(t, "main")
	if n := len(v.Nodes("TestTag")); n != clients*rounds || len(seen) != clients*rounds {
		t.Fatalf("%d tags, %d answered, want %d", n, len(seen), clients*rounds)
	}
	for id := range seen {
		if _, ok := v.Kind(nid(t, id)); !ok {
			t.Fatalf("tag %s answered, not there", id)
		}
	}
}
