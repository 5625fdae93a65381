package neo4j

import (
	"context"
	"net/url"
	"os"
	"strconv"
	"testing"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/branch/nodes"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/projections/graph/graphtest"
	"github.com/infrahub-go/infrahub/schema"
)

// TestAgainstNeo4j runs against the Neo4j that NEO4J_URI names (bolt://user:password@host:7687,
// database in NEO4J_DATABASE; make test-neo4j NEO4J_URI=...). It WIPES the projection's vertices
// in that database.
//
// It checks the write side — schema, a fold of a sample log and its checkpoint, exactly once;
// TestContractNeo4j runs the graphtest contract suite against the read side.
func TestAgainstNeo4j(t *testing.T) {
	conn := openTestNeo4j(t)
	ctx := context.Background()
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
}

// openTestNeo4j connects to the Neo4j that NEO4J_URI names, or skips the test.
func openTestNeo4j(t *testing.T) *DriverConn {
	t.Helper()
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
	t.Cleanup(func() { _ = conn.Close(ctx) })
	return conn
}

// contractAdapter is the Neo4j projector and reader, with the schema of each branch read from a
// nodes.Store fed the same log (the schema is not projected into Neo4j).
type contractAdapter struct {
	*Projector
	*Reader
	store *nodes.Store
}

func (a *contractAdapter) Apply(ctx context.Context, batch []events.Envelope) error {
	if err := a.store.Apply(ctx, batch); err != nil {
		return err
	}
	return a.Projector.Apply(ctx, batch)
}

// TestContractNeo4j runs the graphtest contract suite (the one the memory adapter passes) against the
// Neo4j that NEO4J_URI names: every method of graph.Port, Diff and NextAvailableAddress and
// NextAvailablePrefix included (the schema and the conflict resolutions come from a nodes.Store
// and its branch.State fed the same log, as a server gives them). It WIPES the projection's
// vertices in that database. It has never been run against a real Neo4j.
func TestContractNeo4j(t *testing.T) {
	conn := openTestNeo4j(t)
	graphtest.Run(t, func(t *testing.T) graphtest.Adapter {
		ctx := context.Background()
		p, err := New(Config{Conn: conn, Retryable: IsRetryable})
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Reset(ctx); err != nil {
			t.Fatal(err)
		}
		cat := events.NewCatalogueWithCore()
		schema.RegisterEvents(cat)
		branch.RegisterEvents(cat)
		nodes.RegisterEvents(cat)
		builtin, err := branch.Builtin()
		if err != nil {
			t.Fatal(err)
		}
		branches := branch.NewState(cat, builtin)
		store := nodes.NewStore(cat, branches)
		r, err := NewReader(ReaderConfig{Conn: conn, Checkpoint: p.Name(),
			Resolutions: func(_ context.Context, name string) (map[string]string, error) {
				return branches.Resolutions(name), nil
			},
			Schema: func(_ context.Context, name string, at events.Position) (*schema.Set, error) {
				v, err := store.View(name, at)
				if err != nil {
					return nil, err
				}
				return v.Schema, nil
			}})
		if err != nil {
			t.Fatal(err)
		}
		return &contractAdapter{Projector: p, Reader: r, store: store}
	})
}
