package graphql_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/infrahub-go/infrahub/queries/graphql"
)

// With Executor.Workers, InfrahubStatus lists every live process with the request branch's
// schema hash as that process has it; the hashes are in sync only when every active worker
// has the same one (inactive workers do not count).
func TestStatusListsWorkers(t *testing.T) {
	f := newFixture(t, fixtureSchema)
	var asked []string
	remote := "stale"
	f.x.Workers = func(context.Context) []graphql.WorkerInfo {
		return []graphql.WorkerInfo{
			{ID: "api-1", Active: true}, // the process answering
			{ID: "worker-1", Active: true, SchemaHash: func(branch string) string { asked = append(asked, branch); return remote }},
			{ID: "starting-1", Active: false, SchemaHash: func(string) string { return "" }},
		}
	}
	type node struct {
		ID         string  `json:"id"`
		Active     bool    `json:"active"`
		SchemaHash *string `json:"schema_hash"`
	}
	var out struct {
		InfrahubStatus struct {
			Summary struct {
				Synced bool `json:"schema_hash_synced"`
			} `json:"summary"`
			Workers struct {
				Edges []struct{ Node node } `json:"edges"`
			} `json:"workers"`
		}
	}
	query := func() {
		t.Helper()
		resp := f.x.Execute(context.Background(), graphql.Request{
			Query: `{ InfrahubStatus { summary { schema_hash_synced } workers { edges { node { id active schema_hash } } } } }`})
		if len(resp.Errors) > 0 {
			t.Fatal(resp.Errors)
		}
		if err := json.Unmarshal(resp.Data, &out); err != nil {
			t.Fatal(err)
		}
	}
	query()
	edges := out.InfrahubStatus.Workers.Edges
	if len(edges) != 3 || edges[0].Node.ID != "api-1" || edges[1].Node.ID != "worker-1" || edges[2].Node.ID != "starting-1" {
		t.Fatalf("workers %+v", edges)
	}
	local := edges[0].Node.SchemaHash
	if local == nil || len(*local) < 8 || *edges[1].Node.SchemaHash != "stale" || edges[2].Node.SchemaHash != nil || edges[2].Node.Active {
		t.Fatalf("workers %+v", edges)
	}
	if out.InfrahubStatus.Summary.Synced {
		t.Fatal("synced although worker-1 has another schema hash")
	}
	if len(asked) != 1 || asked[0] != "main" {
		t.Fatalf("worker-1 was asked the hash of %v, want [main]", asked)
	}
	remote = *local
	query()
	if !out.InfrahubStatus.Summary.Synced {
		t.Fatal("not synced although every active worker has the same hash")
	}
}
