package neo4j

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	driver "github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/infrahub-go/infrahub/branch"
	"github.com/infrahub-go/infrahub/events"
	"github.com/infrahub-go/infrahub/fault"
	"github.com/infrahub-go/infrahub/projections/graph"
	"github.com/infrahub-go/infrahub/schema"
)

// ReadTx is a read transaction: every statement of one read call runs in one, so that they see
// one state of the database.
type ReadTx interface {
	Run(ctx context.Context, cypher string, params map[string]any) ([]map[string]any, error)
	Close(ctx context.Context) error
}

// ReadConn opens read transactions (DriverConn; tests use canned records).
type ReadConn interface {
	BeginRead(ctx context.Context) (ReadTx, error)
}

// SchemaSource is the resolved schema of a branch at a log position (0: the head). The schema
// is not projected into Neo4j: a server gives the branches projection's.
type SchemaSource func(ctx context.Context, branch string, at events.Position) (*schema.Set, error)

// ReaderConfig is what a Reader answers from.
type ReaderConfig struct {
	Conn   ReadConn
	Schema SchemaSource
	// Checkpoint is the projector name whose checkpoint WaitFor polls (DefaultName when empty).
	Checkpoint string
	// Poll is WaitFor's polling interval (50 ms when zero).
	Poll time.Duration
	// Resolutions is the conflict resolutions recorded on a branch (conflict id → KeepBase or
	// KeepBranch), which Diff reports as Conflict.Selected; they are not projected into Neo4j (a
	// server gives the branches projection's, branch.State.Resolutions). Nil: none.
	Resolutions func(ctx context.Context, branch string) (map[string]string, error)
}

// Reader implements graph.Port over Cypher. Each method sends at most three statements, in one
// read transaction: the branch's base (not for the default branch), then the query.
type Reader struct {
	cfg ReaderConfig
}

var _ graph.Port = (*Reader)(nil)

