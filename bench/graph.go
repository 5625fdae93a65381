package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/google/uuid"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/schema"
)

// graphLog is the log of scenarios 5, 10b and 11: sz.graphN node.created events (5 attributes,
// 2 relationships to 100 sites and 100 tags, 2 claims each), encoded as stored and decoded as
// the catalogue decodes them. Made once per run.
type graphLog struct {
	cat      *events.Catalogue
	envs     []events.Envelope
	payloads []any
	raw      map[[16]byte]rawNode // the same nodes in a plain Go map (scenario 11's baseline)
}

// rawNode is a node as a plain Go program would hold it.
type rawNode struct {
	kind  string
	attrs [5]any
	peers [2][16]byte
	hfid  string
}

func newGraphCatalogue() *events.Catalogue {
	cat := events.NewCatalogueWithCore()
	schema.RegisterEvents(cat)
	branch.RegisterEvents(cat)
	nodes.RegisterEvents(cat)
	return cat
}

func (e *env) graphLog() (*graphLog, error) {
	if e.graph != nil {
		return e.graph, nil
	}
	n := e.sz.graphN
	e.progress("graph: encoding and decoding %d node events", n)
	g := &graphLog{cat: newGraphCatalogue(), envs: make([]events.Envelope, 0, n), payloads: make([]any, 0, n)}
	var hubs [200]uuid.UUID
	for i := range hubs {
		hubs[i] = uuid.Must(uuid.NewV7())
	}
	now := time.Now().UTC()
	for i := range n {
		id := uuid.Must(uuid.NewV7())
		name := fmt.Sprintf("d-%d", i)
		p := nodes.Created{ID: id.String(), Kind: "BenchDevice",
			Attributes: map[string]nodes.Attr{"name": {Value: name}, "description": {Value: "a benchmark device"},
				"serial": {Value: fmt.Sprintf("SN%08d", i)}, "asn": {Value: float64(64512 + i%1000)}, "enabled": {Value: i%2 == 0}},
			Edges: []nodes.Edge{{Field: "r:benchdevice__benchsite|both", Peer: hubs[i%100].String()},
				{Field: "r:benchdevice__benchtag|both", Peer: hubs[100+i%100].String()}},
			HFID: []string{name}, DisplayLabel: name,
			Claims: []nodes.Claim{{Kind: "BenchDevice", Constraint: "name__value", Key: name}, {Kind: "BenchDevice", Constraint: "hfid", Key: name}}}
		env, err := g.cat.New(nodes.TypeCreated, p, events.Metadata{Actor: "bench"})
		if err != nil {
			return nil, err
		}
		env.GlobalPosition, env.Stream, env.StreamVersion = events.Position(i+1), branch.Stream(branch.Default), int64(i+1)
		env.RecordedAt = now.Add(time.Duration(i) * time.Microsecond)
		dec, err := g.cat.Decode(env)
		if err != nil {
			return nil, err
		}
		g.envs = append(g.envs, env)
		g.payloads = append(g.payloads, dec)
	}
	e.graph = g
	return g, nil
}

// newStore returns an empty node Store.
func (g *graphLog) newStore() (*nodes.Store, error) {
	builtin, err := branch.Builtin()
	if err != nil {
		return nil, err
	}
	return nodes.NewStore(g.cat, branch.NewState(g.cat, builtin)), nil
}

// fill folds the whole log into s in batches of 1,000 pre-decoded events.
func (g *graphLog) fill(ctx context.Context, s *nodes.Store) error {
	for i := 0; i < len(g.envs); i += 1000 {
		j := min(i+1000, len(g.envs))
		if err := s.ApplyDecoded(ctx, g.envs[i:j], g.payloads[i:j]); err != nil {
			return err
		}
	}
	return nil
}

func heapNow() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// projectionApply measures the fold of the log into a fresh Store, decoding excluded.
func (e *env) projectionApply() measureFunc {
	return func(ctx context.Context, _ int) (round, error) {
		g, err := e.graphLog()
		if err != nil {
			return round{}, err
		}
		e.filled = nil // the previous round's Store goes before the heap is measured
		before := heapNow()
		s, err := g.newStore()
		if err != nil {
			return round{}, err
		}
		start := time.Now()
		if err := g.fill(ctx, s); err != nil {
			return round{}, err
		}
		r := rateRound(float64(len(g.envs)) / time.Since(start).Seconds())
		// Scenarios 11, 11b, 10b and 12 measure these Stores rather than fill their own.
		e.heaps = append(e.heaps, float64(heapNow()-before)/(1<<20))
		e.filled = s
		return r, nil
	}
}

// filledStore is a Store holding the graph log: the last one scenario 5 filled, or a new one.
func (e *env) filledStore(ctx context.Context) (*nodes.Store, error) {
	if e.filled != nil {
		return e.filled, nil
	}
	g, err := e.graphLog()
	if err != nil {
		return nil, err
	}
	s, err := g.newStore()
	if err != nil {
		return nil, err
	}
	if err := g.fill(ctx, s); err != nil {
		return nil, err
	}
	e.filled = s
	return s, nil
}

