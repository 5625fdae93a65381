package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"time"

	"github.com/google/uuid"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/events/postgres"
	"github.com/infrahub-go/infrahub/events/sqlite"
	"github.com/infrahub-go/infrahub/internal/benchschema"
	"github.com/infrahub-go/infrahub/projections"
)

// diffWorld is scenario 9's: a log of its own (SQLite; PostgreSQL with --distributed) holding
// n devices on the default branch, the node Store folded from it, and the commands.
type diffWorld struct {
	store    *nodes.Store
	app      *commands.Service
	fold     *projections.Inline
	ids      []string
	branches int
}

func (w *diffWorld) sync(ctx context.Context) error { return w.fold.WaitFor(ctx, 0) }

func (w *diffWorld) run(ctx context.Context, typ string, payload any) (commands.Result, error) {
	raw, err := json.Marshal(payload)
	if err != nil {
		return commands.Result{}, err
	}
	res, err := w.app.Dispatch(ctx, commands.Command{Type: typ, Payload: raw})
	if err != nil {
		return res, fmt.Errorf("%s: %w", typ, err)
	}
	return res, w.sync(ctx)
}

// newDiffWorld opens a log named after n and loads n devices into it.
func (e *env) newDiffWorld(ctx context.Context, n int) (*diffWorld, error) {
	var log logStore
	var err error
	if e.cfg.distributed {
		schemaName := fmt.Sprintf("%s_diff%d", e.schema, n)
		e.schemas = append(e.schemas, schemaName)
		log, err = postgres.Open(ctx, postgres.Config{URL: e.cfg.pgURL, Schema: schemaName, MaxConns: 4}, e.quiet)
	} else {
		log, err = sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(e.tmp, fmt.Sprintf("diff-%d.db", n))}, e.quiet)
	}
	if err != nil {
		return nil, err
	}
	e.closers = append(e.closers, log.Close)
	w := &diffWorld{}
	if w.store, w.app, w.fold, err = newApp(log); err != nil {
		return nil, err
	}
	cat := w.store.Catalogue()
	raw, _ := json.Marshal(benchschema.Load)
	if _, err := w.run(ctx, commands.TypeLoadSchema, commands.LoadSchema{Schemas: []json.RawMessage{raw}}); err != nil {
		return nil, err
	}
	// The devices are appended as node.created events directly, 10,000 per append: the deciders
	// are scenario 4's subject, here only the data matters.
	e.progress("9: loading %d devices", n)
	w.ids = make([]string, n)
	for start := 0; start < n; start += 10_000 {
		evs := make([]events.Envelope, 0, 10_000)
		for i := start; i < min(start+10_000, n); i++ {
			w.ids[i] = uuid.Must(uuid.NewV7()).String()
			name := fmt.Sprintf("dev-%07d", i)
			env, err := cat.New(nodes.TypeCreated, nodes.Created{ID: w.ids[i], Kind: "BenchDevice",
				Attributes: map[string]nodes.Attr{"name": {Value: name}, "description": {Value: "a benchmark device"},
					"serial": {Value: fmt.Sprintf("SN%08d", i)}, "asn": {Value: float64(64512 + i%1000)}, "enabled": {Value: i%2 == 0}},
				HFID: []string{name}, DisplayLabel: name,
				Claims: []nodes.Claim{{Kind: "BenchDevice", Constraint: "name__value", Key: name},
					{Kind: "BenchDevice", Constraint: nodes.ConstraintHFID, Key: nodes.HFIDKey([]string{name})}}},
				events.Metadata{Actor: "bench"})
			if err != nil {
				return nil, err
			}
			evs = append(evs, env)
		}
		if _, err := log.Append(ctx, branch.Stream(branch.Default), events.AnyVersion, evs...); err != nil {
			return nil, err
		}
		if err := w.sync(ctx); err != nil {
			return nil, err
		}
	}
	return w, nil
}

// branchWith creates a branch on which changes devices (spread over all of them) got a new asn
// and description, through batch commands; it returns the branch's name.
func (w *diffWorld) branchWith(ctx context.Context, changes int) (string, error) {
	w.branches++
	name := fmt.Sprintf("change-%d-%d", changes, w.branches)
	if _, err := w.run(ctx, commands.TypeCreateBranch, map[string]any{"name": name}); err != nil {
		return "", err
	}
	for start := 0; start < changes; start += 5000 {
		ops := make([]any, 0, 5000)
		for i := start; i < min(start+5000, changes); i++ {
			ops = append(ops, map[string]any{"type": commands.TypeUpdateNode, "payload": map[string]any{"kind": "BenchDevice",
				"id": w.ids[i*len(w.ids)/changes], "data": map[string]any{"asn": 1 + i%60000, "description": "changed on " + name}}})
		}
		if _, err := w.run(ctx, commands.TypeBatch, map[string]any{"branch": name, "operations": ops}); err != nil {
			return "", err
		}
	}
	return name, nil
}

// diffTime measures the diff of a branch with changes changed devices on a default branch of
// size devices (the world and the branch are made once).
func (e *env) diffTime(size, changes int) measureFunc {
	var w *diffWorld
	var name string
	return func(ctx context.Context, _ int) (round, error) {
		if w == nil {
			var err error
			if w, err = e.diffWorldOf(ctx, size); err != nil {
				return round{}, err
			}
			if name, err = w.branchWith(ctx, changes); err != nil {
				return round{}, err
			}
		}
		const reps = 5
		var lats []time.Duration
		for range reps {
			start := time.Now()
			d, err := w.store.Diff(name)
			if err != nil {
				return round{}, err
			}
			lats = append(lats, time.Since(start))
			if d.Counts.Updated != changes {
				return round{}, fmt.Errorf("the diff holds %d updated devices, want %d", d.Counts.Updated, changes)
			}
		}
		return latencyRound(lats), nil
	}
}

// mergeTime measures the merge of a branch with changes changed devices (decided, appended as
// one event, folded); each round merges a new branch, made before the clock starts.
func (e *env) mergeTime(size, changes int) measureFunc {
	return func(ctx context.Context, _ int) (round, error) {
		w, err := e.diffWorldOf(ctx, size)
		if err != nil {
			return round{}, err
		}
		name, err := w.branchWith(ctx, changes)
		if err != nil {
			return round{}, err
		}
		start := time.Now()
		res, err := w.run(ctx, commands.TypeMergeBranch, map[string]any{"branch": name})
		if err != nil {
			return round{}, err
		}
		elapsed := time.Since(start)
		if out := res.Data.(commands.MergeOutcome); out.Changes < changes {
			return round{}, fmt.Errorf("the merge wrote %d changes, want at least %d", out.Changes, changes)
		}
		return latencyRound([]time.Duration{elapsed}), nil
	}
}

// diffWorldOf is the world of a size, made on first use.
func (e *env) diffWorldOf(ctx context.Context, size int) (*diffWorld, error) {
	if w, ok := e.diffs[size]; ok {
		return w, nil
	}
	w, err := e.newDiffWorld(ctx, size)
	if err != nil {
		return nil, err
	}
	e.diffs[size] = w
	return w, nil
}
