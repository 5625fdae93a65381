package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"slices"

	"github.com/infrahub-go/infrahub/commands"
	"github.com/infrahub-go/infrahub/events"
)

// scenarioDef is a scenario of issue 8 that the code supports today.
type scenarioDef struct {
	spec
	run func(ctx context.Context, e *env, sp spec) (Result, error)
}

func scenarioDefs() []scenarioDef {
	appendNote := "events.Append of one event per call (command id set, per-client stream at its expected version): " +
		"the log path of POST /api/commands minus HTTP and handler"
	return []scenarioDef{
		{spec{name: "1-append-8", title: "1. command append throughput, 8 clients", unit: "events/s",
			baseline: "pg-insert-8", target: target{op: "atLeast", value: 0.8}, note: appendNote},
			func(ctx context.Context, e *env, sp spec) (Result, error) { return e.versus(ctx, sp, e.appendOne(8)) }},
		{spec{name: "2-group-commit-32", title: "2. group commit, 32 clients", unit: "events/s",
			baseline: "pg-insert-8", target: target{op: "atLeast", value: 3}, note: appendNote +
				"; compared with the 8-client single-row rate"},
			func(ctx context.Context, e *env, sp spec) (Result, error) { return e.versus(ctx, sp, e.appendOne(32)) }},
		{spec{name: "3-latency", title: "3. single command latency, 1 client (p50)", unit: "ms",
			baseline: "pg-insert-1", target: target{op: "plus", value: 0.3, unit: "ms"}, latency: true,
			note: "commands.Service.Dispatch of diagnostic.record with an id (decode, catalogue, idempotent append), no HTTP"},
			func(ctx context.Context, e *env, sp spec) (Result, error) { return e.versus(ctx, sp, e.dispatchOne()) }},
		{spec{name: "4-bulk-load", title: "4. bulk load of 100k nodes, batches of 1,000", unit: "nodes/s",
			baseline: "pg-insert-node-rows", target: target{op: "atLeast", value: 0.5},
			note: "batch commands of 1,000 node.create (5 attributes, 2 relationships each) on one branch: decided against the node Store, appended (one event per node), folded into the Store before the next batch; the request bodies are encoded before the clock starts, as the baseline's rows are"},
			func(ctx context.Context, e *env, sp spec) (Result, error) { return e.versus(ctx, sp, e.nodeBulkLoad()) }},
		{spec{name: "5-projection-apply", title: "5. projection apply rate (node events → memory graph, decode excluded)", unit: "events/s",
			baseline: "go-map-insert", target: target{op: "valueAtLeast", value: 350_000, unit: "events/s"},
			note: "nodes.Store.ApplyDecoded of node.created events (5 attributes, 2 edges, 2 claims) in batches of 1,000 into a fresh Store; the Go map insert is for scale"},
			func(ctx context.Context, e *env, sp spec) (Result, error) {
				return e.versus(ctx, sp, e.projectionApply())
			}},
		{spec{name: "6-bus", title: "6. bus throughput: log → forwarder → Watermill", unit: "events/s",
			baseline: "amqp-publish", target: target{op: "atLeast", value: 0.6}}, busScenario},
		{spec{name: "7-write-to-visible", title: "7. write → visible in a GraphQL query, 1 client (p50; target on the p99)", unit: "ms",
			baseline: "pg-insert-1", target: target{op: "p99AtMost", value: 10, unit: "ms"}, latency: true,
			note: "POST /api/commands node.update, then POST /graphql on the reader until it answers the new value; infrahub serve built from this checkout (distributed: written on one server, read on another); the PostgreSQL commit is for scale"},
			func(ctx context.Context, e *env, sp spec) (Result, error) {
				if e.cfg.distributed {
					sp.target.value = 50
				}
				return e.versus(ctx, sp, e.writeToVisible())
			}},
		{spec{name: "8-graphql-list", title: "8. GraphQL list of 1,000 nodes (5 attributes + 1 relationship), 1 client (p50)", unit: "ms",
			baseline: "http-json-list", target: target{op: "valueAtMost", value: 15, unit: "ms"}, latency: true,
			note: "POST /graphql to infrahub serve: 1,000 BenchDevice with name, description, serial, asn, enabled and site {node {id display_label}}; the baseline serves the same answer's bytes from a plain handler"},
			func(ctx context.Context, e *env, sp spec) (Result, error) {
				return e.versus(ctx, sp, e.gqlLatency("", gqlListQuery, nil))
			}},
		{spec{name: "8b-graphql-list-branch", title: "8b. the same list on a branch where 1 % of the nodes changed (p50)", unit: "ms",
			baseline: "graphql-list-main", target: target{op: "atMost", value: 1.3}, latency: true,
			note: "POST /graphql/" + gqlBranch + ": 10 of the 1,000 devices updated on the branch"},
			func(ctx context.Context, e *env, sp spec) (Result, error) {
				return e.versus(ctx, sp, e.gqlLatency(gqlBranch, gqlListQuery, nil))
			}},
		{spec{name: "8c-graphql-device", title: "8c. one device with its 48 interfaces over GraphQL (p50)", unit: "ms",
			baseline: "pg-insert-1", target: target{op: "valueAtMost", value: 6, unit: "ms"}, latency: true,
			note: "Infrahub answers this in about 60 ms (issue 5); the target is a tenth of it; the PostgreSQL commit is for scale"},
			func(ctx context.Context, e *env, sp spec) (Result, error) {
				return e.versus(ctx, sp, e.gqlLatency("", gqlDeviceQuery, map[string]any{"name": "dev-0000"}))
			}},
		{spec{name: "9a-diff-many", title: "9a. diff of 10k changes on 100k objects (p50)", unit: "ms",
			baseline: "go-map-insert", target: target{op: "valueAtMost", value: 270, unit: "ms"}, latency: true,
			note: "nodes.Store.Diff of a branch where 10k devices changed (asn, description) on a default branch of 100k; the Go map insert is for scale"},
			func(ctx context.Context, e *env, sp spec) (Result, error) {
				return e.versus(ctx, sp, e.diffTime(e.sz.diffN, e.sz.diffMany))
			}},
		{spec{name: "9b-diff-few", title: "9b. diff of 10 changes on 1M objects (p50)", unit: "ms",
			baseline: "go-map-insert", target: target{op: "valueAtMost", value: 10, unit: "ms"}, latency: true,
			note: "the cost of a diff follows the changes, not the size of the data; the Go map insert is for scale"},
			func(ctx context.Context, e *env, sp spec) (Result, error) {
				return e.versus(ctx, sp, e.diffTime(e.sz.diffBigN, 10))
			}},
		{spec{name: "9c-merge", title: "9c. merge of 10k changes into 100k objects", unit: "ms",
			baseline: "go-map-insert", target: target{op: "valueAtMost", value: 500, unit: "ms"}, latency: true,
			note: "branch.merge through the commands: diff, plan, one append of the branch.merged event, fold; a new branch each round"},
			func(ctx context.Context, e *env, sp spec) (Result, error) {
				return e.versus(ctx, sp, e.mergeTime(e.sz.diffN, e.sz.diffMany))
			}},
		{spec{name: "10b-snapshot-start", title: "10b. start from a snapshot of the graph", unit: "s",
			baseline: "snapshot-file-read", target: target{op: "valueAtMost", value: 1, unit: "s"},
			note: "nodes.Store.ReadSnapshot of the file of a Store holding the scenario's nodes; the plain file read is for scale"},
			func(ctx context.Context, e *env, sp spec) (Result, error) {
				scen, _, err := e.snapshotStart()
				if err != nil {
					return Result{}, err
				}
				return e.versus(ctx, sp, scen)
			}},
		{spec{name: "11-heap", title: "11. heap of the graph vs the same nodes in a plain Go map", unit: "MB",
			baseline: "raw-node-map", target: target{op: "atMost", value: 3},
			note: "heap growth of folding the nodes into a fresh Store (history, indexes, unique values, edges both ways), measured on the Stores scenario 5's rounds fill (each round folds its own when 5 did not run)"},
			func(ctx context.Context, e *env, sp spec) (Result, error) { return e.versus(ctx, sp, e.storeHeap()) }},
		{spec{name: "11b-empty-branch", title: "11b. heap of an empty branch on that graph", unit: "MB",
			baseline: "raw-node-map", target: target{op: "valueAtMost", value: 1, unit: "MB"},
			note: "heap growth of a branch.created folded into the Store; the raw map is for scale"},
			func(ctx context.Context, e *env, sp spec) (Result, error) {
				return e.versus(ctx, sp, e.emptyBranchHeap())
			}},
		{spec{name: "12-point-read", title: "12. point read by id over HTTP, 1 client", unit: "reads/s",
			baseline: "redis-get", target: target{op: "atLeast", value: 0.1},
			note: "GET /api/nodes/BenchDevice/{id} over loopback (rest.Nodes over the memory graph holding scenario 5's nodes)"},
			func(ctx context.Context, e *env, sp spec) (Result, error) { return e.versus(ctx, sp, e.pointRead()) }},
		{spec{name: "13-http-create-16", title: "13. concurrent node.create over HTTP, 16 clients", unit: "creates/s",
			baseline: "log-append-8", target: target{op: "atLeastP99", value: 0.7, p99: 20, unit: "ms"}, tail: true,
			note: "POST /api/commands node.create of a BenchInterface (4 attributes, its device by id) on the default branch, 16 clients over loopback, to infrahub serve (distributed: the writing server); latency p50 and p99 over every create"},
			func(ctx context.Context, e *env, sp spec) (Result, error) {
				return e.versus(ctx, sp, httpCreate(e, httpClients))
			}},
		{spec{name: "13b-http-record-16", title: "13b. the same 16 clients posting diagnostic.record (13's request path without the node work)", unit: "commands/s",
			baseline: "log-append-8", target: target{op: "report"}, tail: true,
			note: "POST /api/commands diagnostic.record (decoded, appended through the log's group commit, answered once durable; no decision, graph or fold), 16 clients over loopback, to the server of 13: the ceiling 13 can reach on this request path"},
			func(ctx context.Context, e *env, sp spec) (Result, error) {
				return e.versus(ctx, sp, httpRecord(e, httpClients))
			}},
		{spec{name: "14-http-mixed-16", title: "14. mixed 70/30 read/write load over HTTP, 16 clients", unit: "requests/s",
			baseline: "log-append-8", target: target{op: "report"},
			note: "each client: 7 POST /graphql of one device by id (5 attributes and its site) for 3 POST /api/commands node.update of a device's description; reads on the reading server, writes on the writing one (the same embedded); the log's append rate is for scale"},
			mixedScenario},
		{spec{name: "15-artifact-after-change", title: "15. one changed device → its artifact stored, 1 client (p50)", unit: "ms",
			baseline: "pg-insert-1", target: target{op: "valueAtMost", value: 100, unit: "ms"}, latency: true,
			note: "GraphQL mutation of one interface's description, then CoreArtifact by id until its checksum changes (the watcher runs the query again, the task renders the Jinja2 transform, stores the content and updates the CoreArtifact); infrahub serve embedded, repository of the service catalog with the generated devices; the PostgreSQL commit is for scale"},
			func(ctx context.Context, e *env, sp spec) (Result, error) {
				return e.versus(ctx, sp, artifactAfterChange(e))
			}},
		{spec{name: "16-artifacts-1000", title: "16. 1,000 artifacts generated from scratch", unit: "ms",
			baseline: "pg-insert-1", target: target{op: "valueAtMost", value: 2000, unit: "ms"}, latency: true,
			note: "CoreArtifactDefinitionCreate over GraphQL (the catalog's Startup Config: transform device_config, group generic_devices) until every member's CoreArtifact is Ready; infrahub serve embedded; the PostgreSQL commit is for scale"},
			func(ctx context.Context, e *env, sp spec) (Result, error) {
				r, err := e.versus(ctx, sp, artifactsFromScratch(e))
				if err == nil && e.art != nil {
					r.Note += fmt.Sprintf("; setup: the import of the repository (schemas, objects, %d devices from their object templates) took %.1f s", e.art.n, e.art.load.Seconds())
				}
				return r, err
			}},
		{spec{name: "10a-replay", title: "10a. replay into the counting projection", unit: "s",
			baseline: "raw-read-decode", target: target{op: "atMost", value: 1.25}}, replayScenario},
	}
}

