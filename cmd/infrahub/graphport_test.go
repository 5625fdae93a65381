package main

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/projections/graph"
	"github.com/infrahub-go/infrahub/projections/graph/neo4j"
	"github.com/infrahub-go/infrahub/schema"
)

// INFRAHUB_GRAPH_URL=neo4j://… (bolt://, and their +s variants) is accepted: it sets the Neo4j
// database of the INFRAHUB_DB_* settings and implies the Neo4j projection.
func TestGraphURLNeo4jConfigAccepted(t *testing.T) {
	cases := []struct {
		url, protocol, address string
		port                   int
		tls                    bool
		database, uri          string
	}{
		{"neo4j://db.example:7688", "neo4j", "db.example", 7688, false, "", "neo4j://db.example:7688"},
		{"bolt://10.0.0.5", "bolt", "10.0.0.5", 7687, false, "", "bolt://10.0.0.5:7687"},
		{"neo4j+s://graph.example:7687/infrahub.graph", "neo4j", "graph.example", 7687, true, "infrahub.graph", "neo4j+s://graph.example:7687"},
		{"bolt+s://graph.example/", "bolt", "graph.example", 7687, true, "", "bolt+s://graph.example:7687"},
	}
	for _, c := range cases {
		cfg, err := LoadConfig(map[string]string{"INFRAHUB_GRAPH_URL": c.url, "INFRAHUB_DB_USERNAME": "svc", "INFRAHUB_DB_PASSWORD": secret})
		if err == nil {
			err = cfg.Resolve()
		}
		if err != nil {
			t.Fatalf("%s: %v", c.url, err)
		}
		if cfg.DBProtocol != c.protocol || cfg.DBAddress != c.address || cfg.DBPort != c.port || bool(cfg.DBTLSEnabled) != c.tls ||
			cfg.DBDatabase != c.database || !bool(cfg.GraphProjectionNeo4j) || !cfg.graphFromNeo4j {
			t.Errorf("%s: %q %q %d tls=%v db=%q projection=%v reads=%v", c.url, cfg.DBProtocol, cfg.DBAddress, cfg.DBPort,
				cfg.DBTLSEnabled, cfg.DBDatabase, cfg.GraphProjectionNeo4j, cfg.graphFromNeo4j)
		}
		db, err := cfg.neo4jDB()
		if err != nil || db.Username != "svc" || db.Password != secret {
			t.Fatalf("%s: credentials %q %v", c.url, db.Username, err)
		}
		if uri, err := db.URI(); err != nil || uri != c.uri {
			t.Errorf("%s: URI %q %v, want %q", c.url, uri, err, c.uri)
		}
		if target := cfg.neo4jTarget(); !strings.Contains(target, "INFRAHUB_GRAPH_URL=") || strings.Contains(target, secret) {
			t.Errorf("%s: target %q", c.url, target)
		}
	}
	// memory:// reads from memory only.
	cfg, _ := LoadConfig(map[string]string{})
	if err := cfg.Resolve(); err != nil || cfg.graphFromNeo4j || bool(cfg.GraphProjectionNeo4j) {
		t.Fatalf("memory://: %v %v %v", err, cfg.graphFromNeo4j, cfg.GraphProjectionNeo4j)
	}
}

// A Neo4j INFRAHUB_GRAPH_URL with a user (the password must not sit in a URL), no host, a bad
// port or database, or a query is refused naming INFRAHUB_GRAPH_URL, the password never shown.
func TestGraphURLNeo4jConfigRefused(t *testing.T) {
	for url, want := range map[string]string{
		"neo4j://neo4j:" + secret + "@db:7687": "INFRAHUB_DB_PASSWORD",
		"bolt://neo4j@db":                      "INFRAHUB_DB_USERNAME",
		"neo4j://:7687":                        "no host",
		"bolt://db:70000":                      "port",
		"neo4j://db/Graph_DB":                  "database",
		"neo4j://db?routing=x":                 "no query",
		"neo4j+ssc://db":                       "scheme",
	} {
		cfg, err := LoadConfig(map[string]string{"INFRAHUB_GRAPH_URL": url, "INFRAHUB_DB_PASSWORD": secret})
		if err == nil {
			err = cfg.Resolve()
		}
		if err == nil || !strings.Contains(err.Error(), "INFRAHUB_GRAPH_URL") || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v (want INFRAHUB_GRAPH_URL and %q)", url, err, want)
		} else if strings.Contains(err.Error(), secret) {
			t.Errorf("%s: the error shows the password: %v", url, err)
		}
	}
}

// recordingPort answers every graph.Port method, recording its name under its own label.
type recordingPort struct {
	label string
	calls *[]string
}

func (p recordingPort) rec(m string) { *p.calls = append(*p.calls, p.label+"."+m) }

