package neo4j

import (
	"context"
	"net/url"
	"os"
	"strconv"
	"testing"
)

// TestAgainstNeo4j runs against the Neo4j that NEO4J_URI names (bolt://user:password@host:7687,
// database in NEO4J_DATABASE; make test-neo4j NEO4J_URI=...). It WIPES the projection's vertices
// in that database.
//
// The contract suite projections/graph/graphtest needs the whole read port (graph.Port), which
// this adapter does not implement yet, so it cannot run here: this test checks what the adapter
// implements, the write side — schema, a fold of a sample log and its checkpoint, exactly once.
func TestAgainstNeo4j(t *testing.T) {
	raw := os.Getenv("NEO4J_URI")
	if raw == "" {
		t.Skip("NEO4J_URI is not set: the Neo4j tests need a Neo4j 5 server (make test-neo4j NEO4J_URI=bolt://neo4j:password@host:7687)")
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal("NEO4J_URI does not parse") // never print it: it holds the password
	}
	port, _ := strconv.Atoi(u.Port())
	pw, _ := u.User.Password()
	db := DB{Protocol: u.Scheme, Address: u.Hostname(), Port: port, Username: u.User.Username(), Password: pw,
		Database: os.Getenv("NEO4J_DATABASE")}
	ctx := context.Background()
	conn, err := Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	p, err := New(Config{Conn: conn, Retryable: IsRetryable})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	log := sampleLog(t)
	if err := p.Apply(ctx, log[:6]); err != nil {
		t.Fatal(err)
	}
	if err := p.Apply(ctx, log[3:]); err != nil { // overlapping: 4..6 are skipped
		t.Fatal(err)
	}
	pos, ver, err := p.Checkpoints().LoadCheckpoint(ctx, p.Name())
	if err != nil || pos != log[len(log)-1].GlobalPosition || ver != Version {
		t.Fatalf("checkpoint = %d, %d, %v", pos, ver, err)
	}
	count := func(q string) int64 {
		t.Helper()
		tx, err := conn.BeginWrite(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(ctx)
		recs, err := tx.Run(ctx, q, nil)
		if err != nil || len(recs) != 1 {
			t.Fatalf("%s: %v", q, err)
		}
		return recs[0]["n"].(int64)
	}
	// Three nodes on main; the site's deletion was merged (one deleted IS_PART_OF on main);
	// the feature branch's edges were removed with it.
	for q, want := range map[string]int64{
		`MATCH (n:Node) RETURN count(n) AS n`: 3,
		`MATCH (:Node)-[r:IS_PART_OF {status: 'deleted', branch: 'main'}]->(:Root) RETURN count(r) AS n`: 1,
		`MATCH ()-[r]->() WHERE r.branch = 'feature' RETURN count(r) AS n`:                               0,
		`MATCH (a:Attribute {name: 'asn'})-[r:HAS_VALUE {branch: 'main'}]->() RETURN count(r) AS n`:      3,
		`MATCH (b:Branch) RETURN count(b) AS n`:                                                          0,
	} {
		if got := count(q); got != want {
			t.Errorf("%s = %d; want %d", q, got, want)
		}
	}
	t.Log("graphtest contract suite NOT run: the Neo4j read port (graph.Port) is not implemented")
}