// NewReader returns the Reader of cfg.
func NewReader(cfg ReaderConfig) (*Reader, error) {
	var errs []error
	if cfg.Conn == nil {
		errs = append(errs, fmt.Errorf("%w: neo4j graph reader: Conn is required", fault.ErrInvalid))
	}
	if cfg.Schema == nil {
		errs = append(errs, fmt.Errorf("%w: neo4j graph reader: Schema is required", fault.ErrInvalid))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if cfg.Checkpoint == "" {
		cfg.Checkpoint = DefaultName
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 50 * time.Millisecond
	}
	return &Reader{cfg: cfg}, nil
}

// read is one read call: its transaction, scope parameters and schema.
type read struct {
	tx     ReadTx
	params map[string]any // the scope parameters
	set    *schema.Set
	branch string
	// timed: the scope was at a time, resolved to position at (0: before the first write).
	timed bool
	at    events.Position
}

// begin opens the call's transaction and resolves the scope (one statement for a branch other
// than the default one).
func (r *Reader) begin(ctx context.Context, s graph.Scope) (*read, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.At < 0 {
		return nil, fmt.Errorf("%w: negative log position %d", graph.ErrInvalidQuery, s.At)
	}
	name := s.Branch
	if name == "" {
		name = branch.Default
	}
	at := int64(math.MaxInt64)
	if s.At > 0 {
		at = int64(s.At)
	}
	tx, err := r.cfg.Conn.BeginRead(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: neo4j graph reader: %w", fault.ErrUnavailable, err)
	}
	rd := &read{tx: tx, branch: name}
	if s.At == 0 && !s.Time.IsZero() {
		// A read at a time: the position current then (StmtPositionAt), one more statement.
		p, err := positionAt(ctx, tx, s.Time)
		if err != nil {
			_ = tx.Close(ctx)
			return nil, err
		}
		rd.timed, rd.at, at = true, p, int64(p)
	}
	rd.params = map[string]any{"branch": name, "base": branch.Default, "at": at, "base_at": at}
	if name != branch.Default {
		rows, err := rd.run(ctx, StmtReadBranch, map[string]any{"name": name})
		if err != nil {
			_ = tx.Close(ctx)
			return nil, err
		}
		if len(rows) == 0 {
			_ = tx.Close(ctx)
			return nil, fmt.Errorf("%w: %q", graph.ErrBranchNotFound, name)
		}
		from, _ := rows[0]["branched_from"].(int64)
		rd.params["base_at"] = min(from, at)
	}
	set, err := r.cfg.Schema(ctx, name, s.At)
	if err != nil {
		_ = tx.Close(ctx)
		return nil, err
	}
	rd.set = set
	return rd, nil
}

// run sends one statement with the scope parameters added.
func (rd *read) run(ctx context.Context, cypher string, params map[string]any) ([]map[string]any, error) {
	all := make(map[string]any, len(params)+len(rd.params))
	for k, v := range rd.params {
		all[k] = v
	}
	for k, v := range params {
		all[k] = v
	}
	rows, err := rd.tx.Run(ctx, cypher, all)
	if err != nil {
		return nil, fmt.Errorf("%w: neo4j graph reader: %w", fault.ErrUnavailable, err)
	}
	return rows, nil
}

// Get implements graph.Reader: at most two statements.
func (r *Reader) Get(ctx context.Context, s graph.Scope, id string) (graph.Node, error) {
	rd, err := r.begin(ctx, s)
	if err != nil {
		return graph.Node{}, err
	}
	defer rd.tx.Close(ctx)
	ns, err := rd.nodes(ctx, []string{id}, nil)
	if err != nil {
		return graph.Node{}, err
	}
	if len(ns) == 0 {
		return graph.Node{}, fmt.Errorf("%w: %q on branch %s", graph.ErrNotFound, id, rd.branch)
	}
	return ns[0], nil
}

// nodes reads the live nodes among ids, in the order of ids.
func (rd *read) nodes(ctx context.Context, ids []string, fields []string) ([]graph.Node, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	kinds, rels := utilizationInputs(rd.set)
	rows, err := rd.run(ctx, StmtReadNodes, map[string]any{"ids": ids, "prefix_kinds": kinds, "util_rels": rels, "prefix_attr": "prefix"})
	if err != nil {
		return nil, err
	}
	byID := make(map[string]graph.Node, len(rows))
	for _, row := range rows {
		n, err := NodeFromRow(rd.set, row, fields)
		if err != nil {
			return nil, err
		}
		byID[n.ID] = n
	}
	out := make([]graph.Node, 0, len(byID))
	for _, id := range ids {
		if n, ok := byID[id]; ok {
			out = append(out, n)
			delete(byID, id)
		}
	}
	return out, nil
}

// List implements graph.Reader: at most three statements (branch, page ids and count, nodes).
func (r *Reader) List(ctx context.Context, s graph.Scope, q graph.Query) (graph.Page, error) {
	if q.Offset < 0 || q.Limit < 0 {
		return graph.Page{}, fmt.Errorf("%w: negative offset or limit", graph.ErrInvalidQuery)
	}
	rd, err := r.begin(ctx, s)
	if err != nil {
		return graph.Page{}, err
	}
	defer rd.tx.Close(ctx)
	in, err := listInput(rd.set, q.Kind, q.Filters, q.PartialMatch)
	if err != nil {
		return graph.Page{}, err
	}
	if in.Keys, err = graph.ResolveOrder(rd.set, q.Kind, q.OrderBy); err != nil {
		return graph.Page{}, err
	}
	in.Offset, in.Limit = q.Offset, q.Limit
	st, err := ListStatement(in)
	if err != nil {
		return graph.Page{}, fmt.Errorf("%w: %w", graph.ErrInvalidQuery, err)
	}
	rows, err := rd.run(ctx, st.Cypher, st.Params)
	if err != nil {
		return graph.Page{}, err
	}
	count, ids, err := PageFromRows(rows)
	if err != nil {
		return graph.Page{}, err
	}
	ns, err := rd.nodes(ctx, ids, q.Fields)
	if err != nil {
		return graph.Page{}, err
	}
	if ns == nil {
		ns = []graph.Node{}
	}
	return graph.Page{Count: count, Nodes: ns}, nil
}

// Count implements graph.Reader: at most two statements.
func (r *Reader) Count(ctx context.Context, s graph.Scope, kind string, filters map[string]any) (int, error) {
	rd, err := r.begin(ctx, s)
	if err != nil {
		return 0, err
	}
	defer rd.tx.Close(ctx)
	in, err := listInput(rd.set, kind, filters, false)
	if err != nil {
		return 0, err
	}
	in.Count = true
	st, err := ListStatement(in)
	if err != nil {
		return 0, fmt.Errorf("%w: %w", graph.ErrInvalidQuery, err)
	}
	rows, err := rd.run(ctx, st.Cypher, st.Params)
	if err != nil {
		return 0, err
	}
	if len(rows) != 1 {
		return 0, fmt.Errorf("%w: neo4j graph reader: count: %d rows", fault.ErrUnavailable, len(rows))
	}
	n, ok := rows[0]["count"].(int64)
	if !ok {
		return 0, fmt.Errorf("%w: neo4j graph reader: count is a %T", fault.ErrUnavailable, rows[0]["count"])
	}
	return int(n), nil
}

func listInput(set *schema.Set, kind string, filters map[string]any, partial bool) (ListInput, error) {
	fs, err := graph.ParseFilters(set, kind, filters, partial)
	if err != nil {
		return ListInput{}, err
	}
	kinds := []string{kind}
	if g, ok := set.Generic(kind); ok {
		kinds = slices.Clone(g.UsedBy)
	}
	return ListInput{Kinds: kinds, Filters: fs}, nil
}

// PageFromRows reads the count and page ids of a List statement's answer.
func PageFromRows(rows []map[string]any) (int, []string, error) {
	if len(rows) != 1 {
		return 0, nil, fmt.Errorf("%w: neo4j graph reader: list: %d rows, want 1", fault.ErrUnavailable, len(rows))
	}
	n, ok := rows[0]["count"].(int64)
	if !ok {
		return 0, nil, fmt.Errorf("%w: neo4j graph reader: list: count is a %T", fault.ErrUnavailable, rows[0]["count"])
	}
	page, _ := rows[0]["page"].([]any)
	ids := make([]string, 0, len(page))
	for _, x := range page {
		s, ok := x.(string)
		if !ok {
			return 0, nil, fmt.Errorf("%w: neo4j graph reader: list: page id is a %T", fault.ErrUnavailable, x)
		}
		ids = append(ids, s)
	}
	return int(n), ids, nil
}

// Peers implements graph.Reader: at most two statements, whatever the number of ids. The
// relationship properties of an end (Edge.Source, Owner, IsProtected) are not projected and
// read empty.
func (r *Reader) Peers(ctx context.Context, s graph.Scope, ids []string, kind, rel string) (map[string][]graph.Edge, error) {
	rd, err := r.begin(ctx, s)
	if err != nil {
		return nil, err
	}
	defer rd.tx.Close(ctx)
	m, ok := rd.set.Model(kind)
	if !ok {
		return nil, fmt.Errorf("%w: unknown kind %q", graph.ErrInvalidQuery, kind)
	}
	rs := m.Relationship(rel)
	if rs == nil || rs.State == schema.StateAbsent {
		return nil, fmt.Errorf("%w: %s has no relationship %q", graph.ErrInvalidQuery, kind, rel)
	}
	stmt := map[string]string{"out": StmtPeersOut, "in": StmtPeersIn, "both": StmtPeersBoth}[side(rs.Identifier, rs.Direction)]
	out := map[string][]graph.Edge{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := rd.run(ctx, stmt, map[string]any{"ids": ids, "rel": rs.Identifier})
	if err != nil {
		return nil, err
	}
	return out, EdgesFromRows(rows, out)
}

// EdgesFromRows adds the rows of a Peers statement to out (rows in id, then peer order).
func EdgesFromRows(rows []map[string]any, out map[string][]graph.Edge) error {
	for _, row := range rows {
		id, ok1 := row["id"].(string)
		peer, ok2 := row["peer"].(string)
		kind, _ := row["peer_kind"].(string)
		if !ok1 || !ok2 {
			return fmt.Errorf("%w: neo4j graph reader: peers: row without id or peer", fault.ErrUnavailable)
		}
		es := out[id]
		if len(es) > 0 && es[len(es)-1].Peer == peer {
			continue // one peer reached through two Relationship vertices
		}
		out[id] = append(es, graph.Edge{Peer: peer, PeerKind: kind})
	}
	return nil
}

// NodeFromRow reads one row of StmtReadNodes: every attribute of the kind's schema (fields nil)
// or those named, an attribute never set reading as {nil, IsDefault}.
func NodeFromRow(set *schema.Set, row map[string]any, fields []string) (graph.Node, error) {
	id, _ := row["id"].(string)
	kind, _ := row["kind"].(string)
	if id == "" || kind == "" {
		return graph.Node{}, fmt.Errorf("%w: neo4j graph reader: node row without id or kind", fault.ErrUnavailable)
	}
	n := graph.Node{ID: id, Kind: kind, Attributes: map[string]graph.Attribute{}}
	n.CreatedAt = parseTime(row["created_at"])
	n.UpdatedAt = parseTime(row["updated_at"])
	if n.UpdatedAt.IsZero() {
		n.UpdatedAt = n.CreatedAt
	}
	n.CreatedBy, _ = row["created_by"].(string)
	n.UpdatedBy, _ = row["updated_by"].(string)
	if n.UpdatedBy == "" {
		n.UpdatedBy = n.CreatedBy
	}
	stored := map[string]graph.Attribute{}
	attrs, _ := row["attrs"].([]any)
	for _, x := range attrs {
		a, ok := x.(map[string]any)
		if !ok {
			continue
		}
		name, _ := a["name"].(string)
		js, _ := a["json"].(string)
		var v any
		if js != "" {
			if err := json.Unmarshal([]byte(js), &v); err != nil {
				return graph.Node{}, fmt.Errorf("%w: neo4j graph reader: node %s attribute %s: %w", fault.ErrUnavailable, id, name, err)
			}
		}
		switch name {
		case HFIDAttribute:
			if l, ok := v.([]any); ok {
				n.HFID = make([]string, 0, len(l))
				for _, c := range l {
					s, _ := c.(string)
					n.HFID = append(n.HFID, s)
				}
			}
			continue
		case LabelAttribute:
			n.DisplayLabel, _ = v.(string)
			continue
		}
		at := graph.Attribute{Value: v}
		at.IsDefault, _ = a["is_default"].(bool)
		at.IsProtected, _ = a["is_protected"].(bool)
		at.Source, _ = a["source"].(string)
		at.Owner, _ = a["owner"].(string)
		sk, _ := a["source_kind"].(string)
		at.IsFromProfile = strings.HasPrefix(sk, "Profile")
		stored[name] = at
	}
	if m, ok := set.Model(kind); ok {
		for _, a := range m.Attributes {
			if a.State == schema.StateAbsent || fields != nil && !slices.Contains(fields, a.Name) {
				continue
			}
			if st, ok := stored[a.Name]; ok {
				n.Attributes[a.Name] = st
			} else {
				n.Attributes[a.Name] = graph.Attribute{IsDefault: true}
			}
		}
	}
	if _, asked := n.Attributes["utilization"]; asked {
		if u, ok := Utilization(set, kind, stored, row["util"]); ok { // an IP prefix's, computed when read
			n.Attributes["utilization"] = graph.Attribute{Value: u}
		}
	}
	return n, nil
}

func parseTime(v any) time.Time {
	s, _ := v.(string)
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

// WaitFor implements graph.Waiter: it polls the projector's checkpoint (StmtCheckpointRead),
// one statement per poll, until it reaches pos or ctx ends.
func (r *Reader) WaitFor(ctx context.Context, pos events.Position) error {
	for {
		tx, err := r.cfg.Conn.BeginRead(ctx)
		if err != nil {
			return fmt.Errorf("%w: neo4j graph reader: %w", fault.ErrUnavailable, err)
		}
		rows, err := tx.Run(ctx, StmtCheckpointRead, map[string]any{"name": r.cfg.Checkpoint})
		_ = tx.Close(ctx)
		if err != nil {
			return fmt.Errorf("%w: neo4j graph reader: checkpoint: %w", fault.ErrUnavailable, err)
		}
		if len(rows) == 1 {
			if p, ok := rows[0]["position"].(int64); ok && events.Position(p) >= pos {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("graph projection: waiting for position %d: %w", pos, ctx.Err())
		case <-time.After(r.cfg.Poll):
		}
	}
}

// BeginRead implements ReadConn: a read transaction in a read session.
func (c *DriverConn) BeginRead(ctx context.Context) (ReadTx, error) {
	s := c.Driver.NewSession(ctx, driver.SessionConfig{AccessMode: driver.AccessModeRead, DatabaseName: c.Database})
	tx, err := s.BeginTransaction(ctx)
	if err != nil {
		_ = s.Close(ctx)
		return nil, err
	}
	return &driverReadTx{driverTx{s: s, tx: tx}}, nil
}

type driverReadTx struct{ driverTx }

// Close ends the read transaction (a rollback: it wrote nothing) and its session.
func (t *driverReadTx) Close(ctx context.Context) error { return t.Rollback(ctx) }