func (p recordingPort) Get(context.Context, graph.Scope, string) (graph.Node, error) {
	p.rec("Get")
	return graph.Node{ID: p.label}, nil
}
func (p recordingPort) List(context.Context, graph.Scope, graph.Query) (graph.Page, error) {
	p.rec("List")
	return graph.Page{}, nil
}
func (p recordingPort) Count(context.Context, graph.Scope, string, map[string]any) (int, error) {
	p.rec("Count")
	return 0, nil
}
func (p recordingPort) Peers(context.Context, graph.Scope, []string, string, string) (map[string][]graph.Edge, error) {
	p.rec("Peers")
	return nil, nil
}
func (p recordingPort) Ancestors(context.Context, graph.Scope, string) ([]graph.Node, error) {
	p.rec("Ancestors")
	return nil, nil
}
func (p recordingPort) Descendants(context.Context, graph.Scope, string) ([]graph.Node, error) {
	p.rec("Descendants")
	return nil, nil
}
func (p recordingPort) PositionAt(context.Context, time.Time) (events.Position, error) {
	p.rec("PositionAt")
	return 0, nil
}
func (p recordingPort) RecordedAt(context.Context, events.Position) (time.Time, bool, error) {
	p.rec("RecordedAt")
	return time.Time{}, false, nil
}
func (p recordingPort) Diff(context.Context, string) (branch.Diff, error) {
	p.rec("Diff")
	return branch.Diff{}, nil
}
func (p recordingPort) Dump(context.Context, graph.Scope) (graph.Dump, error) {
	p.rec("Dump")
	return graph.Dump{}, nil
}
func (p recordingPort) NextAvailableAddress(context.Context, graph.Scope, string, int) (string, bool, error) {
	p.rec("NextAvailableAddress")
	return "", false, nil
}
func (p recordingPort) NextAvailablePrefix(context.Context, graph.Scope, string, int) (string, bool, error) {
	p.rec("NextAvailablePrefix")
	return "", false, nil
}
func (p recordingPort) WaitFor(context.Context, events.Position) error {
	p.rec("WaitFor")
	return nil
}

// callAll calls every graph.Port method of p once, in graphPortMethods order, then WaitFor.
func callAll(ctx context.Context, p graph.Port) {
	s := graph.Scope{}
	_, _ = p.Get(ctx, s, "x")
	_, _ = p.List(ctx, s, graph.Query{Kind: "TestThing"})
	_, _ = p.Count(ctx, s, "TestThing", nil)
	_, _ = p.Peers(ctx, s, []string{"x"}, "TestThing", "tags")
	_, _ = p.Ancestors(ctx, s, "x")
	_, _ = p.Descendants(ctx, s, "x")
	_, _ = p.PositionAt(ctx, time.Now())
	_, _, _ = p.RecordedAt(ctx, 1)
	_, _ = p.Diff(ctx, "b")
	_, _ = p.Dump(ctx, s)
	_, _, _ = p.NextAvailableAddress(ctx, s, "x", 0)
	_, _, _ = p.NextAvailablePrefix(ctx, s, "x", 24)
	_ = p.WaitFor(ctx, 1)
}

// The composite sends the methods of neo4jReadMethods to the Neo4j port and every other one to
// the memory port; WaitFor waits for both.
func TestGraphPortRouting(t *testing.T) {
	var calls []string
	p, err := newGraphPort(recordingPort{"neo4j", &calls}, recordingPort{"memory", &calls}, neo4jReadMethods)
	if err != nil {
		t.Fatal(err)
	}
	callAll(context.Background(), p)
	want := []string{"neo4j.Get", "neo4j.List", "neo4j.Count", "neo4j.Peers", "neo4j.Ancestors", "neo4j.Descendants",
		"neo4j.PositionAt", "neo4j.RecordedAt", "neo4j.Diff", "neo4j.Dump", "neo4j.NextAvailableAddress",
		"neo4j.NextAvailablePrefix", "neo4j.WaitFor", "memory.WaitFor"}
	if !slices.Equal(calls, want) {
		t.Fatalf("calls:\n got %v\nwant %v", calls, want)
	}
	if n, _ := p.Get(context.Background(), graph.Scope{}, "x"); n.ID != "neo4j" {
		t.Fatalf("Get answered from %q", n.ID)
	}
	// A name that is no method is refused (a typo must not read from memory silently).
	if _, err := newGraphPort(recordingPort{"neo4j", &calls}, recordingPort{"memory", &calls}, []string{"Gett"}); !errors.Is(err, fault.ErrInvalid) {
		t.Fatalf("unknown method: %v", err)
	}
}

// failingConn records that a read tried Neo4j and answers a connection error.
type failingConn struct{ opened *int }

