package main

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/projections/graph"
	"github.com/infrahub-go/infrahub/projections/graph/neo4j"
	"github.com/infrahub-go/infrahub/schema"
)

// neo4jReadMethods are the graph.Port methods the query paths send to the Neo4j Reader with
// INFRAHUB_GRAPH_URL=neo4j://… (the rest go to the memory reader): all of them, now that the
// Reader implements Diff and IPAM too. Decided here, never by trying.
var neo4jReadMethods = []string{"Get", "List", "Count", "Peers", "Ancestors", "Descendants", "PositionAt", "RecordedAt",
	"Diff", "Dump", "NextAvailableAddress", "NextAvailablePrefix"}

// graphPortMethods are the methods graphPort routes (WaitFor waits for both ports).
var graphPortMethods = []string{"Get", "List", "Count", "Peers", "Ancestors", "Descendants", "PositionAt",
	"RecordedAt", "Diff", "Dump", "NextAvailableAddress", "NextAvailablePrefix"}

// graphPort is the graph read port of the query paths (GraphQL, REST reads) when reads come
// from Neo4j: each method goes to the port chosen for it at build time.
type graphPort struct {
	neo, mem graph.Port
	route    map[string]graph.Port // method name → the port answering it
}

var _ graph.Port = (*graphPort)(nil)

// newGraphPort sends the methods named in fromNeo to neo and every other one to mem. A name that
// is no routed method is an error (a typo would otherwise silently read from memory).
func newGraphPort(neo, mem graph.Port, fromNeo []string) (*graphPort, error) {
	if neo == nil || mem == nil {
		return nil, fmt.Errorf("%w: graph port: both ports are required", fault.ErrInvalid)
	}
	for _, m := range fromNeo {
		if !slices.Contains(graphPortMethods, m) {
			return nil, fmt.Errorf("%w: graph port: %q is not a routed method (%v)", fault.ErrInvalid, m, graphPortMethods)
		}
	}
	p := &graphPort{neo: neo, mem: mem, route: make(map[string]graph.Port, len(graphPortMethods))}
	for _, m := range graphPortMethods {
		p.route[m] = mem
		if slices.Contains(fromNeo, m) {
			p.route[m] = neo
		}
	}
	return p, nil
}

func (p *graphPort) Get(ctx context.Context, s graph.Scope, id string) (graph.Node, error) {
	return p.route["Get"].Get(ctx, s, id)
}

func (p *graphPort) List(ctx context.Context, s graph.Scope, q graph.Query) (graph.Page, error) {
	return p.route["List"].List(ctx, s, q)
}

func (p *graphPort) Count(ctx context.Context, s graph.Scope, kind string, filters map[string]any) (int, error) {
	return p.route["Count"].Count(ctx, s, kind, filters)
}

func (p *graphPort) Peers(ctx context.Context, s graph.Scope, ids []string, kind, rel string) (map[string][]graph.Edge, error) {
	return p.route["Peers"].Peers(ctx, s, ids, kind, rel)
}

func (p *graphPort) Ancestors(ctx context.Context, s graph.Scope, id string) ([]graph.Node, error) {
	return p.route["Ancestors"].Ancestors(ctx, s, id)
}

func (p *graphPort) Descendants(ctx context.Context, s graph.Scope, id string) ([]graph.Node, error) {
	return p.route["Descendants"].Descendants(ctx, s, id)
}

func (p *graphPort) PositionAt(ctx context.Context, t time.Time) (events.Position, error) {
	return p.route["PositionAt"].PositionAt(ctx, t)
}

func (p *graphPort) RecordedAt(ctx context.Context, pos events.Position) (time.Time, bool, error) {
	return p.route["RecordedAt"].RecordedAt(ctx, pos)
}

func (p *graphPort) Diff(ctx context.Context, name string) (branch.Diff, error) {
	return p.route["Diff"].Diff(ctx, name)
}

func (p *graphPort) Dump(ctx context.Context, s graph.Scope) (graph.Dump, error) {
	return p.route["Dump"].Dump(ctx, s)
}

func (p *graphPort) NextAvailableAddress(ctx context.Context, s graph.Scope, prefixID string, length int) (string, bool, error) {
	return p.route["NextAvailableAddress"].NextAvailableAddress(ctx, s, prefixID, length)
}

func (p *graphPort) NextAvailablePrefix(ctx context.Context, s graph.Scope, prefixID string, length int) (string, bool, error) {
	return p.route["NextAvailablePrefix"].NextAvailablePrefix(ctx, s, prefixID, length)
}

// WaitFor waits until both ports have folded pos: a read after a write sees it whichever port
// answers it.
func (p *graphPort) WaitFor(ctx context.Context, pos events.Position) error {
	if err := p.neo.WaitFor(ctx, pos); err != nil {
		return err
	}
	return p.mem.WaitFor(ctx, pos)
}

// neo4jReadConn opens read transactions on serve's Neo4j connection, which the dependency
// connects (and reconnects) in the background: before that, a read answers unavailable.
type neo4jReadConn struct{ n *neo4jParts }

func (c neo4jReadConn) BeginRead(ctx context.Context) (neo4j.ReadTx, error) {
	c.n.mu.Lock()
	conn := c.n.conn
	c.n.mu.Unlock()
	if conn == nil {
		return nil, fmt.Errorf("%w: neo4j is not connected yet", fault.ErrUnavailable)
	}
	return conn.BeginRead(ctx)
}

// queryPort is the graph read port of the query paths: the memory reader, or with
// INFRAHUB_GRAPH_URL=neo4j://… the composite of the Neo4j Reader (neo4jReadMethods) and the
// memory reader. The schema of a read and the conflict resolutions of a diff come from the
// branches projection (they are not in Neo4j).
func (s *server) queryPort() (graph.Port, error) {
	if !s.cfg.graphFromNeo4j {
		return s.reads, nil
	}
	r, err := neo4j.NewReader(neo4j.ReaderConfig{Conn: neo4jReadConn{&s.neo4j}, Schema: s.schemaSource,
		Resolutions: func(_ context.Context, name string) (map[string]string, error) {
			return s.branches.Resolutions(name), nil
		}})
	if err != nil {
		return nil, err
	}
	return newGraphPort(r, s.reads, neo4jReadMethods)
}

// schemaSource is the schema of a branch at a log position (0: the head) for the Neo4j Reader.
func (s *server) schemaSource(_ context.Context, name string, at events.Position) (*schema.Set, error) {
	if _, ok := s.branches.Branch(name); !ok {
		return nil, fmt.Errorf("%w: %q", graph.ErrBranchNotFound, name)
	}
	if at == 0 {
		set, _ := s.branches.Schema(name)
		return set, nil
	}
	return s.branches.SchemaAt(name, at), nil
}
