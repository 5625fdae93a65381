package nodes_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/events"
)

// benchLog is the log of the bench harness's scenarios 5, 10b and 11 (bench/graph.go), n nodes:
// node.created events of 5 attributes, 2 relationships to 100 sites and 100 tags, 2 claims.
func benchLog(tb testing.TB, cat *events.Catalogue, n int) ([]events.Envelope, []any) {
	tb.Helper()
	envs, payloads := make([]events.Envelope, 0, n), make([]any, 0, n)
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
		env, err := cat.New(nodes.TypeCreated, p, events.Metadata{Actor: "bench"})
		if err != nil {
			tb.Fatal(err)
		}
		env.GlobalPosition, env.Stream, env.StreamVersion = events.Position(i+1), branch.Stream(branch.Default), int64(i+1)
		env.RecordedAt = now.Add(time.Duration(i) * time.Microsecond)
		dec, err := cat.Decode(env)
		if err != nil {
			tb.Fatal(err)
		}
		envs, payloads = append(envs, env), append(payloads, dec)
	}
	return envs, payloads
}

func benchFill(tb testing.TB, s *nodes.Store, envs []events.Envelope, payloads []any) {
	for i := 0; i < len(envs); i += 1000 {
		j := min(i+1000, len(envs))
		if err := s.ApplyDecoded(context.Background(), envs[i:j], payloads[i:j]); err != nil {
			tb.Fatal(err)
		}
	}
}

func heapNow() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// benchNodes is the size of the bench log: 200k nodes, or $INFRAHUB_BENCH_NODES (the bench
// harness's 1M, to profile the fold at full size).
var benchNodes = func() int {
	if n, err := strconv.Atoi(os.Getenv("INFRAHUB_BENCH_NODES")); err == nil && n > 0 {
		return n
	}
	return 200_000
}()

// keep holds the last Store a benchmark filled, so that a heap profile shows it.
var keep *nodes.Store

// BenchmarkStoreApply folds the bench log into a fresh Store (decode excluded) and reports
// events/s and the heap the Store takes per node.
func BenchmarkStoreApply(b *testing.B) {
	s0, err := nodes.New()
	if err != nil {
		b.Fatal(err)
	}
	envs, payloads := benchLog(b, s0.Catalogue(), benchNodes)
	var perNode float64
	var cpu time.Duration
	for b.Loop() {
		b.StopTimer()
		before := heapNow()
		s, err := nodes.New()
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		cpu0 := cpuTime()
		benchFill(b, s, envs, payloads)
		cpu += cpuTime() - cpu0
		b.StopTimer()
		perNode = float64(heapNow()-before) / float64(benchNodes)
		keep = s // alive when -memprofile is written
		b.StartTimer()
	}
	b.ReportMetric(float64(b.N*benchNodes)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(perNode, "B/node")
	// The CPU time of the process (the fold and the garbage collector) per event: steadier than
	// the rate on a machine other work shares.
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*benchNodes), "cpu-ns/event")
}

// cpuTime is the user and system CPU time the process used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkStoreSnapshotRead reads the snapshot of a Store holding the bench log.
func BenchmarkStoreSnapshotRead(b *testing.B) {
	s, err := nodes.New()
	if err != nil {
		b.Fatal(err)
	}
	envs, payloads := benchLog(b, s.Catalogue(), benchNodes)
	benchFill(b, s, envs, payloads)
	var buf bytes.Buffer
	if err := s.WriteSnapshot(&buf); err != nil {
		b.Fatal(err)
	}
	s, envs, payloads = nil, nil, nil
	runtime.GC()
	b.ReportMetric(float64(buf.Len())/float64(benchNodes), "B/node-file")
	for b.Loop() {
		r, err := nodes.New()
		if err != nil {
			b.Fatal(err)
		}
		if err := r.ReadSnapshot(bytes.NewReader(buf.Bytes())); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStoreSnapshotFile reads the snapshot file named by $INFRAHUB_SNAPSHOT_FILE (the bench
// harness's graph.snap, for one): a profile of a start at full size.
func BenchmarkStoreSnapshotFile(b *testing.B) {
	path := os.Getenv("INFRAHUB_SNAPSHOT_FILE")
	if path == "" {
		b.Skip("INFRAHUB_SNAPSHOT_FILE is not set")
	}
	for b.Loop() {
		s, err := nodes.New()
		if err != nil {
			b.Fatal(err)
		}
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		if err := s.ReadSnapshot(f); err != nil {
			b.Fatal(err)
		}
		_ = f.Close()
	}
}