// missing are the scenarios of issue 8 whose feature does not exist yet.
var missing = []struct{ name, title, why string }{}

// names lists every name --only accepts.
func names() []string {
	var out []string
	for _, s := range scenarioDefs() {
		out = append(out, s.name)
	}
	for _, b := range baselineDefs() {
		out = append(out, b.name)
	}
	return out
}

// runAll measures what is selected: the scenarios (each with its baseline, interleaved), then the
// baselines that no scenario measured. Rows: baselines, scenarios, then what is missing.
func (e *env) runAll(ctx context.Context) ([]Result, error) {
	var scen, base []Result
	defs := scenarioDefs()
	// The scenarios on the big node graph run one after the other, on the Stores that scenario
	// 5 fills (a fill of 1M nodes is the longest step of the run), and the graph is dropped
	// before the next ones (a big live heap in this process slows the clients of 7 and 8).
	// 10b goes first of them: it reads its snapshot with no other big Store alive. They run
	// after 4 as the order has it, which also gives PostgreSQL time to settle after the
	// bulk load before the latency scenarios. The table keeps the order.
	rank := map[string]int{}
	for i, name := range []string{"1-append-8", "2-group-commit-32", "3-latency", "4-bulk-load",
		"10b-snapshot-start", "5-projection-apply", "11-heap", "11b-empty-branch", "12-point-read"} {
		rank[name] = i - 100 // before every other scenario, in this order
	}
	// 13, 13b and 14 write over HTTP to the server of 7 and 8: they run after them.
	rank["13-http-create-16"], rank["13b-http-record-16"], rank["14-http-mixed-16"] = 100, 101, 102
	graph := map[string]bool{"10b-snapshot-start": true, "5-projection-apply": true, "11-heap": true, "11b-empty-branch": true, "12-point-read": true}
	order := make([]int, len(defs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(rank[defs[a].name], rank[defs[b].name]) })
	graphLeft := 0
	for _, sc := range defs {
		if graph[sc.name] && e.cfg.selected(sc.name) {
			graphLeft++
		}
	}
	done := map[string]Result{}
	for _, i := range order {
		sc := defs[i]
		if !e.cfg.selected(sc.name) {
			continue
		}
		lastGraph := false
		if graph[sc.name] {
			graphLeft--
			lastGraph = graphLeft == 0
		}
		e.progress("scenario %s: %s", sc.name, sc.title)
		pr := &Pressure{Start: pressureNow()}
		sp := sc.spec
		switch sp.name {
		case "4-bulk-load":
			sp.title = "4. bulk load of " + count(e.sz.bulk) + " nodes, batches of 1,000"
		case "9a-diff-many":
			sp.title = "9a. diff of " + count(e.sz.diffMany) + " changes on " + count(e.sz.diffN) + " objects (p50)"
		case "9b-diff-few":
			sp.title = "9b. diff of 10 changes on " + count(e.sz.diffBigN) + " objects (p50)"
		case "16-artifacts-1000":
			if e.sz.artN != 1000 {
				sp.title = fmt.Sprintf("16. %d artifacts generated from scratch", e.sz.artN)
			}
		case "9c-merge":
			sp.title = "9c. merge of " + count(e.sz.diffMany) + " changes into " + count(e.sz.diffN) + " objects"
		}
		r, err := sc.run(ctx, e, sp)
		if err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("scenario %s: %w", sc.name, err)
			}
			// One broken scenario does not hide the others: its row says what failed.
			e.progress("scenario %s failed: %v", sc.name, err)
			r = Result{Name: sc.name, Kind: kindFailed, Title: sp.title, Unit: sp.unit, Target: sp.target.String(),
				Note: "failed: " + err.Error()}
		}
		pr.End = pressureNow()
		r.CPUPressure = pr
		done[sc.name] = r
		if lastGraph {
			e.dropGraph()
		}
		if sc.name == "9b-diff-few" && e.sz.diffBigN != e.sz.diffN {
			// 9b's 1M-device world is not used again: 9c must not carry it.
			delete(e.diffs, e.sz.diffBigN)
			runtime.GC()
		}
	}
	for _, sc := range defs {
		if r, ok := done[sc.name]; ok {
			scen = append(scen, r)
		}
	}
	for _, def := range baselineDefsFor(e.sz) {
		s, measured := e.baselines[def.name]
		var pr *Pressure
		if !measured {
			if !e.cfg.selected(def.name) {
				continue
			}
			e.progress("baseline %s: %s", def.name, def.title)
			pr = &Pressure{Start: pressureNow()}
			f, cleanup, err := def.prepare(ctx, e)
			if err != nil {
				return nil, fmt.Errorf("baseline %s: %w", def.name, err)
			}
			s, err = e.alone(ctx, def.name, f, def.unit)
			cleanup()
			if err != nil {
				return nil, fmt.Errorf("baseline %s: %w", def.name, err)
			}
			pr.End = pressureNow()
		}
		base = append(base, baselineResult(def, s, pr))
	}
	out := append(base, scen...)
	if len(e.cfg.only) == 0 {
		for _, m := range missing {
			out = append(out, Result{Name: m.name, Kind: kindMissing, Title: m.title, Note: "not measured: " + m.why})
		}
	}
	return out, nil
}