func (c failingConn) BeginRead(context.Context) (neo4j.ReadTx, error) {
	*c.opened++
	return nil, errors.New("connection refused")
}

// neo4jReadMethods is what the Neo4j Reader implements: each method in it goes to the database,
// each other one answers fault.ErrUnavailable without going there.
func TestGraphPortNeo4jMethodsList(t *testing.T) {
	opened := 0
	r, err := neo4j.NewReader(neo4j.ReaderConfig{Conn: failingConn{&opened},
		Schema: func(context.Context, string, events.Position) (*schema.Set, error) {
			return nil, errors.New("no schema")
		}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s := graph.Scope{}
	const prefixID = "0190a0a0-0000-7000-8000-000000000001" // a well-formed node id: IPAM reads Neo4j
	calls := map[string]func() error{
		"Get":         func() error { _, err := r.Get(ctx, s, "x"); return err },
		"List":        func() error { _, err := r.List(ctx, s, graph.Query{Kind: "TestThing"}); return err },
		"Count":       func() error { _, err := r.Count(ctx, s, "TestThing", nil); return err },
		"Peers":       func() error { _, err := r.Peers(ctx, s, []string{"x"}, "TestThing", "tags"); return err },
		"Ancestors":   func() error { _, err := r.Ancestors(ctx, s, "x"); return err },
		"Descendants": func() error { _, err := r.Descendants(ctx, s, "x"); return err },
		"PositionAt":  func() error { _, err := r.PositionAt(ctx, time.Now()); return err },
		"RecordedAt":  func() error { _, _, err := r.RecordedAt(ctx, 1); return err },
		"Diff":        func() error { _, err := r.Diff(ctx, "b"); return err },
		"Dump":        func() error { _, err := r.Dump(ctx, s); return err },
		"NextAvailableAddress": func() error {
			_, _, err := r.NextAvailableAddress(ctx, s, prefixID, 0)
			return err
		},
		"NextAvailablePrefix": func() error { _, _, err := r.NextAvailablePrefix(ctx, s, prefixID, 24); return err },
	}
	if len(calls) != len(graphPortMethods) {
		t.Fatalf("%d calls for %d routed methods", len(calls), len(graphPortMethods))
	}
	for _, m := range graphPortMethods {
		before := opened
		err := calls[m]()
		tried := opened > before
		if slices.Contains(neo4jReadMethods, m) {
			if !tried {
				t.Errorf("%s is routed to Neo4j but did not read it: %v", m, err)
			}
		} else if tried || !errors.Is(err, fault.ErrUnavailable) || !strings.Contains(err.Error(), "not implemented over Neo4j") {
			t.Errorf("%s is routed to memory but the Reader implements it (tried %v): %v", m, tried, err)
		}
	}
}

// serve with INFRAHUB_GRAPH_URL=neo4j://… and Neo4j unreachable: the server starts, retries,
// /health answers 503 naming neo4j and INFRAHUB_GRAPH_URL, and /api/status lists the Neo4j
// projection (implied by the URL) as not connected. No Neo4j runs here: reads from a real one
// are not tested.
func TestGraphURLNeo4jServeUnreachable(t *testing.T) {
	addr := closedPort(t)
	env := map[string]string{"INFRAHUB_GRAPH_URL": "neo4j://" + addr, "INFRAHUB_DB_PASSWORD": secret, "INFRAHUB_DATA": t.TempDir()}
	c := launchChild(t, freeAddr(t), env)
	eventually(t, 30*time.Second, "/health names neo4j", func() (bool, string) {
		code, h, raw := getHealth(t, c.base)
		d := h.Dependencies["neo4j"]
		return code == http.StatusServiceUnavailable && d.Variable == "INFRAHUB_GRAPH_URL" && !d.OK && d.Attempts >= 2 &&
			slices.Contains(h.Unavailable, "neo4j"), raw
	})
	var st struct {
		Projections map[string]map[string]any `json:"projections"`
	}
	if code := getJSON(t, c.base+"/api/status", &st); code != http.StatusOK {
		t.Fatalf("/api/status: %d", code)
	}
	if p := st.Projections["graph-neo4j"]; p == nil || p["connected"] != false ||
		!strings.Contains(p["target"].(string), "INFRAHUB_GRAPH_URL=neo4j://"+addr) {
		t.Fatalf("/api/status graph-neo4j: %v", st.Projections)
	}
	if c.exited() {
		t.Fatalf("serve exited while Neo4j was away:\n%s", c.logs.String())
	}
	if err := c.stop(); err != nil {
		t.Fatal(err)
	}
	if logs := c.logs.String(); strings.Contains(logs, secret) || !strings.Contains(logs, "neo4j unreachable") {
		t.Fatalf("logs (password shown, or no retry logged):\n%s", logs)
	}
}
