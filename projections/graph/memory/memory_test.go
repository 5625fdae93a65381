package memory_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/projections/graph"
	"github.com/infrahub-go/infrahub/projections/graph/graphtest"
	"github.com/infrahub-go/infrahub/projections/graph/memory"
	"github.com/infrahub-go/infrahub/schema"
)

func newStore(t *testing.T) *nodes.Store {
	t.Helper()
	cat := events.NewCatalogueWithCore()
	schema.RegisterEvents(cat)
	branch.RegisterEvents(cat)
	nodes.RegisterEvents(cat)
	builtin, err := branch.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	return nodes.NewStore(cat, branch.NewState(cat, builtin))
}

// pollStore waits until store has folded pos: the contract suite feeds the Store itself.
func pollStore(store *nodes.Store) func(context.Context, events.Position) error {
	return func(ctx context.Context, pos events.Position) error {
		for store.Position() < pos {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Millisecond):
			}
		}
		return nil
	}
}

func TestContract(t *testing.T) {
	var store *nodes.Store
	var reader *memory.Reader
	graphtest.Run(t, func(t *testing.T) graphtest.Adapter {
		store = newStore(t)
		r, err := memory.New(memory.Config{Store: store, WaitFor: pollStore(store)})
		if err != nil {
			t.Fatal(err)
		}
		reader = r
		return r
	})

	// The dump's nodes are nodes.View.Dump's, byte for byte in JSON (GET /api/dump did not
	// change with the port).
	for _, name := range []string{"main", "feature"} {
		v, err := store.View(name, 0)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(v.Dump())
		d, err := reader.Dump(context.Background(), graph.Scope{Branch: name})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := json.Marshal(d.Nodes)
		if string(got) != string(want) || len(d.Nodes) == 0 {
			t.Errorf("%s: the port's dump differs from View.Dump:\n got %s\nwant %s", name, got, want)
		}
	}
}

func TestConfig(t *testing.T) {
	store := newStore(t)
	wait := pollStore(store)
	for name, cfg := range map[string]memory.Config{
		"no store":    {WaitFor: wait},
		"no wait":     {Store: store},
		"nothing set": {},
	} {
		if r, err := memory.New(cfg); !errors.Is(err, fault.ErrInvalid) || r != nil {
			t.Errorf("%s: New = %v, %v; want fault.ErrInvalid", name, r, err)
		}
	}
	if _, err := memory.New(memory.Config{Store: store, WaitFor: wait}); err != nil {
		t.Errorf("New with Store and WaitFor: %v", err)
	}
}

// WaitFor calls Config.WaitFor only while the Store is behind, and keeps its error.
func TestWaitForCallsConfig(t *testing.T) {
	store := newStore(t)
	calls := 0
	failure := errors.New("fold failed")
	r, err := memory.New(memory.Config{Store: store, WaitFor: func(context.Context, events.Position) error {
		calls++
		return failure
	}})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.WaitFor(context.Background(), 0); err != nil || calls != 0 {
		t.Errorf("WaitFor(0) = %v after %d calls; want nil without calling Config.WaitFor", err, calls)
	}
	if err := r.WaitFor(context.Background(), 5); !errors.Is(err, failure) || calls != 1 {
		t.Errorf("WaitFor(5) = %v after %d calls; want Config.WaitFor's error, one call", err, calls)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := r.WaitFor(ctx, 5); !errors.Is(err, context.Canceled) || !errors.Is(err, failure) {
		t.Errorf("WaitFor(5) cancelled = %v; want both context.Canceled and Config.WaitFor's error", err)
	}
}
