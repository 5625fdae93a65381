package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/internal/benchschema"
	"github.com/infrahub-go/infrahub/projections"
)

// nodeWorld is the write side of scenario 4: the application over the log under test, the node
// Store it decides against (folded from the log synchronously, as the projection would), 100
// sites and 100 tags to link devices to.
type nodeWorld struct {
	store *nodes.Store
	app   *commands.Service
	sites []string
	tags  []string
}

// newApp builds the application over log with a node Store of its own, folded inline.
func newApp(log logStore) (*nodes.Store, *commands.Service, *projections.Inline, error) {
	store, err := nodes.New()
	if err != nil {
		return nil, nil, nil, err
	}
	fold := projections.NewInline(log, store)
	app, err := commands.New(commands.Config{Log: log, Catalogue: store.Catalogue(), State: store, WaitFor: fold.WaitFor,
		Decoded: fold.Decoded})
	return store, app, fold, err
}

func (e *env) nodeWorld(ctx context.Context) (*nodeWorld, error) {
	if e.nodes != nil {
		return e.nodes, nil
	}
	store, app, fold, err := newApp(e.store)
	if err != nil {
		return nil, err
	}
	w := &nodeWorld{store: store, app: app}
	if err := fold.WaitFor(ctx, 0); err != nil {
		return nil, err
	}
	raw, _ := json.Marshal(benchschema.Load)
	payload, _ := json.Marshal(commands.LoadSchema{Schemas: []json.RawMessage{raw}})
	if _, err := app.Dispatch(ctx, commands.Command{Type: commands.TypeLoadSchema, Payload: payload}); err != nil {
		return nil, fmt.Errorf("bench schema: %w", err)
	}
	var ops []any
	for i := range 100 {
		for _, k := range []string{"BenchSite", "BenchTag"} {
			ops = append(ops, map[string]any{"type": commands.TypeUpsertNode, "payload": map[string]any{"kind": k,
				"data": map[string]any{"name": fmt.Sprintf("%s-%d", k, i)}}})
		}
	}
	raw, _ = json.Marshal(map[string]any{"operations": ops})
	res, err := w.app.Dispatch(ctx, commands.Command{Type: commands.TypeBatch, Payload: raw})
	if err != nil {
		return nil, fmt.Errorf("bench sites and tags: %w", err)
	}
	for _, n := range res.Data.(commands.BatchOutcome).Nodes {
		if n.Kind == "BenchSite" {
			w.sites = append(w.sites, n.ID)
		} else {
			w.tags = append(w.tags, n.ID)
		}
	}
	e.nodes = w
	return w, nil
}

// nodeBulkLoad loads sz.bulk devices (5 attributes, 2 relationships each) through batch commands
// of 1,000 node.create operations on one branch: decided, appended and folded into the Store.
func (e *env) nodeBulkLoad() measureFunc {
	return func(ctx context.Context, _ int) (round, error) {
		w, err := e.nodeWorld(ctx)
		if err != nil {
			return round{}, err
		}
		id := e.next()
		// The request bodies are built before the clock starts, as the baseline's rows are: what
		// is measured is the load, not the load generator's encoding of its input.
		bodies := make([][]byte, (e.sz.bulk+999)/1000)
		for b := range bodies {
			ops := make([]any, 0, 1000)
			for i := b * 1000; i < min((b+1)*1000, e.sz.bulk); i++ {
				ops = append(ops, map[string]any{"type": commands.TypeCreateNode, "payload": map[string]any{"kind": "BenchDevice", "data": map[string]any{
					"name": fmt.Sprintf("d%d-%d", id, i), "description": "a benchmark device", "serial": fmt.Sprintf("SN%08d", i),
					"asn": 64512 + i%1000, "enabled": i%2 == 0, "site": w.sites[i%len(w.sites)], "tags": []any{w.tags[i%len(w.tags)]}}}})
			}
			bodies[b], _ = json.Marshal(map[string]any{"operations": ops})
		}
		d, err := fixedWork(ctx, 1, len(bodies), func(ctx context.Context, _, b int) error {
			_, err := w.app.Dispatch(ctx, commands.Command{Type: commands.TypeBatch, Payload: bodies[b]})
			return err
		})
		return rateRound(float64(e.sz.bulk) / d.Seconds()), err
	}
}