// storeHeap measures the heap a Store holding the log takes, in MB.
func (e *env) storeHeap() measureFunc {
	return func(ctx context.Context, n int) (round, error) {
		if n < len(e.heaps) { // measured on scenario 5's round n
			return round{value: e.heaps[n]}, nil
		}
		g, err := e.graphLog()
		if err != nil {
			return round{}, err
		}
		e.filled = nil
		before := heapNow()
		s, err := g.newStore()
		if err != nil {
			return round{}, err
		}
		if err := g.fill(ctx, s); err != nil {
			return round{}, err
		}
		used := heapNow() - before
		e.filled = s // scenario 11b measures branches on it
		return round{value: float64(used) / (1 << 20)}, nil
	}
}

// rawNodeHeap is scenario 11's baseline: the heap of the same nodes in a plain Go map, in MB.
func rawNodeHeap(_ context.Context, e *env) (measureFunc, func(), error) {
	return func(context.Context, int) (round, error) {
		g, err := e.graphLog()
		if err != nil {
			return round{}, err
		}
		before := heapNow()
		m := make(map[[16]byte]rawNode)
		for _, p := range g.payloads {
			c := p.(nodes.Created)
			id := uuid.MustParse(c.ID)
			r := rawNode{kind: c.Kind, hfid: c.HFID[0]}
			for k, name := range []string{"name", "description", "serial", "asn", "enabled"} {
				r.attrs[k] = c.Attributes[name].Value
			}
			for k, ed := range c.Edges {
				r.peers[k] = uuid.MustParse(ed.Peer)
			}
			m[id] = r
		}
		used := heapNow() - before
		runtime.KeepAlive(m)
		return round{value: float64(used) / (1 << 20)}, nil
	}, func() {}, nil
}

// emptyBranchHeap measures what one branch costs a Store holding the log, in MB: the heap growth
// of 100 branch.created events folded into it, divided by 100.
func (e *env) emptyBranchHeap() measureFunc {
	return func(ctx context.Context, n int) (round, error) {
		g, err := e.graphLog()
		if err != nil {
			return round{}, err
		}
		// One Store holding the graph serves every round (scenario 5's or 11's last one when
		// they ran): each round adds its own 100 branches.
		s, err := e.filledStore(ctx)
		if err != nil {
			return round{}, err
		}
		const branches = 100
		batch := make([]events.Envelope, branches)
		for i := range batch {
			created, err := g.cat.New(branch.TypeCreated, branch.Created{Name: fmt.Sprintf("empty-%d-%d", n, i), BranchedFrom: events.Position(len(g.envs))}, events.Metadata{})
			if err != nil {
				return round{}, err
			}
			created.GlobalPosition, created.Stream, created.StreamVersion = events.Position(len(g.envs)+1+n*branches+i), branch.LifecycleStream, int64(n*branches+i+1)
			created.RecordedAt = time.Now()
			batch[i] = created
		}
		before := heapNow()
		if err := s.Apply(ctx, batch); err != nil {
			return round{}, err
		}
		used := float64(heapNow()) - float64(before)
		runtime.KeepAlive(s)
		return round{value: max(used, 1) / branches / (1 << 20)}, nil
	}
}

// snapshotStart measures a start from a snapshot: reading the snapshot file of a Store holding
// the log into a fresh Store, in seconds.
func (e *env) snapshotStart() (measureFunc, measureFunc, error) {
	path := filepath.Join(e.tmp, "graph.snap")
	prepare := func(ctx context.Context) error {
		if _, err := os.Stat(path); err == nil {
			return nil
		}
		// A Store of its own, dropped once written: the reads run with no big Store alive.
		g, err := e.graphLog()
		if err != nil {
			return err
		}
		s, err := g.newStore()
		if err != nil {
			return err
		}
		if err := g.fill(ctx, s); err != nil {
			return err
		}
		var buf bytes.Buffer
		if err := s.WriteSnapshot(&buf); err != nil {
			return err
		}
		return os.WriteFile(path, buf.Bytes(), 0o600)
	}
	scen := func(ctx context.Context, _ int) (round, error) {
		if err := prepare(ctx); err != nil {
			return round{}, err
		}
		g, _ := e.graphLog()
		s, err := g.newStore()
		if err != nil {
			return round{}, err
		}
		// A start begins with an empty heap: the previous round's Store goes first (left to the
		// collector, it doubled the heap and pushed the file out of the page cache).
		runtime.GC()
		start := time.Now()
		f, err := os.Open(path)
		if err != nil {
			return round{}, err
		}
		defer f.Close()
		if err := s.ReadSnapshot(f); err != nil {
			return round{}, err
		}
		return round{value: time.Since(start).Seconds()}, nil
	}
	base := func(ctx context.Context, _ int) (round, error) {
		if err := prepare(ctx); err != nil {
			return round{}, err
		}
		runtime.GC()
		start := time.Now()
		data, err := os.ReadFile(path)
		if err != nil {
			return round{}, err
		}
		runtime.KeepAlive(data)
		return round{value: time.Since(start).Seconds()}, nil
	}
	return scen, base, nil
}

// dropGraph lets the 1M-node graph go once the scenarios on it are done: the Stores, the
// decoded log and the point-read server.
func (e *env) dropGraph() {
	if e.point != nil {
		_ = e.point.srv.Close()
		e.point = nil
	}
	e.filled, e.graph = nil, nil
	runtime.GC()
}