// versus measures scen against the baseline its spec names, in interleaved rounds.
func (e *env) versus(ctx context.Context, sp spec, scen measureFunc) (Result, error) {
	def := baselineByName(sp.baseline)
	base, cleanup, err := def.prepare(ctx, e)
	if err != nil {
		return Result{}, err
	}
	defer cleanup()
	b, s, err := e.pair(ctx, sp, def, base, scen)
	if err != nil {
		return Result{}, err
	}
	return scenarioResult(sp, b, s, nil), nil
}

// appendOne appends one event per call from clients goroutines, each to a stream of its own at
// the expected version, with a command id, for one time-boxed round.
func (e *env) appendOne(clients int) measureFunc {
	return func(ctx context.Context, _ int) (round, error) {
		id := e.next()
		rate, _, err := timeBoxed(ctx, clients, e.sz.window, func(ctx context.Context, c, i int) error {
			_, err := e.store.Append(ctx, events.StreamID(fmt.Sprintf("bench/%d/c%d", id, c)), int64(i), events.Envelope{
				Type: "bench.event", Payload: json.RawMessage(benchPayload),
				Metadata: events.Metadata{CommandID: fmt.Sprintf("cmd-%s-%d-%d-%d", e.runID, id, c, i)}})
			return err
		})
		return rateRound(rate), err
	}
}

// dispatchOne dispatches diagnostic.record commands one after the other for one round and
// returns their p50 latency.
func (e *env) dispatchOne() measureFunc {
	body := json.RawMessage(`{"data":` + benchPayload + `}`)
	return func(ctx context.Context, _ int) (round, error) {
		id := e.next()
		_, lats, err := timeBoxed(ctx, 1, e.sz.window, func(ctx context.Context, _, i int) error {
			_, err := e.app.Dispatch(ctx, commands.Command{Type: commands.TypeRecordDiagnostic,
				ID: fmt.Sprintf("diag-%s-%d-%d", e.runID, id, i), Actor: "bench", Payload: body})
			return err
		})
		if err != nil {
			return round{}, err
		}
		return latencyRound(lats), nil
	}
}
